"""Sessions of an offering: add one, reschedule or move it, cancel it.

Every change people must hear about bumps the session's `sequence` (calendar clients accept an
updated event only with a higher SEQUENCE) and emails, through the outbox and in the same
transaction, everyone holding a live registration and everyone on the waiting list; confirmed
seats also get the changed session as a calendar invite (notifications.invites).
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog import conflicts
from booking.catalog.offerings import SESSION_COLUMNS, STAFF_ONLY, lock_offering, sessions_of, touch
from booking.catalog.rows import SessionRow
from booking.catalog.tables import OfferingFacilitator, OfferingSession
from booking.catalog.validation import MAX_SESSIONS, SessionInput, check_session
from booking.clock import format_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.notifications.invites import request_invite, sessions_cancelled_invite
from booking.notifications.outbox import Attachment, enqueue_email
from booking.scheduling.capacity import hold_is_live
from booking.scheduling.registration_lifecycle import HOLD_STATUSES, S
from booking.scheduling.tables import Registration

TOLD_STATUSES = (S.CONFIRMED, *HOLD_STATUSES, S.WAITLISTED)
CLOSED_OFFERING_STATUSES = ("cancelled", "completed")


def checked_session(data: SessionInput) -> SessionInput:
    """Validate one session; field names as the session form uses them (starts_at, ends_at, ...)."""
    data = SessionInput(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        room_id=data.room_id,
        online_url=(data.online_url or "").strip(),
        location_note=(data.location_note or "").strip(),
    )
    try:
        check_session(data, prefix="session")
    except InvalidInput as error:
        raise InvalidInput(
            {key.removeprefix("session."): message for key, message in error.field_errors.items()}
        ) from None
    return data


async def get_session(offering_id: int, session_id: int) -> SessionRow:
    row = (
        await OfferingSession.select(*SESSION_COLUMNS)
        .where((OfferingSession.id == session_id) & (OfferingSession.offering == offering_id))
        .first()
    )
    if row is None:
        raise NotFound("No such session of this workshop.")
    return row


async def facilitator_ids_of(offering_id: int) -> set[int]:
    rows = await OfferingFacilitator.select(OfferingFacilitator.user).where(OfferingFacilitator.offering == offering_id)
    return {row["user"] for row in rows}


async def people_to_tell(offering_id: int, now: dt.datetime) -> list[dict]:
    """Registrations whose people hear of a change: confirmed, live holds, and the waiting list."""
    rows = (
        await Registration.select(
            Registration.id,
            Registration.attendee,
            Registration.status,
            Registration.hold_expires_at,
            Registration.calendar_invited,
            Registration.attendee.name.as_alias("name"),
            Registration.attendee.email.as_alias("email"),
        )
        .where((Registration.offering == offering_id) & Registration.status.is_in(list(TOLD_STATUSES)))
        .order_by(Registration.id)
    )
    return [r for r in rows if r["status"] not in HOLD_STATUSES or hold_is_live(r, now)]


def _session_invite(person: dict, offering: dict, change: str, session: SessionRow) -> Attachment | None:
    """Invited confirmed seats get the changed session as an invite (its SEQUENCE already bumped); others do not."""
    if person["status"] != S.CONFIRMED or not person["calendar_invited"]:
        return None
    attendee = (person["name"], person["email"])
    if change == "cancelled":
        return sessions_cancelled_invite(person["id"], offering, [session], attendee)
    return request_invite(person["id"], offering, [session], attendee)


async def tell_people(
    offering: dict,
    change: str,
    session: SessionRow,
    previous: SessionRow | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> int:
    """One `session_changed` email per person; inside the caller's transaction.

    `session` is the session as it is now (after the change), so an invite carries its new SEQUENCE."""
    now = now or utc_now()
    people = await people_to_tell(offering["id"], now)
    sessions = await sessions_of([offering["id"]])
    for person in people:
        invite = _session_invite(person, offering, change, session)
        await enqueue_email(
            person["email"],
            "session_changed",
            {
                "name": person["name"],
                "offering": offering,
                "change": change,
                "session": session,
                "previous": previous,
                "sessions": sessions,
                "reason": reason,
                "waitlisted": person["status"] == S.WAITLISTED,
                "calendar_invite": invite.method.lower() if invite else None,
            },
            attachments=(invite,) if invite else (),
        )
    return len(people)


def _refuse_closed(offering: dict) -> None:
    if offering["status"] in CLOSED_OFFERING_STATUSES:
        raise Conflict(
            f"This workshop is {offering['status']}; its sessions can no longer be changed.", code="offering_closed"
        )


async def add_session(
    actor: Actor,
    offering_id: int,
    data: SessionInput,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    Actor.require(actor, "staff", STAFF_ONLY)
    data = checked_session(data)
    async with write_transaction():
        offering = await lock_offering(offering_id)
        _refuse_closed(offering)
        if await OfferingSession.count().where(OfferingSession.offering == offering_id) >= MAX_SESSIONS:
            raise InvalidInput({"date": f"An offering can have at most {MAX_SESSIONS} sessions."})
        facilitators = await facilitator_ids_of(offering_id)
        await conflicts.lock_resources({data.room_id} if data.room_id else set(), facilitators)
        warnings = await conflicts.warnings_for(
            offering_id=offering_id,
            capacity=offering["capacity"],
            facilitator_ids=facilitators,
            slots=[conflicts.Slot(data.starts_at, data.ends_at, data.room_id)],
        )
        reason = conflicts.settle(warnings, override_reason)
        rows = await OfferingSession.insert(
            OfferingSession(
                offering=offering_id,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                room=data.room_id,
                online_url=data.online_url,
                location_note=data.location_note,
            )
        ).returning(OfferingSession.id)
        session_id = rows[0]["id"]
        await conflicts.record_overrides(actor, warnings, reason, {None: session_id})
        await touch(offering_id)
        if offering["status"] == "published":
            await tell_people(offering, "added", await get_session(offering_id, session_id), now=now)
    return session_id


PAST_SESSION_MESSAGE = (
    "This moves the session into the past ({when}). If you are recording when it really took place, "
    "tick “Record a session that already took place”: nobody is emailed about it."
)


async def reschedule_session(
    actor: Actor,
    offering_id: int,
    session_id: int,
    data: SessionInput,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
    *,
    record_past: bool = False,
) -> bool:
    """Move a session in time or place. Returns False when nothing changed (nobody is told).

    A session moved to a time already past is refused unless staff confirm (`record_past`) that they record
    history (the day it really took place); then nobody is emailed: there is nothing anyone could still do."""
    Actor.require(actor, "staff", STAFF_ONLY)
    data = checked_session(data)
    now = now or utc_now()
    async with write_transaction():
        offering = await lock_offering(offering_id)
        before = await get_session(offering_id, session_id)
        _refuse_closed(offering)
        if before["status"] != "scheduled":
            raise Conflict("This session is cancelled; add a new session instead.", code="session_cancelled")
        moved_in_time = (data.starts_at, data.ends_at) != (before["starts_at"], before["ends_at"])
        moved_room = data.room_id != before["room"]
        if not (
            moved_in_time
            or moved_room
            or data.online_url != before["online_url"]
            or data.location_note != before["location_note"]
        ):
            return False
        warnings: list[conflicts.ScheduleWarning] = []
        if moved_in_time or moved_room:
            facilitators = await facilitator_ids_of(offering_id) if moved_in_time else set()
            await conflicts.lock_resources({data.room_id} if data.room_id else set(), facilitators)
            warnings = await conflicts.warnings_for(
                offering_id=offering_id,
                capacity=offering["capacity"],
                facilitator_ids=facilitators,
                slots=[conflicts.Slot(data.starts_at, data.ends_at, data.room_id, session_id=session_id)],
                check_room_size=moved_room,
            )
        into_the_past = moved_in_time and data.starts_at < now
        if into_the_past and not record_past:
            raise InvalidInput({"record_past": PAST_SESSION_MESSAGE.format(when=format_local(data.starts_at))})
        reason = conflicts.settle(warnings, override_reason)
        await OfferingSession.update(
            {
                OfferingSession.starts_at: data.starts_at,
                OfferingSession.ends_at: data.ends_at,
                OfferingSession.room: data.room_id,
                OfferingSession.online_url: data.online_url,
                OfferingSession.location_note: data.location_note,
                OfferingSession.sequence: OfferingSession.sequence + 1,
            }
        ).where(OfferingSession.id == session_id)
        await conflicts.record_overrides(actor, warnings, reason)
        await touch(offering_id)
        if not into_the_past:
            await tell_people(
                offering, "rescheduled", await get_session(offering_id, session_id), previous=before, now=now
            )
    return True


async def cancel_session(
    actor: Actor, offering_id: int, session_id: int, reason: str = "", now: dt.datetime | None = None
) -> None:
    Actor.require(actor, "staff", STAFF_ONLY)
    reason = " ".join((reason or "").split())
    if len(reason) > 300:
        raise InvalidInput({"reason": "Use at most 300 characters."})
    async with write_transaction():
        offering = await lock_offering(offering_id)
        session = await get_session(offering_id, session_id)
        _refuse_closed(offering)
        if session["status"] != "scheduled":
            raise Conflict("This session is already cancelled.", code="session_cancelled")
        remaining = await OfferingSession.count().where(
            (OfferingSession.offering == offering_id) & (OfferingSession.status == "scheduled")
        )
        if remaining <= 1 and offering["status"] == "published":
            raise Conflict(
                "This is the workshop's only session. Cancel the whole workshop instead, so everyone "
                "registered is told and refunds are handled.",
                code="last_session",
            )
        await OfferingSession.update(
            {
                OfferingSession.status: "cancelled",
                OfferingSession.sequence: OfferingSession.sequence + 1,
            }
        ).where(OfferingSession.id == session_id)
        await touch(offering_id)
        await tell_people(offering, "cancelled", await get_session(offering_id, session_id), reason=reason, now=now)
