"""A district-billed seat cancelled after it was invoiced is credited on that invoice.

The invoice never changes (issued documents are immutable), so what corrects it is a credit note for
the seat's line. By finance's setting (`policy.CANCELLED_AFTER_INVOICING`) that credit note is either
issued by finance from a prepared list, one click per invoice or per line (the default: a person sees
every correction before the district does), or issued automatically in the transaction that cancels
the seat.

Until the line is credited the district still answers for the seat, so the same person may not also
pay for it by card: `refuse_card_while_district_billed` says so clearly, before a seat is held.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

from booking.accounts.actor import Actor
from booking.clock import to_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.payments.access import ISSUING, REPORTING, require_finance
from booking.payments.credit_notes import credited_per_line, issue_credit_note_for
from booking.payments.policy import cancelled_after_invoicing_policy
from booking.payments.rows import InvoiceRecord
from booking.payments.tables import ChargeLine, Invoice, InvoiceLine

# Invoiced seat lines (not yet credited in full) whose registration has since been cancelled.
_CANCELLED_SEAT_LINES = """
SELECT c.id AS charge_line, c.invoice AS invoice, c.description AS description, c.detail AS detail,
       c.amount_cents AS amount_cents, il.id AS invoice_line, r.id AS registration, r.cancelled_at AS cancelled_at,
       r.offering AS offering, r.attendee AS attendee
FROM charge_line c
JOIN registration r ON r.id = c.source_id
JOIN invoice_line il ON il.charge_line = c.id
WHERE c.source_kind = 'registration' AND c.status = 'invoiced' AND r.status = 'cancelled'
"""


def _moment(value) -> dt.datetime | None:
    """Raw queries hand SQLite timestamps back as text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
    return value


async def _cancelled_seat_lines(where: str = "", *values) -> list[dict]:
    rows = await ChargeLine.raw(_CANCELLED_SEAT_LINES + where + " ORDER BY c.invoice, il.position", *values)
    credited: dict[int, dict[int, int]] = {}
    lines = []
    for row in rows:
        if row["invoice"] not in credited:
            credited[row["invoice"]] = await credited_per_line(row["invoice"])
        left = row["amount_cents"] - credited[row["invoice"]].get(row["invoice_line"], 0)
        if left > 0:
            lines.append({**row, "left_cents": left, "cancelled_at": _moment(row["cancelled_at"])})
    return lines


@dataclass
class InvoiceToCredit:
    """One invoice with the cancelled seats on it that are still owed: one credit note clears them all."""

    invoice: InvoiceRecord
    district_name: str
    lines: list[dict] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line["left_cents"] for line in self.lines)


async def invoices_to_credit(actor: Actor) -> list[InvoiceToCredit]:
    """Finance's prepared list: per invoice, the seats cancelled after it was issued and not yet credited."""
    require_finance(actor, REPORTING)
    lines = await _cancelled_seat_lines()
    if not lines:
        return []
    invoices = {
        row["id"]: row
        for row in await Invoice.select(*Invoice.all_columns(), Invoice.district.name.as_alias("district_name")).where(
            Invoice.id.is_in(sorted({line["invoice"] for line in lines}))
        )
    }
    grouped: dict[int, InvoiceToCredit] = {}
    for line in lines:
        invoice = invoices[line["invoice"]]
        group = grouped.setdefault(
            invoice["id"], InvoiceToCredit(cast(InvoiceRecord, invoice), invoice["district_name"])
        )
        group.lines.append(line)
    return sorted(grouped.values(), key=lambda group: (group.invoice["issued_on"], group.invoice["id"]))


def _reason(lines: list[dict]) -> str:
    seats = "; ".join(
        f"{line['description']} ({line['detail']})" if line["detail"] else line["description"] for line in lines
    )
    days = sorted({to_local(line["cancelled_at"]).date() for line in lines if line["cancelled_at"]})
    when = f", cancelled on {days[-1]:%b} {days[-1].day}, {days[-1].year}" if days else ""
    return f"Seat cancelled after invoicing{when}: {seats}"[:500]


async def credit_cancelled_seats(
    actor: Actor, invoice_id: int, charge_line_ids: list[int] | None = None, now: dt.datetime | None = None
) -> dict:
    """Finance's one click: a credit note on `invoice_id` for its cancelled seats (all of them, or the lines named)."""
    require_finance(actor, ISSUING)
    async with write_transaction():
        return await _credit(invoice_id, charge_line_ids, issued_by=actor.id, now=now or utc_now())


async def _credit(
    invoice_id: int, charge_line_ids: list[int] | None, *, issued_by: int | None, now: dt.datetime
) -> dict:
    from booking.payments.allocation import lock_invoices

    # Under the invoice's lock, so two clicks (or a click and the automatic note) credit a seat once.
    if not (await lock_invoices([invoice_id])):
        raise NotFound("No such invoice.")
    lines = await _cancelled_seat_lines(" AND c.invoice = {}", invoice_id)
    if charge_line_ids is not None:
        wanted = set(charge_line_ids)
        lines = [line for line in lines if line["charge_line"] in wanted]
    if not lines:
        raise Conflict(
            "Nothing cancelled is left to credit on this invoice: it was credited already.", code="already_credited"
        )
    return await issue_credit_note_for(
        invoice_id,
        reason=_reason(lines),
        issued_by=issued_by,
        now=now,
        amounts={line["invoice_line"]: line["left_cents"] for line in lines},
    )


async def credit_on_cancellation(registration_id: int, now: dt.datetime) -> dict | None:
    """Called in the transaction that cancels a seat: by the automatic setting, credit its invoiced line now.

    With the default setting nothing happens here: the seat appears on finance's list instead."""
    line = (
        await ChargeLine.select(ChargeLine.id, ChargeLine.invoice)
        .where(
            (ChargeLine.source_kind == "registration")
            & (ChargeLine.source_id == registration_id)
            & (ChargeLine.status == "invoiced")
        )
        .first()
    )
    if line is None or await cancelled_after_invoicing_policy() != "automatic":
        return None
    return await _credit(line["invoice"], [line["id"]], issued_by=None, now=now)


async def refuse_card_while_district_billed(attendee_id: int, offering_id: int) -> None:
    """A seat of this workshop the person's district was invoiced for, cancelled and not yet credited, means the
    district still pays for it: paying by card as well would pay the seat twice. Refused until finance credits it."""
    lines = await _cancelled_seat_lines(" AND r.attendee = {} AND r.offering = {}", attendee_id, offering_id)
    if lines:
        invoice = await Invoice.select(Invoice.number).where(Invoice.id == lines[0]["invoice"]).first()
        raise Conflict(
            f"Your district was invoiced for your earlier seat in this workshop (invoice {invoice['number']}), and SCOE "
            "finance has not yet credited it. Paying by card now would pay for the seat twice. Ask your district "
            "coordinator to register you (billed to the district), or try again once the credit note is issued.",
            code="district_line_not_credited",
        )


async def cancelled_lines_of_invoice(invoice_id: int) -> dict[int, dict]:
    """invoice line id -> {"cancelled_at", "credited"}: the invoice's seat lines whose registration was cancelled,
    so both the district and finance see them as cancelled (and credited once they are)."""
    rows = await InvoiceLine.raw(
        "SELECT il.id AS invoice_line, r.cancelled_at AS cancelled_at, c.status AS status FROM invoice_line il "
        "JOIN charge_line c ON c.id = il.charge_line JOIN registration r ON r.id = c.source_id "
        "WHERE il.invoice = {} AND c.source_kind = 'registration' AND r.status = 'cancelled'",
        invoice_id,
    )
    return {
        row["invoice_line"]: {"cancelled_at": _moment(row["cancelled_at"]), "credited": row["status"] == "credited"}
        for row in rows
    }


def check_line_ids(values: list) -> list[int] | None:
    """Checkbox values from the list page; None = every cancelled seat on the invoice."""
    if not values:
        return None
    ids = []
    for value in values:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 18:
            raise InvalidInput({"line": "Choose seats from the list."})
        ids.append(int(value))
    return ids
