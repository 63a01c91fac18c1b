"""Cancel a registration with its refunds: the seat goes to the waiting list at once, a card payment
is refunded in full, an invoiced district seat is credited (scheduling and payments in one transaction)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from booking.accounts.actor import Actor
from booking.clock import format_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, Forbidden
from booking.payments.cancelled_seats import credit_on_cancellation
from booking.payments.card_registrations import refund_paid_registration
from booking.payments.refunds import submit_refund
from booking.scheduling.notices import notify_attendee
from booking.scheduling.registration_lifecycle import S, transition
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import Registration
from booking.scheduling.visibility import get_visible_registration
from booking.scheduling.waitlist import lock_offering, promote_waitlist


async def cancel_registration(
    actor: Actor, registration_id: int, reason: str = "", now: dt.datetime | None = None
) -> RegistrationRow:
    now = now or utc_now()
    if actor.role == "finance":
        raise Forbidden("Finance staff read registrations but do not cancel them.")
    reason = " ".join((reason or "").split())[:300]
    async with write_transaction():
        registration = await get_visible_registration(actor, registration_id)
        offering = await lock_offering(registration["offering"])
        registration = cast(
            RegistrationRow, await Registration.select().where(Registration.id == registration_id).first()
        )
        if registration["status"] == S.CANCELLED:
            raise Conflict("This registration is already cancelled.", code="already_cancelled")
        if offering["kind"] == "cohort":
            # The application owns a cohort place: withdrawing it also hands the place to the waiting list.
            raise Conflict(
                "A cohort place ends by withdrawing the application, on the participant's application page.",
                code="cohort_place",
            )
        deadline = offering["cancellation_deadline"]
        # Leaving a waiting list frees nobody's seat, so the cancellation deadline does not apply to it.
        if not actor.is_staff and deadline is not None and now > deadline and registration["status"] != S.WAITLISTED:
            raise Conflict(
                f"The cancellation deadline was {format_local(deadline)}. Please contact SCOE's program staff.",
                code="cancellation_deadline_passed",
            )
        ended = await transition(
            registration,
            S.CANCELLED,
            kind="cancelled",
            now=now,
            actor_id=actor.id,
            reason=reason or f"Cancelled by {actor.name}",
            note=reason,
        )
        # Only a confirmed seat was ever sent an invite; a waiting place or a hold has nothing to remove.
        await notify_attendee(
            ended.registration,
            offering,
            ended.follow_up.email,
            reason=reason,
            by_self=actor.id == registration["attendee"],
            invite=ended.follow_up.invite,
        )
        refund_ids: list[int] = []
        if ended.follow_up.refund_card_payment:
            # A paid card seat that is given up is refunded in full (sent to Stripe after this commit).
            refund_ids = await refund_paid_registration(registration, reason or f"Cancelled by {actor.name}", actor.id)
        # A district-billed seat already invoiced: credited on that invoice now, or listed for finance (their setting).
        await credit_on_cancellation(registration_id, now)
        if ended.follow_up.frees_seat:
            await promote_waitlist(offering, now)
    for refund_id in refund_ids:
        await submit_refund(refund_id)
    return cast(RegistrationRow, await Registration.select().where(Registration.id == registration_id).first())
