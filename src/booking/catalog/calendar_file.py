"""GET /offerings/{id}.ics: every session of a published offering as an iCalendar file, for anyone.

Each session is one VEVENT with a stable UID (`session-<id>@<host of BOOKING_BASE_URL>`), so
a calendar that imports the file again updates the events instead of doubling them, and
SEQUENCE grows with every change staff make to the session. Times are written in UTC;
cancelled sessions (and every session of a cancelled offering) carry STATUS:CANCELLED.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from litestar import Controller, Response, get
from litestar.params import FromPath

from booking.catalog.offerings import get_offering, sessions_of
from booking.clock import utc_now
from booking.errors import NotFound
from booking.settings import current_settings

PRODID = "-//Sacramento County Office of Education//Professional Learning//EN"
_FILE_NAME = re.compile(r"^(\d{1,18})\.ics$")


def _location(session: dict) -> str:
    parts = [part for part in (session.get("venue_name"), session.get("room_name"), session.get("venue_address")) if part]
    if session.get("location_note"):
        parts.append(session["location_note"])
    if session.get("online_url"):
        parts.append(f"Online: {session['online_url']}")
    return ", ".join(parts)


def offering_calendar(offering: dict, sessions: list[dict], now: dt.datetime | None = None) -> bytes:
    settings = current_settings()
    host = urlsplit(settings.base_url).hostname or "localhost"
    page_url = f"{settings.base_url}/workshops/{offering['id']}"
    stamp = (now or utc_now()).astimezone(dt.timezone.utc)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", offering["title"])
    count = len(sessions)
    for number, session in enumerate(sessions, start=1):
        event = Event()
        event.add("uid", f"session-{session['id']}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", session["starts_at"].astimezone(dt.timezone.utc))
        event.add("dtend", session["ends_at"].astimezone(dt.timezone.utc))
        event.add("sequence", session["sequence"] or 0)
        event.add("summary", offering["title"] if count == 1 else f"{offering['title']} (session {number} of {count})")
        location = _location(session)
        if location:
            event.add("location", location)
        description = [f"Sacramento County Office of Education professional learning: {offering['title']}."]
        if session.get("online_url"):
            description.append(f"Join online: {session['online_url']}")
        description.append(f"Workshop page: {page_url}")
        event.add("description", "\n".join(description))
        event.add("url", page_url)
        cancelled = session["status"] == "cancelled" or offering["status"] == "cancelled"
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


class CalendarFileController(Controller):
    path = "/offerings"
    include_in_schema = False

    @get("/{file_name:str}", cache_control=None)
    async def offering_ics(self, file_name: FromPath[str]) -> Response:
        match = _FILE_NAME.match(file_name)
        if match is None:
            raise NotFound("No such calendar file.")
        offering_id = int(match.group(1))
        # The file is public: what anyone may see, so a draft is 404 even for staff.
        offering = await get_offering(None, offering_id)
        sessions = await sessions_of([offering_id], include_cancelled=True)
        return Response(
            content=offering_calendar(offering, sessions),
            media_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="workshop-{offering_id}.ics"',
                "Cache-Control": "no-cache",
            },
        )
