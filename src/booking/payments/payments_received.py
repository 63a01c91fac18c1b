"""Checks and ACH transfers finance records, applied to one or several invoices.

Partial payments are allowed; whatever is not applied stays as the district's credit and can be
applied to later invoices. A check or ACH reference is recorded once per district, so the same
check entered twice is refused instead of counted twice.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.clock import utc_now
from booking.db import is_unique_violation, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound, collect_field_errors
from booking.money import parse_amount
from booking.payments.access import RECORDING, require_finance
from booking.payments.allocation import allocate, apply_credit, lock_district_payments, lock_invoices
from booking.payments.balances import district_credit_cents
from booking.payments.fiscal import local_today, parse_day
from booking.payments.tables import PaymentReceived

MANUAL_METHODS = {"check": "Check", "ach": "ACH transfer"}
REFERENCE_MAX = 80


def check_payment_form(values: dict, allocation_texts: dict[int, str], now: dt.datetime | None = None) -> dict:
    """Form text -> clean values; every bad field is reported at once."""
    errors: dict[str, str] = {}
    method = values.get("method") or ""
    if method not in MANUAL_METHODS:
        errors["method"] = "Choose check or ACH transfer."
    amount = collect_field_errors(errors, parse_amount, values.get("amount"), "amount")
    received_on = collect_field_errors(errors, parse_day, values.get("received_on"), "received_on")
    today = local_today(now)
    if received_on and received_on > today:
        errors["received_on"] = "A payment cannot be received in the future."
    elif received_on and received_on < today - dt.timedelta(days=3 * 365):
        errors["received_on"] = "That date is more than three years ago. Check the year."
    reference = " ".join((values.get("reference") or "").split())
    if not reference:
        errors["reference"] = "Enter the check number or the ACH trace number: it is how payments are matched."
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = f"Keep the reference under {REFERENCE_MAX} characters."
    note = " ".join((values.get("note") or "").split())[:300]
    allocations: dict[int, int] = {}
    for invoice_id, text in allocation_texts.items():
        if (text or "").strip():
            cents = collect_field_errors(errors, parse_amount, text, f"apply_{invoice_id}")
            if cents:
                allocations[invoice_id] = cents
    if amount and sum(allocations.values()) > amount:
        errors["amount"] = "The amounts applied to invoices add up to more than the payment."
    if errors:
        raise InvalidInput(errors)
    return {
        "method": method,
        "amount_cents": amount,
        "received_on": received_on,
        "reference": reference,
        "note": note,
        "allocations": allocations,
    }


async def record_payment(actor: Actor, district_id: int, clean: dict, now: dt.datetime | None = None) -> dict:
    """Record a check or ACH payment and apply it; the remainder becomes district credit."""
    require_finance(actor, RECORDING)
    now = now or utc_now()
    try:
        return await _record_payment(actor, district_id, clean, now)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # Two people entered the same check at the same moment: the database let one in.
        raise Conflict(
            f"{MANUAL_METHODS[clean['method']]} {clean['reference']} from this district is already recorded.",
            code="duplicate_payment",
        ) from None


async def _record_payment(actor: Actor, district_id: int, clean: dict, now: dt.datetime) -> dict:
    async with write_transaction():
        if not await District.exists().where(District.id == district_id):
            raise NotFound("No such district.")
        duplicate = (
            await PaymentReceived.select(PaymentReceived.received_on)
            .where(
                (PaymentReceived.district == district_id)
                & (PaymentReceived.method == clean["method"])
                & (PaymentReceived.reference == clean["reference"])
            )
            .first()
        )
        if duplicate:
            raise Conflict(
                f"{MANUAL_METHODS[clean['method']]} {clean['reference']} from this district is already recorded "
                f"(received {duplicate['received_on']}).",
                code="duplicate_payment",
            )
        invoices = await lock_invoices(list(clean["allocations"]))
        if len(invoices) != len(clean["allocations"]) or any(i["district"] != district_id for i in invoices.values()):
            raise NotFound("Some of these invoices are not this district's.")
        payment = (
            await PaymentReceived.insert(
                PaymentReceived(
                    district=district_id,
                    method=clean["method"],
                    amount_cents=clean["amount_cents"],
                    received_on=clean["received_on"],
                    reference=clean["reference"],
                    note=clean["note"],
                    recorded_by=actor.id,
                    recorded_at=now,
                )
            ).returning(*PaymentReceived.all_columns())
        )[0]
        for invoice_id, cents in sorted(clean["allocations"].items()):
            await allocate(payment["id"], invoices[invoice_id], cents, actor.id)
    return payment


async def apply_district_credit(actor: Actor, invoice_id: int, amount_cents: int | None = None) -> int:
    """Apply the district's unapplied payments to this invoice (all that fits when no amount is given)."""
    require_finance(actor, RECORDING)
    async with write_transaction():
        invoice = (await lock_invoices([invoice_id])).get(invoice_id)
        if invoice is None:
            raise NotFound("No such invoice.")
        await lock_district_payments(invoice["district"])
        available = await district_credit_cents(invoice["district"])
        if available <= 0:
            raise Conflict("This district has no credit to apply.", code="no_credit")
        if amount_cents is not None and amount_cents <= 0:
            raise InvalidInput({"amount": "Enter an amount above $0."})
        if amount_cents is not None and amount_cents > available:
            raise InvalidInput({"amount": "That is more than the district's credit."})
        applied = await apply_credit(invoice["district"], invoice, amount_cents or available, actor.id)
        if applied == 0:
            raise Conflict("This invoice has nothing open.", code="nothing_open")
    return applied


async def allocate_payment(actor: Actor, payment_id: int, invoice_id: int, amount_cents: int) -> None:
    """Apply part of an already recorded payment's unapplied remainder to an invoice."""
    from booking.payments.balances import unallocated_by_payment

    require_finance(actor, RECORDING)
    async with write_transaction():
        payment = await PaymentReceived.select().where(PaymentReceived.id == payment_id).first()
        if payment is None:
            raise NotFound("No such payment.")
        invoice = (await lock_invoices([invoice_id])).get(invoice_id)
        if invoice is None or invoice["district"] != payment["district"]:
            raise NotFound("No such invoice for this district.")
        await lock_district_payments(payment["district"])
        available = (await unallocated_by_payment(payment["district"])).get(payment_id, 0)
        if amount_cents > available:
            raise InvalidInput({"amount": "That is more than is left of this payment."})
        await allocate(payment_id, invoice, amount_cents, actor.id)
