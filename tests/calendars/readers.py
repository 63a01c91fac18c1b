"""Reading our .ics files back with parsers that are not the library that wrote them.

We write with python `icalendar`; these read with `vobject` (Python, zones built by dateutil from
the file's VTIMEZONE) and Mozilla's `ical.js` (the parser inside Thunderbird, run by Node through
read_ics.mjs). Both readers return the same normalised dataclasses, so a test can compare them with
each other and with what it expects; `read_everywhere` does both and insists they agree.

Each reader resolves TZID times only from the file's own VTIMEZONE (never the system zone
database), and refuses floating times and undefined TZIDs with UnreadableCalendar.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field, fields
from pathlib import Path

import vobject
import vobject.icalendar
from dateutil import tz as dateutil_tz

REPO_ROOT = Path(__file__).resolve().parents[2]
READ_ICS_SCRIPT = Path(__file__).with_name("read_ics.mjs")
CALENDAR_PROPERTIES = (
    "prodid",
    "version",
    "calscale",
    "method",
    "name",
    "x-wr-calname",
    "description",
    "x-wr-caldesc",
    "x-wr-timezone",
    "refresh-interval",
    "x-published-ttl",
)
MAX_LINE_OCTETS = 75


class UnreadableCalendar(Exception):
    """A parser refused the file, or read it in a way no client should (floating time, unknown TZID)."""


@dataclass(frozen=True)
class Address:
    """ORGANIZER or ATTENDEE: the calendar address and its parameters (names upper-case)."""

    value: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    sequence: int | None
    status: str | None
    summary: str | None
    location: str | None
    description: str | None
    url: str | None
    transp: str | None
    organizer: Address | None
    attendees: tuple[Address, ...]
    all_day: bool
    start: dt.datetime | dt.date  # aware UTC datetime, or the date of an all-day event
    end: dt.datetime | dt.date | None  # all-day: exclusive, as in the file
    dtstamp: dt.datetime | None


@dataclass(frozen=True)
class ParsedCalendar:
    properties: dict[str, str]  # lower-case names of the calendar's own properties -> text
    refresh_interval: dt.timedelta | None  # None when absent or not a valid DURATION
    published_ttl: dt.timedelta | None
    timezones: tuple[str, ...]  # TZIDs of the file's VTIMEZONEs
    events: tuple[ParsedEvent, ...]

    @property
    def method(self) -> str | None:
        return self.properties.get("method")

    @property
    def name(self) -> str | None:
        return self.properties.get("x-wr-calname")

    def event(self, uid: str) -> ParsedEvent:
        matches = [event for event in self.events if event.uid == uid]
        assert len(matches) == 1, f"{len(matches)} events with UID {uid}; UIDs: {[e.uid for e in self.events]}"
        return matches[0]


def check_wire_format(data: bytes) -> None:
    """RFC 5545 §3.1: CRLF line ends, lines of at most 75 octets, folds that never split a UTF-8 character."""
    assert data.endswith(b"\r\n"), "the file does not end with CRLF"
    for number, line in enumerate(data[:-2].split(b"\r\n"), start=1):
        assert b"\n" not in line and b"\r" not in line, f"line {number}: bare LF or CR: {line!r}"
        assert len(line) <= MAX_LINE_OCTETS, f"line {number} has {len(line)} octets: {line!r}"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AssertionError(f"line {number} splits a UTF-8 character: {line!r}") from error


# ------------------------------------------------------------------ vobject

# vobject keeps one process-wide TZID -> tzinfo registry in which the first zone registered under a
# name wins, and falls back to pytz for names it does not know. Reading one file at a time and
# registering that file's zones ourselves makes every TZID mean what this file says it means.
_vobject_registry = threading.Lock()


def _vobject_moment(line, file_zones: dict[str, dt.tzinfo], what: str) -> tuple[bool, dt.datetime | dt.date]:
    value = line.value
    if not isinstance(value, dt.datetime):
        if line.params.get("TZID") or line.params.get("X-VOBJ-ORIGINAL-TZID"):
            raise UnreadableCalendar(f"{what} is a DATE with a TZID")
        return True, value
    if value.tzinfo is None:
        raise UnreadableCalendar(f"{what} is a floating time (neither UTC nor TZID)")
    # vobject moves TZID to X-VOBJ-ORIGINAL-TZID when it resolves the zone.
    tzid = (line.params.get("X-VOBJ-ORIGINAL-TZID") or line.params.get("TZID") or [None])[0]
    if tzid is not None:
        if file_zones.get(tzid) is not value.tzinfo:
            raise UnreadableCalendar(f"{what} uses TZID {tzid}, which this file does not define with a VTIMEZONE")
    elif not isinstance(value.tzinfo, dateutil_tz.tzutc):
        raise UnreadableCalendar(f"{what} has zone {value.tzinfo!r}, neither UTC nor a TZID")
    return False, value.astimezone(dt.timezone.utc)


def _vobject_text(component, name: str) -> str | None:
    lines = component.contents.get(name)
    return None if not lines else str(lines[0].value)


def _vobject_address(line) -> Address:
    return Address(str(line.value), {name.upper(): ",".join(values) for name, values in line.params.items()})


def _vobject_duration(text: str | None) -> dt.timedelta | None:
    if text is None:
        return None
    try:
        durations = vobject.icalendar.stringToDurations(text)
    except Exception:  # vobject raises ParseError (and sometimes others) for a value that is not a DURATION
        return None
    return durations[0] if len(durations) == 1 else None


def _vobject_event(component, file_zones: dict[str, dt.tzinfo]) -> ParsedEvent:
    uid = _vobject_text(component, "uid")
    what = f"VEVENT {uid}"
    if "dtstart" not in component.contents:
        raise UnreadableCalendar(f"{what} has no DTSTART")
    all_day, start = _vobject_moment(component.dtstart, file_zones, f"{what} DTSTART")
    end = None
    if "dtend" in component.contents:
        end = _vobject_moment(component.dtend, file_zones, f"{what} DTEND")[1]
    elif "duration" in component.contents:
        end = start + component.duration.value
    stamp = (
        _vobject_moment(component.dtstamp, file_zones, f"{what} DTSTAMP")[1]
        if "dtstamp" in component.contents
        else None
    )
    sequence = _vobject_text(component, "sequence")
    organizer = component.contents.get("organizer")
    return ParsedEvent(
        uid=uid,
        sequence=None if sequence is None else int(sequence),
        status=_vobject_text(component, "status"),
        summary=_vobject_text(component, "summary"),
        location=_vobject_text(component, "location"),
        description=_vobject_text(component, "description"),
        url=_vobject_text(component, "url"),
        transp=_vobject_text(component, "transp"),
        organizer=_vobject_address(organizer[0]) if organizer else None,
        attendees=tuple(_vobject_address(line) for line in component.contents.get("attendee", [])),
        all_day=all_day,
        start=start,
        end=end,
        dtstamp=stamp,
    )


def read_with_vobject(data: bytes) -> ParsedCalendar:
    with _vobject_registry:
        try:
            calendar = vobject.readOne(data.decode("utf-8"), transform=False)
            if calendar.name != "VCALENDAR":
                raise UnreadableCalendar(f"the top component is {calendar.name}, not VCALENDAR")
            file_zones: dict[str, dt.tzinfo] = {}
            for component in calendar.contents.get("vtimezone", []):
                zone = component.transformToNative()
                tzinfo = zone.gettzinfo()  # dateutil's reading of this VTIMEZONE's rules
                file_zones[zone.tzid.value] = tzinfo
                vobject.icalendar.registerTzid(zone.tzid.value, tzinfo)  # replaces any earlier file's zone
            calendar.transformChildrenToNative()
            events = tuple(_vobject_event(component, file_zones) for component in calendar.contents.get("vevent", []))
        except UnreadableCalendar:
            raise
        except Exception as error:  # vobject's ParseError, ValueError from bad values, ...
            raise UnreadableCalendar(f"vobject cannot read the file: {error!r}") from error
    properties = {name: _vobject_text(calendar, name) for name in CALENDAR_PROPERTIES if name in calendar.contents}
    return ParsedCalendar(
        properties=properties,
        refresh_interval=_vobject_duration(properties.get("refresh-interval")),
        published_ttl=_vobject_duration(properties.get("x-published-ttl")),
        timezones=tuple(file_zones),
        events=events,
    )


# ------------------------------------------------------------------ ical.js


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _icaljs_moment(moment: dict | None) -> dt.datetime | dt.date | None:
    if moment is None:
        return None
    return dt.date.fromisoformat(moment["value"]) if moment["all_day"] else _utc(moment["value"])


def _icaljs_address(address: dict) -> Address:
    return Address(address["value"], dict(address["params"]))


def _icaljs_seconds(seconds: int | None) -> dt.timedelta | None:
    return None if seconds is None else dt.timedelta(seconds=seconds)


def _icaljs_calendar(result: dict) -> ParsedCalendar:
    properties = {name: value for name, value in result["properties"].items() if name in CALENDAR_PROPERTIES}
    events = tuple(
        ParsedEvent(
            uid=event["uid"],
            sequence=event["sequence"],
            status=event["status"],
            summary=event["summary"],
            location=event["location"],
            description=event["description"],
            url=event["url"],
            transp=event["transp"],
            organizer=_icaljs_address(event["organizer"]) if event["organizer"] else None,
            attendees=tuple(_icaljs_address(attendee) for attendee in event["attendees"]),
            all_day=event["start"]["all_day"],
            start=_icaljs_moment(event["start"]),
            end=_icaljs_moment(event["end"]),
            dtstamp=_icaljs_moment(event["dtstamp"]),
        )
        for event in result["events"]
    )
    return ParsedCalendar(
        properties=properties,
        refresh_interval=_icaljs_seconds(result["properties"].get("refresh-interval-seconds")),
        published_ttl=_icaljs_seconds(result["properties"].get("x-published-ttl-seconds")),
        timezones=tuple(result["timezones"]),
        events=events,
    )


def read_with_icaljs(*files: bytes) -> list[ParsedCalendar]:
    """Every file read by one Node process (starting Node is the slow part)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed to read calendars with ical.js: install it so `node` is on PATH")
    if not (REPO_ROOT / "node_modules" / "ical.js" / "package.json").exists():
        raise RuntimeError("ical.js is not installed: run `npm ci` in the repository (make test does)")
    with tempfile.TemporaryDirectory(prefix="ics-") as folder:
        paths = []
        for number, data in enumerate(files):
            path = Path(folder) / f"calendar-{number}.ics"
            path.write_bytes(data)
            paths.append(str(path))
        result = subprocess.run(
            [node, str(READ_ICS_SCRIPT), *paths], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
        )
    if result.returncode != 0:
        raise UnreadableCalendar(f"ical.js cannot read the file: {result.stderr.strip()}")
    return [_icaljs_calendar(calendar) for calendar in json.loads(result.stdout)]


# ------------------------------------------------------------------ both


def _differences(left, right, path: str = "") -> list[str]:
    if type(left) is not type(right):
        return [f"{path}: {left!r} != {right!r}"]
    if isinstance(left, (ParsedCalendar, ParsedEvent, Address)):
        return [
            difference
            for item in fields(left)
            for difference in _differences(getattr(left, item.name), getattr(right, item.name), f"{path}.{item.name}")
        ]
    if isinstance(left, tuple) and len(left) == len(right):
        return [
            difference
            for index, (a, b) in enumerate(zip(left, right))
            for difference in _differences(a, b, f"{path}[{index}]")
        ]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]


def agree(by_vobject: ParsedCalendar, by_icaljs: ParsedCalendar) -> ParsedCalendar:
    differences = _differences(by_vobject, by_icaljs, "calendar")
    assert not differences, "vobject and ical.js read the file differently:\n" + "\n".join(
        f"  {line} (vobject != ical.js)" for line in differences[:20]
    )
    return by_vobject


def read_all_everywhere(*files: bytes) -> list[ParsedCalendar]:
    """Each file checked on the wire, read by both parsers, which must agree; one Node call for all."""
    for data in files:
        check_wire_format(data)
    by_icaljs = read_with_icaljs(*files)
    return [agree(read_with_vobject(data), other) for data, other in zip(files, by_icaljs)]


def read_everywhere(data: bytes) -> ParsedCalendar:
    return read_all_everywhere(data)[0]
