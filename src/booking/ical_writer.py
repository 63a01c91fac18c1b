"""Writing iCalendar (RFC 5545) files the way every calendar client reads them alike.

Times are written in America/Los_Angeles with one VTIMEZONE in the RRULE form that Google,
Outlook and Apple themselves publish (second Sunday of March / first Sunday of November), so a
client never has to guess the zone and the file is good for every year, not only a window.
A wall-clock time that happens twice (the repeated hour in November) or never (the skipped hour
in March) cannot be written unambiguously as local time; those are written in UTC instead.
Every file goes through `serialize()`, which adds the VTIMEZONE only when an event uses it.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration, vText

from booking.clock import LOCAL_TZ
from booking.settings import current_settings

PRODID = "-//Sacramento County Office of Education//Professional Learning//EN"
TZID = "America/Los_Angeles"
ORGANIZER_NAME = "SCOE Professional Learning"
ORGANIZER_EMAIL = "no-reply@scoe.net"
# The US rules since 2007; tests check them against the tz database hour by hour.
_DST_RULES = (
    (TimezoneDaylight, "PDT", -8, -7, dt.datetime(2007, 3, 11, 2, 0), {"freq": "yearly", "bymonth": 3, "byday": "2SU"}),
    (
        TimezoneStandard,
        "PST",
        -7,
        -8,
        dt.datetime(2007, 11, 4, 2, 0),
        {"freq": "yearly", "bymonth": 11, "byday": "1SU"},
    ),
)


def calendar_host() -> str:
    return urlsplit(current_settings().base_url).hostname or "localhost"


def pacific_timezone() -> Timezone:
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    for component_class, name, offset_from, offset_to, start, rule in _DST_RULES:
        part = component_class()
        part.add("tzname", name)
        part.add("tzoffsetfrom", dt.timedelta(hours=offset_from))
        part.add("tzoffsetto", dt.timedelta(hours=offset_to))
        part.add("dtstart", start)
        part.add("rrule", rule)
        zone.add_component(part)
    return zone


def _is_unambiguous_local(moment: dt.datetime) -> bool:
    """True when the Pacific wall-clock time of `moment` names exactly that instant."""
    local = moment.astimezone(LOCAL_TZ)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=LOCAL_TZ, fold=0)
    second = naive.replace(tzinfo=LOCAL_TZ, fold=1)
    return first.utcoffset() == second.utcoffset() and first.astimezone(dt.timezone.utc) == moment.astimezone(
        dt.timezone.utc
    )


def _timed_property(event: Event, name: str, moment: dt.datetime) -> bool:
    """Add DTSTART/DTEND; returns True when written with the Pacific TZID."""
    if _is_unambiguous_local(moment):
        local = moment.astimezone(LOCAL_TZ).replace(tzinfo=None)
        event.add(name, local, parameters={"TZID": TZID})
        return True
    event.add(name, moment.astimezone(dt.timezone.utc))
    return False


@dataclass
class EventSpec:
    """What one VEVENT says; timed (starts_at/ends_at aware) or all-day (first_day/last_day inclusive)."""

    uid: str
    summary: str
    stamp: dt.datetime
    sequence: int = 0
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # CONFIRMED | TENTATIVE | CANCELLED
    last_modified: dt.datetime | None = None
    attendee: tuple[str, str] | None = None  # (name, email) for invites
    organizer: bool = False
    categories: tuple[str, ...] = field(default_factory=tuple)


def build_event(spec: EventSpec) -> tuple[Event, bool]:
    """The VEVENT and whether it uses the Pacific VTIMEZONE."""
    event = Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", spec.stamp.astimezone(dt.timezone.utc))
    uses_zone = False
    if spec.first_day is not None:
        last_day = spec.last_day or spec.first_day
        event.add("dtstart", spec.first_day)
        # DTEND of an all-day event is exclusive: the day after the last day.
        event.add("dtend", last_day + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    else:
        if spec.starts_at is None or spec.ends_at is None:
            raise ValueError("a timed event needs starts_at and ends_at")
        uses_zone = _timed_property(event, "dtstart", spec.starts_at)
        uses_zone = _timed_property(event, "dtend", spec.ends_at) or uses_zone
        event.add("transp", "OPAQUE")
    event.add("sequence", spec.sequence)
    event.add("summary", spec.summary)
    if spec.location:
        event.add("location", spec.location)
    if spec.description:
        event.add("description", spec.description)
    if spec.url:
        event.add("url", spec.url)
    event.add("status", spec.status)
    if spec.last_modified is not None:
        event.add("last-modified", spec.last_modified.astimezone(dt.timezone.utc))
    if spec.categories:
        event.add("categories", list(spec.categories))
    if spec.organizer:
        organizer = vCalAddress(f"mailto:{ORGANIZER_EMAIL}")
        organizer.params["CN"] = vText(ORGANIZER_NAME)
        event.add("organizer", organizer)
    if spec.attendee is not None:
        name, email = spec.attendee
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["CN"] = vText(name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["CUTYPE"] = vText("INDIVIDUAL")
        # They registered themselves: the seat is theirs, so no RSVP is asked of them.
        attendee.params["PARTSTAT"] = vText("DECLINED" if spec.status == "CANCELLED" else "ACCEPTED")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee)
    return event, uses_zone


@dataclass
class FeedHeader:
    """Calendar-level properties of a subscribed feed."""

    name: str
    description: str = ""
    refresh: dt.timedelta = dt.timedelta(hours=1)


class BytesLRU:
    """Bytes by key, least recently used out first, bounded in total size."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def get(self, key: str) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if key in self._entries or len(body) > self.max_bytes:
            return
        self._entries[key] = body
        self._size += len(body)
        while self._size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped)

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0


_END = b"END:VCALENDAR\r\n"
_ZONE_MARK = f"TZID={TZID}".encode()


@lru_cache(maxsize=1)
def _pacific_timezone_text() -> bytes:
    return pacific_timezone().to_ical()


def _event_text(spec: EventSpec, cache: BytesLRU | None) -> bytes:
    """One VEVENT's text; with a cache, an event that did not change is not written again."""
    key = repr(spec) if cache is not None else ""
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    text = build_event(spec)[0].to_ical()
    if cache is not None:
        cache.put(key, text)
    return text


def serialize(
    events: list[EventSpec],
    *,
    method: str | None = None,
    name: str | None = None,
    feed: FeedHeader | None = None,
    event_cache: BytesLRU | None = None,
) -> bytes:
    """One VCALENDAR with the given events; METHOD only for iTIP messages (REQUEST, CANCEL) and PUBLISH files."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    title = feed.name if feed else name
    if title:
        # icalendar writes properties it has no type for (NAME, X-*) verbatim: a comma in a title
        # would split it into several values for strict readers (vobject), so these are typed.
        calendar.add("x-wr-calname", vText(title))
        calendar.add("name", vText(title))
    if feed is not None:
        calendar.add("x-wr-timezone", TZID)
        if feed.description:
            calendar.add("x-wr-caldesc", vText(feed.description))
            calendar.add("description", feed.description)
        calendar.add("refresh-interval", feed.refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(feed.refresh))  # untyped, a timedelta would be "1:00:00"
    head = calendar.to_ical()
    assert head.endswith(_END)
    bodies = [_event_text(spec, event_cache) for spec in events]
    # The VTIMEZONE comes before the events, and only when one of them names it.
    zone = _pacific_timezone_text() if any(_ZONE_MARK in body for body in bodies) else b""
    return b"".join((head[: -len(_END)], zone, *bodies, _END))


def session_location(session: dict) -> str:
    parts = [
        part for part in (session.get("venue_name"), session.get("room_name"), session.get("venue_address")) if part
    ]
    if session.get("location_note"):
        parts.append(session["location_note"])
    if session.get("online_url"):
        parts.append(f"Online: {session['online_url']}")
    return ", ".join(parts)


def offering_page_url(offering_id: int, kind: str = "workshop") -> str:
    """Where people read about the offering: a workshop's page or a cohort's."""
    section = "cohorts" if kind == "cohort" else "workshops"
    return f"{current_settings().base_url}/{section}/{offering_id}"


def session_summary(title: str, number: int, count: int) -> str:
    return title if count <= 1 else f"{title} (session {number} of {count})"


def session_description(title: str, session: dict, page_url: str, extra: str = "") -> str:
    lines = [f"Sacramento County Office of Education professional learning: {title}."]
    if extra:
        lines.append(extra)
    if session.get("online_url"):
        lines.append(f"Join online: {session['online_url']}")
    lines.append(f"Details: {page_url}")
    return "\n".join(lines)
