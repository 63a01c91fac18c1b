"""Cancel an offering with its refunds: the workshop, every live registration and waiting-list place, the money.

One transaction under the offering's lock (catalog changes the offering and its sessions,
scheduling ends the registrations, payments marks the card refunds and credits invoiced
district seats, notifications tells each person); the card refunds are sent to Stripe after
the commit (the worker retries those it could not send).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog.offerings import STAFF_ONLY, sessions_of
from booking.catalog.sessions import people_to_tell
from booking.catalog.tables import Offering, OfferingSession
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput
from booking.notifications.invites import sessions_cancelled_invite
from booking.notifications.outbox import enqueue_email
from booking.payments.cancelled_seats import credit_on_cancellation
from booking.payments.card_registrations import refund_paid_registration
from booking.payments.refunds import submit_refund
from booking.scheduling import history
from booking.scheduling.registration_lifecycle import S, transition
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering

CANCEL_REASON_MAX = 300


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: int
    refunds_due: int


async def cancel_offering(actor: Actor, offering_id: int, reason: str, now: dt.datetime | None = None) -> CancelOutcome:
    """Cancel the workshop and every live registration and waiting-list place, telling each person.

    Registrations that were paid get a `refund_due` event, and their card payments a full refund."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": "Say why the workshop is cancelled; the people registered read it."})
    if len(reason) > CANCEL_REASON_MAX:
        raise InvalidInput({"reason": f"Use at most {CANCEL_REASON_MAX} characters."})
    async with write_transaction():
        offering = await lock_offering(offering_id)
        if offering["status"] == "cancelled":
            raise Conflict("This workshop is already cancelled.", code="already_cancelled")
        if offering["status"] == "completed":
            raise Conflict("This workshop is completed; it cannot be cancelled.", code="offering_closed")
        open_registrations = (
            await Registration.select()
            .where((Registration.offering == offering_id) & (Registration.status != S.CANCELLED.value))
            .order_by(Registration.id)
        )
        told = {r["id"] for r in await people_to_tell(offering_id, now)}
        await Offering.update({Offering.status: "cancelled", Offering.updated_at: now}).where(
            Offering.id == offering_id
        )
        # Calendars replace an event only when its SEQUENCE grows.
        await OfferingSession.update({OfferingSession.sequence: OfferingSession.sequence + 1}).where(
            (OfferingSession.offering == offering_id) & (OfferingSession.status == "scheduled")
        )
        sessions = await sessions_of([offering_id])  # read after the bump: the CANCEL invites carry the new SEQUENCE
        refunds = 0
        refund_ids: list[int] = []
        note = f"Workshop cancelled: {reason}"
        for registration in open_registrations:
            # The whole offering ends: nobody is promoted, so the follow-up's freed seat is not acted on.
            ended = await transition(
                registration, S.CANCELLED, kind="cancelled", now=now, actor_id=actor.id, reason=note
            )
            if registration["amount_paid_cents"] > 0:
                refunds += 1
                await history.record(
                    registration["id"],
                    "refund_due",
                    from_status=S.CANCELLED,
                    to_status=S.CANCELLED,
                    actor_id=actor.id,
                    note=f"{registration['amount_paid_cents']} cents paid; {note}",
                )
            if ended.follow_up.refund_card_payment:
                # Card payments are refunded in full, sent to Stripe after this commit (the worker retries).
                refund_ids += await refund_paid_registration(registration, note, actor.id)
            # A district-billed seat already invoiced: credited on that invoice now, or listed for finance.
            await credit_on_cancellation(registration["id"], now)
            if registration["id"] in told:
                attendee = (
                    await Registration.select(
                        Registration.attendee.name.as_alias("name"), Registration.attendee.email.as_alias("email")
                    )
                    .where(Registration.id == registration["id"])
                    .first()
                )
                # Only an invited confirmed seat has events to remove; waiting places and holds have none.
                invite = None
                if registration["status"] == S.CONFIRMED and registration["calendar_invited"]:
                    invite = sessions_cancelled_invite(
                        registration["id"], offering, sessions, (attendee["name"], attendee["email"])
                    )
                await enqueue_email(
                    attendee["email"],
                    "offering_cancelled",
                    {
                        "name": attendee["name"],
                        "offering": offering,
                        "sessions": sessions,
                        "reason": reason,
                        "waitlisted": registration["status"] == S.WAITLISTED,
                        "paid_cents": registration["amount_paid_cents"],
                        "calendar_invite": "cancel" if invite else None,
                    },
                    attachments=(invite,) if invite else (),
                )
    for refund_id in refund_ids:
        await submit_refund(refund_id)
    return CancelOutcome(cancelled=len(open_registrations), refunds_due=refunds)
