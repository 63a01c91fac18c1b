"""Finance's settings for card payments, kept in the database so they change without a deploy."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Forbidden, InvalidInput
from booking.payments.tables import PaymentSetting

LATE_PAYMENT = "late_payment"
# What happens to a card payment that arrives after its hold expired and the seat went to someone else.
LATE_PAYMENT_CHOICES = {
    "refund": "Refund it automatically",
    "waitlist": "Put the person on the waiting list and keep the payment as their credit",
}
DEFAULTS = {LATE_PAYMENT: "refund"}


async def setting(key: str) -> str:
    row = await PaymentSetting.select(PaymentSetting.value).where(PaymentSetting.key == key).first()
    return row["value"] if row else DEFAULTS[key]


async def late_payment_policy() -> str:
    return await setting(LATE_PAYMENT)


async def set_late_payment_policy(actor: Actor, value: str, now: dt.datetime | None = None) -> None:
    if not (actor.is_finance or actor.is_staff):
        raise Forbidden("Only SCOE staff change payment settings.")
    if value not in LATE_PAYMENT_CHOICES:
        raise InvalidInput({"late_payment": "Choose refund or waiting list."})
    async with write_transaction():
        if await PaymentSetting.exists().where(PaymentSetting.key == LATE_PAYMENT):
            await PaymentSetting.update({PaymentSetting.value: value, PaymentSetting.updated_by: actor.id,
                                         PaymentSetting.updated_at: now or utc_now()}).where(PaymentSetting.key == LATE_PAYMENT)
        else:
            await PaymentSetting.insert(PaymentSetting(key=LATE_PAYMENT, value=value, updated_by=actor.id))
