"""Applying money to invoices. Runs inside the caller's write transaction, with the invoice locked.

An allocation never exceeds what is still open on the invoice; when an invoice is settled its
charges' sources (tuition instalments, Sly Park charges) are marked paid.
"""

from __future__ import annotations

from typing import cast

from booking.audit.trail import record
from booking.db import in_transaction, is_postgres, lock_rows_for_update
from booking.errors import Conflict
from booking.money import format_cents
from booking.payments.balances import InvoiceBalance, balances_for, unallocated_by_payment
from booking.payments.charge_lines import mark_charge_sources
from booking.payments.rows import InvoiceRecord
from booking.payments.tables import Allocation, ChargeLine, Invoice, PaymentReceived


async def lock_invoices(invoice_ids: list[int]) -> dict[int, InvoiceRecord]:
    """Lock the invoices (PostgreSQL) in id order, so two payments never deadlock; returns them by id."""
    if not in_transaction():
        raise RuntimeError("lock_invoices() must run inside write_transaction()")
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    await lock_rows_for_update(Invoice, Invoice.id.is_in(ids))
    rows = cast(list[InvoiceRecord], await Invoice.select().where(Invoice.id.is_in(ids)))
    return {row["id"]: row for row in rows}


async def lock_district_payments(district_id: int) -> None:
    """Lock the district's payments (after its invoices) before reading what is left of them to spend.

    Two uses of one district credit on two different invoices hold different invoice locks; without this
    both would read the same unapplied remainder and spend it twice. NO KEY UPDATE, in id order: lockers
    queue on each other, while inserting an allocation that refers to a payment (a foreign-key check)
    is never blocked by it.
    """
    if not in_transaction():
        raise RuntimeError("lock_district_payments() must run inside write_transaction()")
    if is_postgres():  # SQLite: BEGIN IMMEDIATE already holds the whole database
        await (
            PaymentReceived.select(PaymentReceived.id)
            .where(PaymentReceived.district == district_id)
            .order_by(PaymentReceived.id)
            .lock_rows("NO KEY UPDATE")
        )


async def allocate(
    payment_id: int, invoice: InvoiceRecord, amount_cents: int, actor_id: int | None, note: str = ""
) -> InvoiceBalance:
    """Apply `amount_cents` of a payment to a locked invoice; refuses more than is open."""
    balance = (await balances_for([invoice]))[invoice["id"]]
    if amount_cents <= 0:
        raise Conflict("An amount applied to an invoice must be above $0.", code="bad_allocation")
    if amount_cents > balance.open_cents:
        raise Conflict(
            f"Invoice {invoice['number']} has only {format_cents(balance.open_cents)} open.", code="over_allocation"
        )
    await Allocation.insert(
        Allocation(payment=payment_id, invoice=invoice["id"], amount_cents=amount_cents, created_by=actor_id, note=note)
    )
    await record(
        "payment.allocated",
        actor_id=actor_id,
        subject=f"payment {payment_id} to invoice {invoice['number']}",
        district_id=invoice["district"],
        detail={"payment_id": payment_id, "invoice_id": invoice["id"], "amount_cents": amount_cents, "note": note},
    )
    after = InvoiceBalance(balance.total_cents, balance.paid_cents + amount_cents, balance.credited_cents)
    if after.open_cents == 0:
        await mark_sources_of_invoice(invoice["id"], "paid")
    return after


async def mark_sources_of_invoice(invoice_id: int, status: str) -> None:
    lines = await ChargeLine.select(ChargeLine.source_kind, ChargeLine.source_id).where(
        (ChargeLine.invoice == invoice_id) & (ChargeLine.status == "invoiced")
    )
    await mark_charge_sources(lines, status)


async def apply_credit(district_id: int, invoice: InvoiceRecord, amount_cents: int, actor_id: int | None) -> int:
    """Apply up to `amount_cents` of the district's unapplied payments (oldest first); returns what was applied."""
    await lock_district_payments(district_id)
    balance = (await balances_for([invoice]))[invoice["id"]]
    wanted = min(amount_cents, balance.open_cents)
    applied = 0
    for payment_id, available in (await unallocated_by_payment(district_id)).items():
        if applied >= wanted:
            break
        part = min(available, wanted - applied)
        await allocate(payment_id, invoice, part, actor_id, note="District credit applied")
        applied += part
    return applied


async def release_overpaid(invoice: InvoiceRecord, excess_cents: int, actor_id: int | None) -> None:
    """A credit note on a paid invoice: give the excess back to the district's credit, latest payments first."""
    rows = (
        await Allocation.select(Allocation.payment, Allocation.amount_cents)
        .where(Allocation.invoice == invoice["id"])
        .order_by(Allocation.id, ascending=False)
    )
    per_payment: dict[int, int] = {}
    for row in rows:
        per_payment[row["payment"]] = per_payment.get(row["payment"], 0) + row["amount_cents"]
    remaining = excess_cents
    for payment_id in [row["payment"] for row in rows]:
        if remaining <= 0:
            break
        available = per_payment.get(payment_id, 0)
        if available <= 0:
            continue
        part = min(available, remaining)
        await Allocation.insert(
            Allocation(
                payment=payment_id,
                invoice=invoice["id"],
                amount_cents=-part,
                created_by=actor_id,
                note="Returned to district credit by a credit note",
            )
        )
        await record(
            "payment.allocated",
            actor_id=actor_id,
            subject=f"payment {payment_id} from invoice {invoice['number']}",
            district_id=invoice["district"],
            detail={
                "payment_id": payment_id,
                "invoice_id": invoice["id"],
                "amount_cents": -part,
                "note": "returned to district credit",
            },
        )
        per_payment[payment_id] -= part
        remaining -= part
