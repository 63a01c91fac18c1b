"""Mark a workshop completed: PD hours awarded, its waiting list closed and any late card payment refunded.

Scheduling's rules (booking.scheduling.pd_hours) under the offering's lock; the refunds of the
closed waiting list are payments' (sent to Stripe after the commit).
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.catalog.tables import Offering
from booking.clock import format_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict
from booking.payments.card_registrations import refund_paid_registration
from booking.payments.refunds import submit_refund
from booking.scheduling.notices import notify_attendee
from booking.scheduling.pd_hours import (  # _apply_award: scheduling's award rule, shared with recompute_registration
    WAITLIST_CLOSED_REASON,
    AttendanceUnmarked,
    CompletionSummary,
    _apply_award,
    check_ids,
    evaluate,
    marks_for_offering,
    unmarked_attendance,
)
from booking.scheduling.registration_lifecycle import S, transition
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering


async def complete_offering(
    actor: Actor, offering_id: int, now: dt.datetime | None = None, *, confirm_unmarked: bool = False
) -> CompletionSummary:
    """Mark the offering completed, close its waiting list and award PD hours to everyone who met the rule (idempotent).

    With attendance still unmarked for someone, it is refused (AttendanceUnmarked, listing them) unless
    staff confirm. Whoever still waits is told the list is closed; a late card payment kept as credit while
    waiting is refunded (submitted after the commit)."""
    actor.require("staff", "Only SCOE program staff mark workshops completed.")
    check_ids(offering_id)
    now = now or utc_now()
    refund_ids: list[int] = []
    async with write_transaction():
        offering = await lock_offering(offering_id)
        if offering["status"] not in ("published", "completed"):
            raise Conflict(f"A {offering['status']} workshop cannot be marked completed.", code="not_completable")
        sessions = await sessions_of([offering_id])
        if not sessions:
            raise Conflict(
                "This workshop has no scheduled sessions, so nobody can have attended it.", code="no_sessions"
            )
        last_start = sessions[-1]["starts_at"]
        if last_start > now:
            raise Conflict(
                f"The last session starts on {format_local(last_start)}. Mark the workshop completed after it.",
                code="not_finished",
            )
        # A cohort's hours are judged per participant, with make-up work (cohorts.completion), not here.
        if not confirm_unmarked and offering["kind"] != "cohort":
            unmarked = await unmarked_attendance(offering_id, sessions, now)
            if unmarked:
                raise AttendanceUnmarked(unmarked)
        if offering["status"] != "completed":
            await Offering.update({Offering.status: "completed", Offering.updated_at: now}).where(
                Offering.id == offering_id
            )
            offering = {**offering, "status": "completed"}
        offering = {**offering, "sessions": sessions}
        registrations = (
            await Registration.select().where(Registration.offering == offering_id).order_by(Registration.id)
        )
        waitlist_closed = 0
        for registration in registrations:
            if registration["status"] != S.WAITLISTED:
                continue
            closed = await transition(
                registration,
                S.CANCELLED,
                kind="waitlist_closed",
                now=now,
                actor_id=actor.id,
                reason=WAITLIST_CLOSED_REASON,
            )
            await notify_attendee(
                closed.registration, offering, closed.follow_up.email, paid_cents=registration["amount_paid_cents"]
            )
            if closed.follow_up.refund_card_payment:
                refund_ids += await refund_paid_registration(registration, WAITLIST_CLOSED_REASON, actor.id)
            waitlist_closed += 1
        registrations = (
            await Registration.select().where(Registration.offering == offering_id).order_by(Registration.id)
        )
        marks = await marks_for_offering(offering_id)
        awarded = not_awarded = 0
        for registration in registrations:
            result = evaluate(offering, sessions, marks.get(registration["id"], {}))
            if await _apply_award(registration, offering, result, now, actor.id):
                awarded += 1
            elif registration["status"] == S.CONFIRMED:
                not_awarded += 1
    for refund_id in refund_ids:
        await submit_refund(refund_id)
    return CompletionSummary(awarded=awarded, not_awarded=not_awarded, waitlist_closed=waitlist_closed)
