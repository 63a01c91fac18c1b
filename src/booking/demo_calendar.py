"""Days the demo data keeps free of sessions: US federal holidays (on the day they are observed) and
the schools' winter break. A demo with a workshop on Christmas Day or New Year's Day reads as broken."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

# Sacramento County districts close from the Monday before Christmas to the first school day of
# January; a fixed span is close enough for demo data.
WINTER_BREAK = ((12, 21), (1, 2))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 for the last) `weekday` (Monday = 0) of the month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """A holiday on a Saturday is observed on the Friday before, on a Sunday on the Monday after."""
    return (
        day - dt.timedelta(days=1) if day.weekday() == 5 else day + dt.timedelta(days=1) if day.weekday() == 6 else day
    )


@lru_cache(maxsize=16)
def federal_holidays(year: int) -> frozenset[dt.date]:
    fixed = [
        dt.date(year, 1, 1),
        dt.date(year, 6, 19),
        dt.date(year, 7, 4),
        dt.date(year, 11, 11),
        dt.date(year, 12, 25),
    ]
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    by_rule = [
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Presidents' Day
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day / Indigenous Peoples' Day
        thanksgiving,
        thanksgiving + dt.timedelta(days=1),  # schools close the Friday after too
    ]
    return frozenset(fixed + [_observed(day) for day in fixed] + by_rule)


def is_closed(day: dt.date) -> bool:
    (start_month, start_day), (end_month, end_day) = WINTER_BREAK
    in_winter_break = day >= dt.date(day.year, start_month, start_day) or day <= dt.date(day.year, end_month, end_day)
    return in_winter_break or day in federal_holidays(day.year)


def open_day(day: dt.date, *, step_days: int = 1) -> dt.date:
    """`day`, or the first day after it (in steps of `step_days`: 7 keeps a Saturday class on a Saturday)
    on which schools are open."""
    while is_closed(day):
        day += dt.timedelta(days=step_days)
    return day
