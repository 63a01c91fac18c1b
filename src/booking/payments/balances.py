"""What is paid, credited and still open: always derived from the rows, never stored.

For every invoice: paid + credited + open = total, with open ≥ 0. A district's credit is what it
paid and has not yet been applied to an invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from booking.payments.rows import InvoiceTotal
from booking.payments.tables import Allocation, CreditNote, Invoice, PaymentReceived


@dataclass(frozen=True)
class InvoiceBalance:
    total_cents: int
    paid_cents: int
    credited_cents: int

    @property
    def open_cents(self) -> int:
        return self.total_cents - self.paid_cents - self.credited_cents

    @property
    def state(self) -> str:
        if self.credited_cents >= self.total_cents and self.paid_cents == 0:
            return "void"
        if self.open_cents == 0:
            return "paid"
        if self.paid_cents or self.credited_cents:
            return "part_paid"
        return "open"


STATE_LABELS = {"open": "Open", "part_paid": "Partly paid", "paid": "Paid", "void": "Cancelled by credit note"}


async def _sums(table, amount_column, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await table.select(table.invoice, amount_column.as_alias("amount")).where(table.invoice.is_in(ids))
    sums: dict[int, int] = {}
    for row in rows:
        sums[row["invoice"]] = sums.get(row["invoice"], 0) + row["amount"]
    return sums


async def balances_for(invoices: Sequence[InvoiceTotal]) -> dict[int, InvoiceBalance]:
    """Balances of the given invoice rows (each with `id` and `total_cents`), in two queries."""
    ids = [invoice["id"] for invoice in invoices]
    paid = await _sums(Allocation, Allocation.amount_cents, ids)
    credited = await _sums(CreditNote, CreditNote.amount_cents, ids)
    return {
        invoice["id"]: InvoiceBalance(
            invoice["total_cents"], paid.get(invoice["id"], 0), credited.get(invoice["id"], 0)
        )
        for invoice in invoices
    }


async def balance_of(invoice_id: int) -> InvoiceBalance:
    invoice = cast(
        InvoiceTotal, await Invoice.select(Invoice.id, Invoice.total_cents).where(Invoice.id == invoice_id).first()
    )
    return (await balances_for([invoice]))[invoice_id]


async def unallocated_by_payment(district_id: int) -> dict[int, int]:
    """Payment id -> the part of it not applied to any invoice (the district's credit), oldest first."""
    payments = (
        await PaymentReceived.select(PaymentReceived.id, PaymentReceived.amount_cents)
        .where(PaymentReceived.district == district_id)
        .order_by(PaymentReceived.received_on)
        .order_by(PaymentReceived.id)
    )
    if not payments:
        return {}
    allocations = await Allocation.select(Allocation.payment, Allocation.amount_cents).where(
        Allocation.payment.is_in([payment["id"] for payment in payments])
    )
    applied: dict[int, int] = {}
    for row in allocations:
        applied[row["payment"]] = applied.get(row["payment"], 0) + row["amount_cents"]
    remaining = {payment["id"]: payment["amount_cents"] - applied.get(payment["id"], 0) for payment in payments}
    return {payment_id: amount for payment_id, amount in remaining.items() if amount > 0}


async def district_credit_cents(district_id: int) -> int:
    return sum((await unallocated_by_payment(district_id)).values())
