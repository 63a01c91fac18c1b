"""One invoice's lines and the payments applied to it, as both the finance and the district pages show them."""

from __future__ import annotations

from typing import cast

from booking.clock import to_local
from booking.payments.cancelled_seats import cancelled_lines_of_invoice
from booking.payments.credit_notes import credited_per_line
from booking.payments.rows import InvoiceLineWithCredits
from booking.payments.tables import Allocation, InvoiceLine

METHOD_WORDS = {"check": "Check", "ach": "ACH transfer", "card": "Card"}
PROGRAM_WORDS = {"workshop": "Workshop", "cohort": "Leadership Institute", "slypark": "Sly Park"}


async def lines_with_credits(invoice_id: int) -> list[InvoiceLineWithCredits]:
    """The invoice's lines in order, each with what was credited on it and what is left to credit."""
    # InvoiceLineRecord rows, completed below into InvoiceLineWithCredits.
    lines = cast(
        list[InvoiceLineWithCredits],
        await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.position),
    )
    credited = await credited_per_line(invoice_id)
    cancelled = await cancelled_lines_of_invoice(invoice_id)
    for line in lines:
        # A seat cancelled after invoicing: said on the line itself, and whether its credit note is out yet.
        seat = cancelled.get(line["id"])
        line["cancelled_on"] = to_local(seat["cancelled_at"]).date() if seat and seat["cancelled_at"] else None
        line["cancelled"] = seat is not None
        line["cancelled_credited"] = bool(seat and seat["credited"])
        line["credited_cents"] = credited.get(line["id"], 0)
        line["left_cents"] = line["amount_cents"] - line["credited_cents"]
        line["program_label"] = PROGRAM_WORDS.get(line["program"], line["program"])
    return lines


async def allocations_applied(invoice_id: int) -> list[dict]:
    """Every amount applied to the invoice, oldest first, with the payment it came from."""
    allocations = (
        await Allocation.select(
            Allocation.id,
            Allocation.amount_cents,
            Allocation.created_at,
            Allocation.note,
            Allocation.payment,
            Allocation.payment.method.as_alias("method"),
            Allocation.payment.reference.as_alias("reference"),
            Allocation.payment.received_on.as_alias("received_on"),
        )
        .where(Allocation.invoice == invoice_id)
        .order_by(Allocation.created_at)
        .order_by(Allocation.id)
    )
    for allocation in allocations:
        allocation["method_label"] = METHOD_WORDS.get(allocation["method"], allocation["method"])
        allocation["applied_on"] = to_local(allocation["created_at"]).date()
        allocation["returned"] = (
            allocation["amount_cents"] < 0
        )  # given back to the district's credit (after a credit note)
    return allocations
