"""A coordinator's card payment on an invoice allocates itself; anything beyond what is open is district credit."""

from __future__ import annotations

import datetime as dt

from booking.money import plain_amount
from booking.payments.allocation import allocate, lock_invoices
from booking.payments.balances import balances_for
from booking.payments.fiscal import local_today
from booking.payments.tables import PaymentReceived


async def apply_invoice_payment(card_payment: dict, amount_cents: int, now: dt.datetime) -> tuple[str, list[int]]:
    invoice = (await lock_invoices([card_payment["invoice"]]))[card_payment["invoice"]]
    payment = (
        await PaymentReceived.insert(
            PaymentReceived(
                district=invoice["district"],
                method="card",
                amount_cents=amount_cents,
                received_on=local_today(now),
                reference=card_payment.get("payment_intent_id") or f"card payment {card_payment['id']}",
                note=f"Card payment on invoice {invoice['number']}",
                card_payment=card_payment["id"],
                recorded_by=card_payment["payer"],
                recorded_at=now,
            )
        ).returning(PaymentReceived.id)
    )[0]
    open_cents = (await balances_for([invoice]))[invoice["id"]].open_cents
    applied = min(open_cents, amount_cents)
    if applied > 0:
        await allocate(payment["id"], invoice, applied, card_payment["payer"], note="Card payment")
    if applied < amount_cents:
        return (
            f"Applied {plain_amount(applied)} USD; {plain_amount(amount_cents - applied)} USD kept as district credit",
            [],
        )
    return f"Applied {plain_amount(applied)} USD to invoice {invoice['number']}", []
