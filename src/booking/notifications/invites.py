"""Calendar invites (iTIP, RFC 5546) attached to the emails a registration's changes already send.

Only a confirmed seat gets an invite. Each VEVENT's UID belongs to one registration and one
session, so a person who cancels and registers again gets fresh UIDs that no calendar has seen
cancelled. SEQUENCE follows the session's `sequence` column, which every reschedule, move and
cancellation bumps; a registration that ends leaves the session as it was, so its CANCEL
carries `sequence + 1`: calendars drop a CANCEL whose SEQUENCE is below the last REQUEST's,
and Outlook and Apple only act on one strictly above it.

The summary is the offering's title without "session n of m": an invite update touches one
session, and a number that changes when another session is added or cancelled would leave the
other events in the person's calendar saying something stale.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from booking.clock import utc_now
from booking.ical_writer import (
    EventSpec,
    calendar_host,
    offering_page_url,
    serialize,
    session_description,
    session_location,
)
from booking.notifications.outbox import Attachment

INVITE_FILENAME = "invite.ics"
InviteKind = Literal["request", "cancel"]


def invite_uid(registration_id: int, session_id: int) -> str:
    return f"registration-{registration_id}-session-{session_id}@{calendar_host()}"


def _event(
    registration_id: int,
    offering: dict,
    session: dict,
    attendee: tuple[str, str],
    *,
    cancelled: bool,
    sequence: int,
    stamp: dt.datetime,
) -> EventSpec:
    page_url = offering_page_url(offering["id"], offering.get("kind", "workshop"))
    return EventSpec(
        uid=invite_uid(registration_id, session["id"]),
        summary=offering["title"],
        stamp=stamp,
        sequence=sequence,
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        location=session_location(session),
        description=session_description(offering["title"], session, page_url),
        url=page_url,
        status="CANCELLED" if cancelled else "CONFIRMED",
        organizer=True,
        attendee=attendee,
    )


def _attachment(method: str, events: list[EventSpec]) -> Attachment | None:
    if not events:
        return None  # an iTIP message needs at least one event; an offering without sessions has none
    return Attachment(INVITE_FILENAME, "text/calendar", serialize(events, method=method), method=method)


def request_invite(
    registration_id: int,
    offering: dict,
    sessions: list[dict],
    attendee: tuple[str, str],
    now: dt.datetime | None = None,
) -> Attachment | None:
    """METHOD:REQUEST adding (or updating) the given sessions in the attendee's calendar, at their current SEQUENCE."""
    stamp = now or utc_now()
    return _attachment(
        "REQUEST",
        [
            _event(
                registration_id,
                offering,
                session,
                attendee,
                cancelled=False,
                sequence=session["sequence"] or 0,
                stamp=stamp,
            )
            for session in sessions
            if session["status"] == "scheduled"
        ],
    )


def sessions_cancelled_invite(
    registration_id: int,
    offering: dict,
    sessions: list[dict],
    attendee: tuple[str, str],
    now: dt.datetime | None = None,
) -> Attachment | None:
    """METHOD:CANCEL for sessions that were cancelled: the cancellation already bumped their SEQUENCE."""
    stamp = now or utc_now()
    return _attachment(
        "CANCEL",
        [
            _event(
                registration_id,
                offering,
                session,
                attendee,
                cancelled=True,
                sequence=session["sequence"] or 0,
                stamp=stamp,
            )
            for session in sessions
        ],
    )


def registration_ended_invite(
    registration_id: int,
    offering: dict,
    sessions: list[dict],
    attendee: tuple[str, str],
    now: dt.datetime | None = None,
) -> Attachment | None:
    """METHOD:CANCEL for every scheduled session of a registration that ended; the sessions themselves did not change."""
    stamp = now or utc_now()
    return _attachment(
        "CANCEL",
        [
            _event(
                registration_id,
                offering,
                session,
                attendee,
                cancelled=True,
                sequence=(session["sequence"] or 0) + 1,
                stamp=stamp,
            )
            for session in sessions
            if session["status"] == "scheduled"
        ],
    )
