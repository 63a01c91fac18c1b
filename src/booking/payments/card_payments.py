"""Reading card payments (finance and staff): the list, and one payment with its refunds."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.errors import NotFound
from booking.payments.refunds import refundable_cents, refunds_of
from booking.payments.tables import CardPayment

LIST_LIMIT = 200


def _require_finance_or_staff(actor: Actor) -> None:
    actor.require(("finance", "staff"), "Only SCOE finance and staff see card payments.")


_LIST_COLUMNS = (
    CardPayment.id,
    CardPayment.purpose,
    CardPayment.description,
    CardPayment.amount_cents,
    CardPayment.status,
    CardPayment.amount_refunded_cents,
    CardPayment.outcome,
    CardPayment.created_at,
    CardPayment.paid_at,
    CardPayment.registration,
    CardPayment.invoice,
    CardPayment.payment_intent_id,
    CardPayment.payer.name.as_alias("payer_name"),
    CardPayment.payer.email.as_alias("payer_email"),
)


async def card_payments(actor: Actor, status: str | None = None) -> list[dict]:
    _require_finance_or_staff(actor)
    query = (
        CardPayment.select(*_LIST_COLUMNS)
        .order_by(CardPayment.created_at, ascending=False)
        .order_by(CardPayment.id, ascending=False)
        .limit(LIST_LIMIT)
    )
    if status:
        query = query.where(CardPayment.status == status)
    return await query


async def card_payment_with_refunds(actor: Actor, card_payment_id: int) -> tuple[dict, list[dict], int]:
    """The payment, its refunds (oldest first, with who asked) and what can still be refunded."""
    _require_finance_or_staff(actor)
    payment = await CardPayment.select(*_LIST_COLUMNS).where(CardPayment.id == card_payment_id).first()
    if payment is None:
        raise NotFound("No such card payment.")
    refunds = await refunds_of([card_payment_id])
    asked_by = {row["requested_by"] for row in refunds if row["requested_by"]}
    names = (
        {row["id"]: row["name"] for row in await User.select(User.id, User.name).where(User.id.is_in(list(asked_by)))}
        if asked_by
        else {}
    )
    refunds = [{**row, "requested_by_name": names.get(row["requested_by"], "Automatic")} for row in refunds]
    full = await CardPayment.select().where(CardPayment.id == card_payment_id).first()
    available = await refundable_cents(full) if full["status"] == "paid" else 0
    return payment, refunds, available
