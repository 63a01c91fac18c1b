"""A receipt for every card payment: an email when the payment arrives and a page the payer (or
finance) can open again. It says what was paid for, how much, when, and the payment's reference.

The card's last four digits are not shown: the Checkout Session the webhook brings does not carry
them, and asking Stripe for the charge would add a call to every payment for a detail people have
on their card statement anyway."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.errors import NotFound
from booking.notifications.outbox import enqueue_email
from booking.payments.tables import CardPayment

PURPOSE_WORDS = {"registration": "Workshop registration", "tuition": "Cohort tuition", "invoice": "District invoice"}


def receipt_number(card_payment: dict) -> str:
    return f"CP-{card_payment['id']:06d}"


async def send_card_receipt(card_payment: dict, paid_at: dt.datetime) -> None:
    """Queued in the webhook's transaction: a payment rolled back sends no receipt, a kept one always does."""
    if card_payment.get("payer") is None:
        return
    payer = await User.select(User.email, User.name).where(User.id == card_payment["payer"]).first()
    if payer is None:
        return
    await enqueue_email(
        payer["email"],
        "card_receipt",
        {
            "name": payer["name"],
            "payment": {**card_payment, "paid_at": paid_at},
            "number": receipt_number(card_payment),
            "purpose": PURPOSE_WORDS.get(card_payment["purpose"], "Payment"),
        },
    )


async def receipt_for(actor: Actor, card_payment_id: int) -> dict:
    """A paid card payment's receipt, for the person who paid and for SCOE finance."""
    payment = await CardPayment.select().where(CardPayment.id == card_payment_id).first()
    if payment is None or payment["status"] not in ("paid", "refunded") or payment["paid_at"] is None:
        raise NotFound("No such receipt.")
    if not (actor.is_finance or actor.is_admin or payment["payer"] == actor.id):
        raise NotFound("No such receipt.")
    return {
        **payment,
        "number": receipt_number(payment),
        "purpose_words": PURPOSE_WORDS.get(payment["purpose"], "Payment"),
    }


async def receipt_id_for_registration(registration_id: int) -> int | None:
    row = (
        await CardPayment.select(CardPayment.id)
        .where((CardPayment.registration == registration_id) & (CardPayment.status == "paid"))
        .order_by(CardPayment.id, ascending=False)
        .first()
    )
    return row["id"] if row else None
