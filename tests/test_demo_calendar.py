"""The demo data's calendar: no sessions on US federal holidays or in the winter break."""

from __future__ import annotations

import datetime as dt

from booking.demo_calendar import federal_holidays, is_closed, open_day


def test_the_federal_holidays_of_2027_on_their_observed_days():
    holidays = federal_holidays(2027)
    for day in [
        "2027-01-01",
        "2027-01-18",
        "2027-02-15",
        "2027-05-31",
        "2027-06-18",
        "2027-07-05",
        "2027-09-06",
        "2027-10-11",
        "2027-11-11",
        "2027-11-25",
        "2027-11-26",
        "2027-12-24",
        "2027-12-25",
    ]:
        assert dt.date.fromisoformat(day) in holidays, day
    assert dt.date(2027, 3, 10) not in holidays


def test_open_day_skips_christmas_new_year_and_the_break_and_keeps_saturdays_on_saturdays():
    assert is_closed(dt.date(2026, 12, 25)) and is_closed(dt.date(2027, 1, 1))
    assert open_day(dt.date(2026, 12, 25)) == dt.date(2027, 1, 3)
    assert open_day(dt.date(2027, 1, 2), step_days=7) == dt.date(2027, 1, 9)  # the next Saturday
    assert open_day(dt.date(2026, 11, 26)) == dt.date(2026, 11, 27 + 1)
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        moved = open_day(day)
        assert moved >= day and not is_closed(moved) and (moved - day).days <= 14
        day += dt.timedelta(days=1)
