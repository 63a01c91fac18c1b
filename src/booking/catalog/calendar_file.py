"""GET /offerings/{id}.ics: every session of a published offering as an iCalendar file, for anyone.

Each session is one VEVENT with a stable UID (`session-<id>@<host of BOOKING_BASE_URL>`), so
a calendar that imports the file again updates the events instead of doubling them, and
SEQUENCE grows with every change staff make to the session. Times are Pacific, with a VTIMEZONE;
cancelled sessions (and every session of a cancelled offering) carry STATUS:CANCELLED.
"""

from __future__ import annotations

import datetime as dt
import re

from litestar import Controller, Response, get
from litestar.params import FromPath

from booking.catalog.offerings import get_offering, sessions_of
from booking.catalog.rows import OfferingColumns, SessionRow
from booking.clock import utc_now
from booking.errors import NotFound
from booking.ical_writer import (
    EventSpec,
    calendar_host,
    offering_page_url,
    serialize,
    session_description,
    session_location,
    session_summary,
)

_FILE_NAME = re.compile(r"^([0-9]{1,18})\.ics$")


def public_session_uid(session_id: int) -> str:
    return f"session-{session_id}@{calendar_host()}"


def offering_calendar(offering: OfferingColumns, sessions: list[SessionRow], now: dt.datetime | None = None) -> bytes:
    page_url = offering_page_url(offering["id"], offering.get("kind", "workshop"))
    stamp = now or utc_now()
    count = len(sessions)
    events = []
    for number, session in enumerate(sessions, start=1):
        cancelled = session["status"] == "cancelled" or offering["status"] == "cancelled"
        events.append(
            EventSpec(
                uid=public_session_uid(session["id"]),
                summary=session_summary(offering["title"], number, count),
                stamp=stamp,
                sequence=session["sequence"] or 0,
                starts_at=session["starts_at"],
                ends_at=session["ends_at"],
                location=session_location(session),
                description=session_description(offering["title"], session, page_url),
                url=page_url,
                status="CANCELLED" if cancelled else "CONFIRMED",
            )
        )
    return serialize(events, method="PUBLISH", name=offering["title"])


class CalendarFileController(Controller):
    path = "/offerings"
    include_in_schema = False

    @get("/{file_name:str}", cache_control=None, name="catalog.offering_calendar")
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
