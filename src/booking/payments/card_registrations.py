"""A completed card payment meets its registration, under the offering's lock.

The usual case confirms the held seat. The rest are the edges the issue names: a payment that
arrives after its hold expired is still welcome if the seat is free and nobody waits for it;
otherwise, by finance's setting, it is refunded or the person joins the waiting list with the
payment kept as credit. A second payment for a seat already paid, or for a registration that was
cancelled on purpose, is refunded. Never an oversold seat, never a silently kept payment.
"""

from __future__ import annotations

import datetime as dt

from booking.catalog.offerings import sessions_of
from booking.money import plain_amount
from booking.payments.policy import late_payment_policy
from booking.payments.refunds import queue_refund, refundable_cents
from booking.payments.tables import CardPayment
from booking.scheduling.capacity import seat_counts_for
from booking.scheduling.notices import notify_attendee
from booking.scheduling.registration_lifecycle import EXPIRED_HOLD_REASONS, S, registration_hold_ran_out, transition
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering, promote_waitlist

LATE_REFUND_REASON = "The payment arrived after the seat's hold had expired and the seat had gone to someone else."


async def apply_registration_payment(card_payment: dict, amount_cents: int, now: dt.datetime) -> tuple[str, list[int]]:
    """Returns (what happened, refund ids to submit to Stripe after the commit)."""
    registration = await Registration.select().where(Registration.id == card_payment["registration"]).first()
    offering = await lock_offering(registration["offering"])
    registration = (
        await Registration.select().where(Registration.id == registration["id"]).first()
    )  # re-read under lock
    offering = {**offering, "sessions": await sessions_of([offering["id"]])}
    status = registration["status"]
    already_paid = registration["amount_paid_cents"] >= registration["amount_cents"]

    if (
        status in (S.PENDING_PAYMENT, S.OFFERED)
        and registration["hold_expires_at"]
        and registration["hold_expires_at"] > now
    ):
        await _confirm(registration, offering, amount_cents, now, "paid")
        return "Seat confirmed", []
    if already_paid or status == S.CONFIRMED:
        refund_id = await queue_refund(
            card_payment, amount_cents, "This seat was already paid: a second payment is returned."
        )
        return "Refunded: the seat was already paid", [refund_id]
    deliberately_cancelled = status == S.CANCELLED and not registration_hold_ran_out(registration)
    if deliberately_cancelled or offering["status"] != "published":
        refund_id = await queue_refund(
            card_payment, amount_cents, "The registration was cancelled before the payment arrived."
        )
        return "Refunded: the registration was cancelled", [refund_id]

    # The hold expired (whether or not the sweeper has recorded it yet).
    counts = await seat_counts_for(offering, now)  # a lapsed hold, this one included, no longer takes a seat
    if counts.seats_left > 0 and counts.waitlisted == 0:
        await _confirm(registration, offering, amount_cents, now, "paid_after_hold")
        return "Seat confirmed: the hold had expired but the seat was still free", []
    if await late_payment_policy() == "waitlist":
        joined = await transition(
            registration,
            S.WAITLISTED,
            kind="paid_late_waitlisted",
            now=now,
            add_paid_cents=amount_cents,
            note="Payment kept as credit; confirmed at once when a seat frees.",
        )
        await notify_attendee(
            joined.registration,
            offering,
            joined.follow_up.email,
            amount_cents=amount_cents,
            waitlist_position=counts.waitlisted + 1,
        )
        return "Waiting list: payment kept as credit", []
    if status != S.CANCELLED:
        await transition(
            registration,
            S.CANCELLED,
            kind="hold_expired",
            now=now,
            reason=EXPIRED_HOLD_REASONS.get(status, LATE_REFUND_REASON),
        )
    refund_id = await queue_refund(card_payment, amount_cents, LATE_REFUND_REASON)
    await notify_attendee(
        {**registration, "status": S.CANCELLED.value}, offering, "card_payment_late_refunded", amount_cents=amount_cents
    )
    # A seat this late payer may not take (others wait for it) goes to the head of the waiting list now.

    await promote_waitlist(offering, now)
    return "Refunded: paid after the hold expired and the seat had gone", [refund_id]


async def _confirm(registration: dict, offering: dict, amount_cents: int, now: dt.datetime, kind: str) -> None:
    confirmed = await transition(
        registration,
        S.CONFIRMED,
        kind=kind,
        now=now,
        add_paid_cents=amount_cents,
        note=f"Card payment of {plain_amount(amount_cents)} USD",
    )
    await notify_attendee(
        confirmed.registration, offering, confirmed.follow_up.email, invite=confirmed.follow_up.invite
    )


async def refund_paid_registration(registration: dict, reason: str, actor_id: int | None = None) -> list[int]:
    """A paid card seat that ends (cancelled by the person or staff, or the workshop cancelled) is refunded in full.

    Runs inside the cancelling transaction; returns refund ids the caller submits after commit
    (the worker submits any it does not)."""
    if registration["payer"] != "card" or registration["amount_paid_cents"] <= 0:
        return []
    payments = await CardPayment.select().where(
        (CardPayment.registration == registration["id"]) & (CardPayment.status == "paid")
    )
    refund_ids: list[int] = []
    for payment in payments:
        refundable = await refundable_cents(payment)
        if refundable > 0:
            refund_ids.append(await queue_refund(payment, refundable, reason, actor_id))
    return refund_ids


async def release_abandoned_hold(card_payment: dict, now: dt.datetime) -> str:
    """The person left Stripe's page and the session expired: free the seat now (if this was its payment)."""
    registration = await Registration.select().where(Registration.id == card_payment["registration"]).first()
    offering = await lock_offering(registration["offering"])
    registration = await Registration.select().where(Registration.id == registration["id"]).first()
    if registration["status"] != S.PENDING_PAYMENT:
        return f"checkout expired; registration is {registration['status']}"
    other_open = await CardPayment.exists().where(
        (CardPayment.registration == registration["id"])
        & CardPayment.status.is_in(["created", "open"])
        & (CardPayment.id != card_payment["id"])
    )
    if other_open:
        return "checkout expired; another payment attempt is under way"
    reason = EXPIRED_HOLD_REASONS[S.PENDING_PAYMENT]
    released = await transition(registration, S.CANCELLED, kind="hold_expired", now=now, reason=reason)
    await notify_attendee(released.registration, offering, released.follow_up.email, reason=reason)
    if released.follow_up.frees_seat:
        await promote_waitlist(offering, now)
    return "checkout expired; seat released"
