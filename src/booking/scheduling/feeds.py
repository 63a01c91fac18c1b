"""What a private calendar feed contains, and answering for it cheaply.

A feed is rebuilt from the database on every request, but only as far as the list of events
(plain data, cheap); the events' fingerprint is the ETag. Turning events into iCalendar text is
the expensive part, so the text is cached under that fingerprint: any change to what the feed
shows changes the fingerprint, so the cache never serves stale text and needs no invalidation
messages between app servers. A 304 costs one query and no iCalendar work at all.

Person feeds hold the person's confirmed registrations (and live holds as TENTATIVE) and the
sessions they facilitate, for all time; a district coordinator's also hold the district's Sly Park
weeks (all-day, offers still open as TENTATIVE). Staff feeds (venue, room, program) hold every session not
cancelled from a year ago onward; drafts appear as TENTATIVE because they already take the room.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from booking.accounts.tables import User
from booking.catalog.calendar_file import public_session_uid
from booking.catalog.offerings import SESSION_COLUMNS
from booking.catalog.tables import OfferingFacilitator, OfferingSession
from booking.clock import format_local, utc_now
from booking.ical_writer import (
    BytesLRU,
    EventSpec,
    FeedHeader,
    calendar_host,
    offering_page_url,
    serialize,
    session_description,
    session_location,
    session_summary,
)
from booking.scheduling.capacity import hold_is_live
from booking.scheduling.feed_tokens import feed_for_token, scope_name
from booking.scheduling.registration_lifecycle import SEAT_STATUSES, S
from booking.scheduling.tables import CalendarFeed, Registration
from booking.settings import current_settings

FORMAT_VERSION = "feed-v2"  # bump when the writer's output changes, so clients refetch
STAFF_FEED_HISTORY = dt.timedelta(days=365)
FETCH_STAMP_EVERY = dt.timedelta(minutes=15)
FEED_COLUMNS = (
    *SESSION_COLUMNS,
    OfferingSession.offering.title.as_alias("title"),
    OfferingSession.offering.status.as_alias("offering_status"),
    OfferingSession.offering.updated_at.as_alias("offering_updated_at"),
    OfferingSession.offering.kind.as_alias("offering_kind"),
)
HOLD_NOTES = {
    "pending_approval": "Waiting for your district's approval: the seat is held for you.",
    "offered": "A seat is offered to you: accept it on the workshop page by {deadline}.",
    "pending_payment": "Your seat is held until payment is complete ({deadline}).",
}


def _spec(
    session: dict, number: int, count: int, *, status: str = "CONFIRMED", prefix: str = "", note: str = ""
) -> EventSpec:
    page_url = offering_page_url(session["offering"], session["offering_kind"])
    changed = session["offering_updated_at"]
    return EventSpec(
        uid=public_session_uid(session["id"]),
        summary=prefix + session_summary(session["title"], number, count),
        stamp=changed,
        last_modified=changed,
        sequence=session["sequence"] or 0,
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        location=session_location(session),
        description=session_description(session["title"], session, page_url, extra=note),
        url=page_url,
        status=status,
    )


def _numbered(sessions: list[dict]) -> dict[int, tuple[int, int]]:
    """Session id -> (its number, how many) within its offering, in time order."""
    by_offering: dict[int, list[dict]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    numbers = {}
    for group in by_offering.values():
        group.sort(key=lambda s: (s["starts_at"], s["id"]))
        for index, session in enumerate(group, start=1):
            numbers[session["id"]] = (index, len(group))
    return numbers


async def _scheduled_sessions(where) -> list[dict]:
    return (
        await OfferingSession.select(*FEED_COLUMNS)
        .where(where & (OfferingSession.status == "scheduled") & (OfferingSession.offering.status != "cancelled"))
        .order_by(OfferingSession.starts_at)
        .order_by(OfferingSession.id)
    )


async def _slypark_events(person_id: int, now: dt.datetime) -> list[EventSpec]:
    """A coordinator's district's Sly Park weeks: confirmed bookings, and offers still open as TENTATIVE, all day."""
    # Up a layer (slypark sits above scheduling): known and listed in pyproject's import-linter contract; inside
    # the function because slypark imports scheduling.
    from booking.slypark.beds import holds_beds
    from booking.slypark.tables import Booking, BookingEvent

    person = await User.select(User.role, User.district).where(User.id == person_id).first()
    if person is None or person["role"] != "coordinator" or person["district"] is None:
        return []
    bookings = (
        await Booking.select(
            Booking.id,
            Booking.status,
            Booking.offer_expires_at,
            Booking.boys,
            Booking.girls,
            Booking.created_at,
            Booking.confirmed_at,
            Booking.school.name.as_alias("school_name"),
            Booking.week.starts_on.as_alias("starts_on"),
            Booking.week.ends_on.as_alias("ends_on"),
        )
        .where((Booking.district == person["district"]) & Booking.status.is_in(["confirmed", "offered"]))
        .order_by(Booking.id)
    )
    bookings = [booking for booking in bookings if holds_beds(booking, now)]
    changes: dict[int, list] = {}  # a move (a week closed) changes the booking after its confirmation
    if bookings:
        for row in await BookingEvent.select(BookingEvent.booking, BookingEvent.kind, BookingEvent.at).where(
            BookingEvent.booking.is_in([booking["id"] for booking in bookings])
        ):
            changes.setdefault(row["booking"], []).append(row)
    base_url = current_settings().base_url
    events = []
    for booking in bookings:
        confirmed = booking["status"] == "confirmed"
        moves = [row for row in changes.get(booking["id"], []) if row["kind"] == "moved"]
        stamp = max(
            moment
            for moment in (booking["created_at"], booking["confirmed_at"], *(row["at"] for row in moves))
            if moment is not None
        )
        students = booking["boys"] + booking["girls"]
        note = "" if confirmed else f"Offered: accept it by {format_local(booking['offer_expires_at'])}."
        url = f"{base_url}/slypark/bookings/{booking['id']}"
        events.append(
            EventSpec(
                uid=f"slypark-booking-{booking['id']}@{calendar_host()}",
                summary=f"Sly Park: {booking['school_name']} ({students} students)",
                stamp=stamp,
                last_modified=stamp,
                first_day=booking["starts_on"],
                last_day=booking["ends_on"],
                location="Sly Park Environmental Education Center, 5600 Sly Park Road, Pollock Pines, CA",
                description=" ".join(part for part in (note, url) if part),
                url=url,
                status="CONFIRMED" if confirmed else "TENTATIVE",
                sequence=len(moves),
            )
        )
    return events


async def person_events(person_id: int, now: dt.datetime) -> list[EventSpec]:
    outdoor_school = await _slypark_events(person_id, now)
    registrations = await Registration.select(
        Registration.offering,
        Registration.status,
        Registration.hold_expires_at,
    ).where((Registration.attendee == person_id) & Registration.status.is_in(list(SEAT_STATUSES)))
    attending: dict[int, dict] = {}
    for registration in registrations:
        if registration["status"] == S.CONFIRMED or hold_is_live(registration, now):
            attending[registration["offering"]] = registration
    facilitating = {
        row["offering"]
        for row in await OfferingFacilitator.select(OfferingFacilitator.offering).where(
            OfferingFacilitator.user == person_id
        )
    }
    offering_ids = sorted(set(attending) | facilitating)
    if not offering_ids:
        return outdoor_school
    sessions = await _scheduled_sessions(OfferingSession.offering.is_in(offering_ids))
    numbers = _numbered(sessions)
    events = []
    for session in sessions:
        number, count = numbers[session["id"]]
        if session["offering"] in facilitating:
            draft = session["offering_status"] == "draft"
            events.append(
                _spec(
                    session,
                    number,
                    count,
                    status="TENTATIVE" if draft else "CONFIRMED",
                    prefix="Draft – facilitating: " if draft else "Facilitating: ",
                )
            )
            continue
        if session["offering_status"] == "draft":
            continue  # nobody registers for a draft; a workshop moved back to draft is not on
        registration = attending[session["offering"]]
        if registration["status"] == S.CONFIRMED:
            events.append(_spec(session, number, count))
        else:
            deadline = format_local(registration["hold_expires_at"])
            events.append(
                _spec(
                    session,
                    number,
                    count,
                    status="TENTATIVE",
                    note=HOLD_NOTES[registration["status"]].format(deadline=deadline),
                )
            )
    return events + outdoor_school


async def staff_events(scope: str, scope_id: int, now: dt.datetime) -> list[EventSpec]:
    where = {
        "venue": OfferingSession.room.venue == scope_id,
        "room": OfferingSession.room == scope_id,
        "program": OfferingSession.offering.program == scope_id,
    }[scope]
    sessions = await _scheduled_sessions(where & (OfferingSession.ends_at >= now - STAFF_FEED_HISTORY))
    events = []
    for session in sessions:
        draft = session["offering_status"] == "draft"
        events.append(
            _spec(session, 1, 1, status="TENTATIVE" if draft else "CONFIRMED", prefix="Draft: " if draft else "")
        )
    return events


# Whole files by fingerprint (a 200 without any writing), and single events by content (a feed
# where one session changed is rebuilt from the cached text of all the others).
feed_text_cache = BytesLRU(64 * 1024 * 1024)
feed_event_cache = BytesLRU(64 * 1024 * 1024)


@dataclass
class FeedAnswer:
    not_modified: bool
    etag: str
    last_modified: dt.datetime
    name: str
    body: bytes = b""

    @property
    def last_modified_header(self) -> str:
        return format_datetime(self.last_modified.astimezone(dt.timezone.utc).replace(microsecond=0), usegmt=True)


def _fingerprint(header: FeedHeader, events: list[EventSpec]) -> str:
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    digest.update(repr(header).encode())
    for event in events:
        digest.update(repr(event).encode())
    return f'"{digest.hexdigest()[:40]}"'


def etag_matches(etag: str, if_none_match: str | None) -> bool:
    if not if_none_match:
        return False
    candidates = [candidate.strip() for candidate in if_none_match.split(",")]
    # Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
    return "*" in candidates or etag in [candidate.removeprefix("W/") for candidate in candidates]


def unchanged_since(last_modified: dt.datetime, if_modified_since: str | None) -> bool:
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # a malformed date is ignored, as RFC 9110 asks
    if since is None or since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


async def _remember(feed: dict, etag: str, now: dt.datetime) -> dt.datetime:
    """Record a new fingerprint's first sighting (Last-Modified) and, now and then, the last fetch."""
    changed_at = feed["content_changed_at"]
    values = {}
    if feed["content_etag"] != etag or changed_at is None:
        changed_at = now
        values.update({CalendarFeed.content_etag: etag, CalendarFeed.content_changed_at: now})
    if feed["last_fetched_at"] is None or now - feed["last_fetched_at"] >= FETCH_STAMP_EVERY:
        values[CalendarFeed.last_fetched_at] = now
    if values:
        await CalendarFeed.update(values).where(CalendarFeed.id == feed["id"])
    return changed_at


async def answer_feed(
    token: str,
    *,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    now: dt.datetime | None = None,
) -> FeedAnswer:
    """The feed behind `token`, or a not-modified answer; NotFound for an unknown or revoked token."""
    now = now or utc_now()
    feed = await feed_for_token(token)
    name = await scope_name(feed["scope"], feed["scope_id"])
    if feed["scope"] == "person":
        header = FeedHeader(name=name, description=f"Workshops and sessions of {feed['owner_name']}, from SCOE.")
        events = await person_events(feed["owner"], now)
    else:
        header = FeedHeader(name=name, description="Every session scheduled here, from SCOE's booking platform.")
        events = await staff_events(feed["scope"], feed["scope_id"], now)
    etag = _fingerprint(header, events)
    last_modified = await _remember(feed, etag, now)
    answer = FeedAnswer(not_modified=False, etag=etag, last_modified=last_modified, name=name)
    if etag_matches(etag, if_none_match) or (
        if_none_match is None and unchanged_since(last_modified, if_modified_since)
    ):
        answer.not_modified = True
        return answer
    body = feed_text_cache.get(etag)
    if body is None:
        body = serialize(events, feed=header, event_cache=feed_event_cache)
        feed_text_cache.put(etag, body)
    answer.body = body
    return answer
