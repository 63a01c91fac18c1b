"""Finance's settings for card payments, kept in the database so they change without a deploy."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import InvalidInput
from booking.payments.tables import PaymentSetting

LATE_PAYMENT = "late_payment"
# What happens to a card payment that arrives after its hold expired and the seat went to someone else.
LATE_PAYMENT_CHOICES = {
    "refund": "Refund it automatically",
    "waitlist": "Put the person on the waiting list and keep the payment as their credit",
}
CANCELLED_AFTER_INVOICING = "cancelled_after_invoicing"
# What happens when a district-billed seat is cancelled after its charge was invoiced. The default keeps a
# person in the loop (finance credits from a prepared list, one click per invoice); "automatic" issues the
# credit note in the cancelling transaction, for a finance office that would click every one anyway.
CANCELLED_AFTER_INVOICING_CHOICES = {
    "finance_list": "Finance credits it from the list of seats cancelled after invoicing",
    "automatic": "Issue the credit note automatically when the seat is cancelled",
}
DEFAULTS = {LATE_PAYMENT: "refund", CANCELLED_AFTER_INVOICING: "finance_list"}


async def setting(key: str) -> str:
    row = await PaymentSetting.select(PaymentSetting.value).where(PaymentSetting.key == key).first()
    return row["value"] if row else DEFAULTS[key]


async def late_payment_policy() -> str:
    return await setting(LATE_PAYMENT)


async def set_late_payment_policy(actor: Actor, value: str, now: dt.datetime | None = None) -> None:
    if value not in LATE_PAYMENT_CHOICES:
        _require_scoe(actor)
        raise InvalidInput({"late_payment": "Choose refund or waiting list."})
    await _save(actor, LATE_PAYMENT, value, now)


async def cancelled_after_invoicing_policy() -> str:
    return await setting(CANCELLED_AFTER_INVOICING)


async def set_cancelled_after_invoicing_policy(actor: Actor, value: str, now: dt.datetime | None = None) -> None:
    if value not in CANCELLED_AFTER_INVOICING_CHOICES:
        _require_scoe(actor)
        raise InvalidInput({"cancelled_after_invoicing": "Choose the finance list or automatic credit notes."})
    await _save(actor, CANCELLED_AFTER_INVOICING, value, now)


def _require_scoe(actor: Actor) -> None:
    actor.require(("finance", "staff"), "Only SCOE staff change payment settings.")


async def _save(actor: Actor, key: str, value: str, now: dt.datetime | None) -> None:
    _require_scoe(actor)
    async with write_transaction():
        if await PaymentSetting.exists().where(PaymentSetting.key == key):
            await PaymentSetting.update(
                {
                    PaymentSetting.value: value,
                    PaymentSetting.updated_by: actor.id,
                    PaymentSetting.updated_at: now or utc_now(),
                }
            ).where(PaymentSetting.key == key)
        else:
            await PaymentSetting.insert(PaymentSetting(key=key, value=value, updated_by=actor.id))
