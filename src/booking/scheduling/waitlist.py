"""The waiting list: first come, first served; promotion when a seat frees; leaving; staff reorder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from booking.accounts.actor import Actor
from booking.catalog.offerings import lock_offering, sessions_of  # lock_offering: imported from here by many
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.scheduling import history
from booking.scheduling.capacity import seat_counts_for
from booking.scheduling.notices import notify_attendee
from booking.scheduling.registration_lifecycle import EXPIRED_HOLD_REASONS, HOLD_STATUSES, S, transition
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import Registration

OFFER_WINDOW = dt.timedelta(hours=48)
__all__ = ["EXPIRED_HOLD_REASONS", "OFFER_WINDOW", "lock_offering", "promote_waitlist", "release_expired_holds"]


async def release_expired_holds(offering: dict, now: dt.datetime) -> int:
    """Expired holds already count as free seats; this records them as ended and tells the person."""
    expired = cast(
        list[RegistrationRow],
        await Registration.select().where(
            (Registration.offering == offering["id"])
            & Registration.status.is_in(list(HOLD_STATUSES))
            & (Registration.hold_expires_at <= now)
        ),
    )
    for registration in expired:
        reason = EXPIRED_HOLD_REASONS[registration["status"]]
        ended = await transition(registration, S.CANCELLED, kind="hold_expired", now=now, reason=reason)
        await notify_attendee(registration, offering, ended.follow_up.email, reason=reason)
    return len(expired)


def offer_deadline(offering_sessions: list[dict], now: dt.datetime) -> dt.datetime:
    deadline = now + OFFER_WINDOW
    if offering_sessions:
        deadline = min(deadline, offering_sessions[0]["starts_at"])
    return max(deadline, now + dt.timedelta(hours=1))


async def promote_waitlist(offering: dict, now: dt.datetime | None = None) -> list[int]:
    """Fill free seats from the head of the list. Must run inside the locked write transaction."""
    now = now or utc_now()
    await release_expired_holds(offering, now)
    counts = await seat_counts_for(offering, now)
    free = counts.seats_left
    promoted: list[int] = []
    if free <= 0 or counts.waitlisted == 0:
        return promoted
    waiting = cast(
        list[RegistrationRow],
        await Registration.select()
        .where((Registration.offering == offering["id"]) & (Registration.status == S.WAITLISTED.value))
        .order_by(Registration.waitlist_rank)
        .order_by(Registration.id)
        .limit(free),
    )
    sessions = await sessions_of([offering["id"]])
    offering = {**offering, "sessions": sessions}
    for registration in waiting:
        already_paid = registration["amount_paid_cents"] >= registration["amount_cents"]
        if registration["amount_cents"] == 0 or registration["payer"] == "district" or already_paid:
            new_status, hold = S.CONFIRMED, None
        else:
            new_status, hold = S.OFFERED, offer_deadline(sessions, now)
        promotion = await transition(registration, new_status, kind="promoted", now=now, hold_expires_at=hold)
        # An offered seat is a payment hold, not yet theirs: its invite comes with the confirmation.
        await notify_attendee(
            promotion.registration, offering, promotion.follow_up.email, invite=promotion.follow_up.invite
        )
        promoted.append(registration["id"])
    return promoted


async def waitlist_position(registration: Mapping[str, Any]) -> int | None:
    """`registration`: a row with its status, offering and waitlist_rank (a registration, or a cohort application's)."""
    if registration["status"] != S.WAITLISTED:
        return None
    ahead = await Registration.count().where(
        (Registration.offering == registration["offering"])
        & (Registration.status == S.WAITLISTED.value)
        & (Registration.waitlist_rank < registration["waitlist_rank"])
    )
    return ahead + 1


async def reorder(
    actor: Actor, registration_id: int, new_position: int, reason: str, offering_id: int | None = None
) -> None:
    """Staff move someone on the list; the reason is recorded. `offering_id`, when given, must match."""
    actor.require("staff", "Only SCOE program staff reorder a waiting list.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": "Say why the order changes; it is recorded."})
    if new_position < 1:
        raise InvalidInput({"position": "Positions start at 1."})
    async with write_transaction():
        registration = cast(
            RegistrationRow | None, await Registration.select().where(Registration.id == registration_id).first()
        )
        if registration is None or (offering_id is not None and registration["offering"] != offering_id):
            raise NotFound("No such registration.")
        await lock_offering(registration["offering"])
        if registration["status"] != S.WAITLISTED:
            raise Conflict("Only someone on the waiting list can be moved.")
        queue = (
            await Registration.select(Registration.id)
            .where((Registration.offering == registration["offering"]) & (Registration.status == S.WAITLISTED.value))
            .order_by(Registration.waitlist_rank)
        )
        order = [row["id"] for row in queue if row["id"] != registration_id]
        old_position = [row["id"] for row in queue].index(registration_id) + 1
        order.insert(min(new_position, len(order) + 1) - 1, registration_id)
        for rank, reg_id in enumerate(order, start=1):
            await Registration.update({Registration.waitlist_rank: rank}).where(Registration.id == reg_id)
        await history.record(
            registration_id,
            "waitlist_reordered",
            from_status="waitlisted",
            to_status="waitlisted",
            actor_id=actor.id,
            note=f"position {old_position} → {min(new_position, len(order))}: {reason}",
        )
