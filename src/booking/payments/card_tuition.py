"""A participant's card payment meets its tuition instalment: paid once; anything else is refunded."""

from __future__ import annotations

import datetime as dt

from booking.cohorts.tables import TuitionInstalment
from booking.db import lock_rows_for_update
from booking.payments.refunds import queue_refund


async def apply_tuition_payment(card_payment: dict, amount_cents: int, now: dt.datetime) -> tuple[str, list[int]]:
    await lock_rows_for_update(TuitionInstalment, TuitionInstalment.id == card_payment["instalment"])
    instalment = await TuitionInstalment.select().where(TuitionInstalment.id == card_payment["instalment"]).first()
    if instalment["status"] == "owed" and amount_cents == instalment["amount_cents"]:
        await TuitionInstalment.update({TuitionInstalment.status: "paid"}).where(
            TuitionInstalment.id == instalment["id"]
        )
        return f"Tuition payment {instalment['number']} of {instalment['of_count']} paid", []
    # Paid twice, withdrawn meanwhile, or an amount that does not match: never kept silently.
    reason = (
        "This tuition payment was already paid."
        if instalment["status"] == "paid"
        else "This tuition payment was no longer owed when the card payment arrived."
    )
    refund_id = await queue_refund(card_payment, amount_cents, reason)
    return f"Refunded: {reason}", [refund_id]
