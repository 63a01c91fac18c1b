"""Refunds of card payments, from the request to Stripe's final answer.

A refund is first a row ("requested") written in the transaction that decided it; it is sent to
Stripe after the commit with an idempotency key made from its id, so sending it twice (a retry by
the worker, a crash between the call and our write) can never refund twice. Stripe's answer, and
later its refund.updated events, carry it to "succeeded" or "failed".
"""

from __future__ import annotations

import datetime as dt
import logging

import stripe

from booking.accounts.actor import Actor
from booking.audit.trail import record
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.money import format_cents
from booking.payments.checkout import idempotency_key
from booking.payments.gateway import stripe_client
from booking.payments.tables import CardPayment, Refund
from booking.scheduling.tables import Registration

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
FINAL = ("succeeded", "failed")


async def refundable_cents(card_payment: dict) -> int:
    in_flight = await Refund.select(Refund.amount_cents).where(
        (Refund.card_payment == card_payment["id"]) & Refund.status.is_in(["requested", "pending"])
    )
    return (
        card_payment["amount_cents"]
        - card_payment["amount_refunded_cents"]
        - sum(row["amount_cents"] for row in in_flight)
    )


async def queue_refund(card_payment: dict, amount_cents: int, reason: str, actor_id: int | None = None) -> int:
    """Record a refund to send; call inside the deciding transaction."""
    rows = await Refund.insert(
        Refund(card_payment=card_payment["id"], amount_cents=amount_cents, reason=reason[:300], requested_by=actor_id)
    ).returning(Refund.id)
    await record(
        "refund.requested",
        actor_id=actor_id,
        subject=f"refund {rows[0]['id']} of card payment {card_payment['id']}",
        detail={
            "refund_id": rows[0]["id"],
            "card_payment_id": card_payment["id"],
            "amount_cents": amount_cents,
            "reason": reason[:300],
        },
    )
    return rows[0]["id"]


async def request_refund(actor: Actor, card_payment_id: int, amount_cents: int | None, reason: str) -> int:
    """Staff or finance refund part or all of a card payment."""
    actor.require(("finance", "staff"), "Only SCOE staff and finance refund payments.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": "Say why: the reason is kept with the refund."})
    async with write_transaction():
        await lock_rows_for_update(CardPayment, CardPayment.id == card_payment_id)
        payment = await CardPayment.select().where(CardPayment.id == card_payment_id).first()
        if payment is None:
            raise NotFound("No such card payment.")
        if payment["status"] != "paid":
            raise Conflict("Only a completed card payment can be refunded.", code="not_paid")
        available = await refundable_cents(payment)
        amount_cents = available if amount_cents is None else amount_cents
        if available <= 0:
            raise Conflict(
                "This payment is already fully refunded (or a refund is on its way).", code="nothing_to_refund"
            )
        if amount_cents <= 0 or amount_cents > available:
            raise InvalidInput({"amount": f"Refund between $0.01 and {format_cents(available)}."})
        return await queue_refund(payment, amount_cents, reason, actor.id)


async def submit_refund(refund_id: int) -> str:
    """Send one requested refund to Stripe (idempotent); returns its status afterwards."""
    refund = await Refund.select().where(Refund.id == refund_id).first()
    if refund is None or refund["status"] != "requested":
        return refund["status"] if refund else "missing"
    payment = await CardPayment.select().where(CardPayment.id == refund["card_payment"]).first()
    try:
        answer = await stripe_client().v1.refunds.create_async(
            {
                "payment_intent": payment["payment_intent_id"],
                "amount": refund["amount_cents"],
                "reason": "requested_by_customer",
                "metadata": {"refund_id": str(refund_id), "card_payment_id": str(payment["id"])},
            },
            options={"idempotency_key": idempotency_key("refund", refund_id, refund["requested_at"])},
        )
    except stripe.StripeError as error:
        log.warning("Refund %s was not accepted by Stripe: %s", refund_id, error)
        async with write_transaction():
            row = await Refund.select(Refund.attempts).where(Refund.id == refund_id).first()
            attempts = row["attempts"] + 1
            # A refusal (not a network failure) will not change by retrying.
            gave_up = attempts >= MAX_ATTEMPTS or isinstance(error, stripe.InvalidRequestError)
            await Refund.update(
                {
                    Refund.attempts: attempts,
                    Refund.failure_message: str(error.user_message or error)[:300],
                    Refund.status: "failed" if gave_up else "requested",
                }
            ).where(Refund.id == refund_id)
        return "failed" if gave_up else "requested"
    return await record_refund_state(refund_id, answer.id, answer.status)


async def record_refund_state(
    refund_id: int, stripe_refund_id: str, status: str, failure: str = "", now: dt.datetime | None = None
) -> str:
    """Apply what Stripe says about a refund once: a final state is never left or counted twice."""
    now = now or utc_now()
    status = {"canceled": "failed", "requires_action": "pending"}.get(status, status)
    if status not in ("pending", "succeeded", "failed"):
        status = "pending"
    async with write_transaction():
        await lock_rows_for_update(Refund, Refund.id == refund_id)
        refund = await Refund.select().where(Refund.id == refund_id).first()
        if refund is None:
            return "missing"
        if refund["status"] in FINAL:
            return refund["status"]
        values = {
            Refund.stripe_refund_id: stripe_refund_id,
            Refund.status: status,
            Refund.attempts: refund["attempts"] + 1,
        }
        if status in FINAL:
            values[Refund.completed_at] = now
        if failure:
            values[Refund.failure_message] = failure[:300]
        await Refund.update(values).where(Refund.id == refund_id)
        if status == "succeeded":
            await _count_refunded(refund)
    return status


async def _count_refunded(refund: dict) -> None:
    payment = await CardPayment.select().where(CardPayment.id == refund["card_payment"]).first()
    await CardPayment.update(
        {CardPayment.amount_refunded_cents: payment["amount_refunded_cents"] + refund["amount_cents"]}
    ).where(CardPayment.id == payment["id"])
    if payment["registration"] is not None:
        registration = (
            await Registration.select(Registration.amount_paid_cents)
            .where(Registration.id == payment["registration"])
            .first()
        )
        await Registration.update(
            {Registration.amount_paid_cents: max(0, registration["amount_paid_cents"] - refund["amount_cents"])}
        ).where(Registration.id == payment["registration"])


async def refund_by_stripe_object(refund_object: dict, now: dt.datetime | None = None) -> str:
    """A refund.* event or a refund inside charge.refunded: find ours by metadata or Stripe id."""
    refund_id = None
    metadata = refund_object.get("metadata") or {}
    if str(metadata.get("refund_id", "")).isdigit():
        refund_id = int(metadata["refund_id"])
    else:
        row = await Refund.select(Refund.id).where(Refund.stripe_refund_id == refund_object.get("id")).first()
        refund_id = row["id"] if row else None
    if refund_id is None:
        return "refund made outside the platform: not ours"
    status = await record_refund_state(
        refund_id,
        refund_object["id"],
        refund_object.get("status") or "pending",
        refund_object.get("failure_reason") or "",
        now,
    )
    return f"refund {refund_id} {status}"


async def submit_requested_refunds(limit: int = 20) -> int:
    """The worker's retry: send refunds that were recorded but not (yet) accepted by Stripe."""
    rows = await Refund.select(Refund.id).where(Refund.status == "requested").order_by(Refund.id).limit(limit)
    for row in rows:
        await submit_refund(row["id"])
    return len(rows)


async def refunds_of(card_payment_ids: list[int]) -> list[dict]:
    if not card_payment_ids:
        return []
    return await Refund.select().where(Refund.card_payment.is_in(card_payment_ids)).order_by(Refund.id)
