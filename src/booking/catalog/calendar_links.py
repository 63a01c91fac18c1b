"""One-click "add this session" links for Google Calendar and Outlook, beside the .ics file.

Web calendars cannot import a file from a link, but they accept an event in the address; times
go in UTC, so no client has to interpret a zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from booking.catalog.rows import OfferingColumns, SessionRow
from booking.ical_writer import offering_page_url, session_location, session_summary

_DESCRIPTION_LIMIT = 600  # long addresses are cut by some browsers and proxies


@dataclass(frozen=True)
class QuickAddLinks:
    google: str
    outlook: str
    office365: str


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


def session_links(offering: OfferingColumns, session: SessionRow, number: int, count: int) -> QuickAddLinks:
    title = session_summary(offering["title"], number, count)
    page_url = offering_page_url(offering["id"], offering.get("kind", "workshop"))
    details = f"Sacramento County Office of Education professional learning.\nDetails: {page_url}"
    if session.get("online_url"):
        details += f"\nJoin online: {session['online_url']}"
    details = details[:_DESCRIPTION_LIMIT]
    location = session_location(session)
    start, end = _utc(session["starts_at"]), _utc(session["ends_at"])
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
            "details": details,
            "location": location,
            "ctz": "America/Los_Angeles",
        }
    )
    outlook_query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "enddt": f"{end:%Y-%m-%dT%H:%M:%SZ}",
            "location": location,
            "body": details,
        }
    )
    return QuickAddLinks(
        google=google,
        outlook=f"https://outlook.live.com/calendar/0/deeplink/compose?{outlook_query}",
        office365=f"https://outlook.office.com/calendar/0/deeplink/compose?{outlook_query}",
    )


def quick_add_links(offering: OfferingColumns, sessions: list[SessionRow]) -> list[QuickAddLinks]:
    """Links for each scheduled session, in the order given."""
    return [session_links(offering, session, number, len(sessions)) for number, session in enumerate(sessions, start=1)]
