"""Our VTIMEZONE for America/Los_Angeles, as two independent parsers read it, against the tz database.

The writer puts every time in Pacific wall-clock with TZID (UTC only for the repeated November
hour), so each parser has to turn wall-clock back into instants with the rules in our VTIMEZONE.
If those rules drifted from the tz database, or a parser ignored them, the instants would differ.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking.clock import LOCAL_TZ
from booking.ical_writer import EventSpec, pacific_timezone, serialize
from tests.calendars.readers import UnreadableCalendar, read_all_everywhere, read_with_icaljs, read_with_vobject

UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 1, 1, tzinfo=UTC)


def transitions(first_year: int, last_year: int) -> list[dt.datetime]:
    """Every instant the tz database changes the Pacific UTC offset (they fall on whole UTC hours)."""
    found = []
    moment = dt.datetime(first_year, 1, 1, tzinfo=UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while moment < end:
        following = moment + dt.timedelta(hours=1)
        if moment.astimezone(LOCAL_TZ).utcoffset() != following.astimezone(LOCAL_TZ).utcoffset():
            found.append(following)
        moment = following
    return found


def sample_instants() -> list[dt.datetime]:
    """Every 30 minutes within 6 hours of each change in 2026-2035, and every hour of 2026-2027."""
    instants = set()
    for change in transitions(2026, 2035):
        instants.update(change + dt.timedelta(minutes=30 * step) for step in range(-12, 13))
    hour, end = dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC)
    while hour < end:
        instants.add(hour)
        hour += dt.timedelta(hours=1)
    return sorted(instants)


def is_ambiguous_wall_clock(moment: dt.datetime) -> bool:
    naive = moment.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return naive.replace(tzinfo=LOCAL_TZ, fold=0).utcoffset() != naive.replace(tzinfo=LOCAL_TZ, fold=1).utcoffset()


def test_the_tz_database_has_the_changes_the_samples_rely_on():
    changes = transitions(2026, 2035)
    assert len(changes) == 20
    assert changes[:4] == [
        dt.datetime(2026, 3, 8, 10, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 9, tzinfo=UTC),
        dt.datetime(2027, 3, 14, 10, tzinfo=UTC),
        dt.datetime(2027, 11, 7, 9, tzinfo=UTC),
    ]


def test_both_parsers_read_every_sample_instant_as_the_tz_database_says():
    instants = sample_instants()
    # One event per pair of consecutive samples: its start checks one instant, its end the next.
    pairs = list(zip(instants[0::2], instants[1::2]))
    data = serialize(
        [
            EventSpec(uid=f"instant-{number}@test", summary="Sample", stamp=STAMP, starts_at=start, ends_at=end)
            for number, (start, end) in enumerate(pairs)
        ]
    )

    assert data.count(b"BEGIN:VTIMEZONE") == 1 and pacific_timezone().to_ical() in data
    # The VTIMEZONE really carries the load: only wall-clock times that happen twice are in UTC.
    written_in_utc = len(re.findall(rb"\r\nDT(?:START|END):\d{8}T\d{6}Z(?=\r\n)", data))
    assert written_in_utc == sum(is_ambiguous_wall_clock(moment) for pair in pairs for moment in pair)
    assert data.count(b";TZID=America/Los_Angeles:") == 2 * len(pairs) - written_in_utc > 17_000

    for calendar in read_all_everywhere(data):
        assert len(calendar.events) == len(pairs)
        wrong = [
            (event.uid, event.start, event.end, start, end)
            for event, (start, end) in zip(calendar.events, pairs)
            if (event.start, event.end) != (start, end)
        ]
        assert not wrong, f"{len(wrong)} events read at the wrong instant, first: {wrong[:3]}"


def wall_clock_event(uid: str, local: dt.datetime) -> EventSpec:
    return EventSpec(uid=uid, summary="Wall clock", stamp=STAMP, starts_at=local, ends_at=local + dt.timedelta(hours=1))


# Under the pre-2007 US rules (first Sunday of April to last Sunday of October) these 9 AMs are
# standard time; under today's rules, and in every system zone database, they are daylight time.
LATE_MARCH = dt.datetime(2026, 3, 20, 9, 0, tzinfo=LOCAL_TZ)
EARLY_NOVEMBER = dt.datetime(2026, 10, 28, 9, 0, tzinfo=LOCAL_TZ)


def calendar_with_pre_2007_rules() -> bytes:
    data = serialize([wall_clock_event("march@test", LATE_MARCH), wall_clock_event("october@test", EARLY_NOVEMBER)])
    wrong = data.replace(
        b"DTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
        b"DTSTART:19870405T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4",
    ).replace(
        b"DTSTART:20071104T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
        b"DTSTART:19871025T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    )
    assert wrong.count(b"BYMONTH=4") == wrong.count(b"BYMONTH=10") == 1, "the writer's VTIMEZONE changed shape"
    return wrong


def test_the_parsers_use_the_files_own_vtimezone_not_the_system_zone_database():
    right = serialize([wall_clock_event("march@test", LATE_MARCH), wall_clock_event("october@test", EARLY_NOVEMBER)])
    wrong = calendar_with_pre_2007_rules()
    daylight = [dt.datetime(2026, 3, 20, 16, tzinfo=UTC), dt.datetime(2026, 10, 28, 16, tzinfo=UTC)]
    standard = [dt.datetime(2026, 3, 20, 17, tzinfo=UTC), dt.datetime(2026, 10, 28, 17, tzinfo=UTC)]

    # Right, wrong, right again in one process: a parser that cached the first zone of that
    # name (vobject's registry does, by default) would read the second file with the first rules.
    files = [right, wrong, right]
    by_vobject = [read_with_vobject(data) for data in files]
    by_icaljs = read_with_icaljs(*files)
    for calendars in (by_vobject, by_icaljs):
        assert [[event.start for event in calendar.events] for calendar in calendars] == [daylight, standard, daylight]


def test_a_tzid_without_its_vtimezone_is_refused_by_both_readers():
    data = serialize([wall_clock_event("march@test", LATE_MARCH)])
    start, end = data.index(b"BEGIN:VTIMEZONE"), data.index(b"END:VTIMEZONE\r\n") + len(b"END:VTIMEZONE\r\n")
    without_zone = data[:start] + data[end:]
    assert b"TZID=America/Los_Angeles" in without_zone and b"VTIMEZONE" not in without_zone

    read_with_vobject(data)  # after a file that did define the zone, so nothing is left over to lean on
    with pytest.raises(UnreadableCalendar, match="does not define"):
        read_with_vobject(without_zone)
    with pytest.raises(UnreadableCalendar, match="does not define"):
        read_with_icaljs(data, without_zone)


def test_a_floating_time_is_refused_by_both_readers():
    data = serialize([wall_clock_event("march@test", LATE_MARCH)])
    floating = data.replace(b"DTSTART;TZID=America/Los_Angeles:", b"DTSTART:")
    with pytest.raises(UnreadableCalendar, match="floating"):
        read_with_vobject(floating)
    with pytest.raises(UnreadableCalendar, match="floating"):
        read_with_icaljs(floating)
