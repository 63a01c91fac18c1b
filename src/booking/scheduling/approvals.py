"""A district's coordinators approve (or decline) paid PD billed to their district.

Only registrations of the coordinator's own district are in scope: any other id is 404.
Each decision runs in one write transaction holding the offering's lock; the seat was
held until `hold_expires_at`, and a hold that ran out cannot be approved any more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.clock import format_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.scheduling.notices import notify_attendee
from booking.scheduling.registration_lifecycle import S, transition
from booking.scheduling.rows import ApprovalRow, RegistrationRow
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering, promote_waitlist

REASON_MAX = 300

APPROVAL_COLUMNS = (
    Registration.id,
    Registration.offering,
    Registration.attendee,
    Registration.status,
    Registration.payer,
    Registration.po_number,
    Registration.amount_cents,
    Registration.hold_expires_at,
    Registration.created_at,
    Registration.confirmed_at,
    Registration.cancelled_at,
    Registration.cancel_reason,
    Registration.offering.title.as_alias("offering_title"),
    Registration.attendee.name.as_alias("attendee_name"),
    Registration.attendee.email.as_alias("attendee_email"),
    Registration.attendee.school.name.as_alias("school_name"),
)


def _require_coordinator(actor: Actor) -> None:
    if not actor.is_coordinator or actor.district_id is None:
        raise Forbidden("Only a district's coordinators approve its registrations.")


def _of_my_district(actor: Actor):
    return Registration.attendee.district == actor.district_id


def _decorate(row: dict[str, Any], now: dt.datetime) -> ApprovalRow:
    waiting = row["status"] == S.PENDING_APPROVAL
    row["expired"] = waiting and (row["hold_expires_at"] is None or row["hold_expires_at"] <= now)
    # What the row shows and allows, so the template compares no status strings.
    row["awaits_decision"] = waiting
    row["can_decide"] = waiting and not row["expired"]
    row["was_approved"] = row["status"] == S.CONFIRMED
    row["was_declined"] = row["status"] == S.CANCELLED
    return cast(ApprovalRow, row)


async def pending_approvals(actor: Actor, now: dt.datetime | None = None) -> list[ApprovalRow]:
    """Registrations of the coordinator's district waiting for a decision, soonest deadline first.

    Holds that ran out are listed too (marked `expired`), until the waiting list's next
    promotion records them as ended, so a coordinator sees why they can no longer approve.
    """
    _require_coordinator(actor)
    now = now or utc_now()
    rows = (
        await Registration.select(*APPROVAL_COLUMNS)
        .where(_of_my_district(actor) & (Registration.status == S.PENDING_APPROVAL.value))
        .order_by(Registration.hold_expires_at)
        .order_by(Registration.id)
    )
    sessions = await sessions_of(list({row["offering"] for row in rows}))
    first: dict[int, dict] = {}
    for session in sessions:
        first.setdefault(session["offering"], session)
    for row in rows:
        row["first_session"] = first.get(row["offering"])
    return [_decorate(row, now) for row in rows]


async def approval_row(actor: Actor, registration_id: int, now: dt.datetime | None = None) -> ApprovalRow:
    """One registration of the coordinator's district, as its row on the approvals page shows it."""
    _require_coordinator(actor)
    row = (
        await Registration.select(*APPROVAL_COLUMNS)
        .where((Registration.id == registration_id) & _of_my_district(actor))
        .first()
    )
    if row is None:
        raise NotFound("No such registration.")
    sessions = await sessions_of([row["offering"]])
    row["first_session"] = sessions[0] if sessions else None
    return _decorate(row, now or utc_now())


async def _locked_pending(actor: Actor, registration_id: int, now: dt.datetime) -> tuple[RegistrationRow, dict]:
    """The registration (re-read under its offering's lock) and the offering; refuses what cannot be decided."""
    row = (
        await Registration.select(Registration.id, Registration.offering)
        .where((Registration.id == registration_id) & _of_my_district(actor))
        .first()
    )
    if row is None:
        raise NotFound("No such registration.")
    offering = await lock_offering(row["offering"])
    registration = cast(RegistrationRow, await Registration.select().where(Registration.id == registration_id).first())
    if registration["status"] != S.PENDING_APPROVAL:
        decided = {S.CONFIRMED: "already approved", S.CANCELLED: "already declined or cancelled"}.get(
            registration["status"], "not waiting for approval"
        )
        raise Conflict(f"This registration is {decided}.", code="not_pending_approval")
    expires = registration["hold_expires_at"]
    if expires is None or expires <= now:
        when = format_local(expires) if expires else "earlier"
        raise Conflict(
            f"The seat was held for approval until {when} and has been released. "
            "The person can register again if seats are left.",
            code="approval_expired",
        )
    return registration, offering


async def approve(actor: Actor, registration_id: int, now: dt.datetime | None = None) -> ApprovalRow:
    _require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        registration, offering = await _locked_pending(actor, registration_id, now)
        approved = await transition(registration, S.CONFIRMED, kind="approved", now=now, actor_id=actor.id)
        await notify_attendee(
            approved.registration,
            offering,
            approved.follow_up.email,
            approved_by=actor.name,
            invite=approved.follow_up.invite,
        )
    return await approval_row(actor, registration_id, now)


async def decline(actor: Actor, registration_id: int, reason: str = "", now: dt.datetime | None = None) -> ApprovalRow:
    _require_coordinator(actor)
    now = now or utc_now()
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Use at most {REASON_MAX} characters."})
    async with write_transaction():
        registration, offering = await _locked_pending(actor, registration_id, now)
        declined = await transition(
            registration,
            S.CANCELLED,
            kind="declined",
            now=now,
            actor_id=actor.id,
            reason=f"Declined by the district{': ' + reason if reason else ''}",
            note=reason,
        )
        await notify_attendee(
            declined.registration, offering, declined.follow_up.email, declined_by=actor.name, reason=reason
        )
        if declined.follow_up.frees_seat:
            await promote_waitlist(offering, now)  # the held seat goes to the first person waiting
    return await approval_row(actor, registration_id, now)
