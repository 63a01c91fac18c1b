"""CSV files for the county's accounting system (and the aging report as a spreadsheet).

The accounting export has one row per document or money event in a date range (Sacramento days,
both ends included): invoices, credit notes, payments received, allocations of payments to
invoices, card payments made straight to SCOE, and completed refunds. A document that touches
several programs gives one row per program (same number), so each amount can be posted to its
program's account; the rows of a document add up to its total. Credits and refunds are negative.

Cells are defused for spreadsheets (booking.csv_files.defuse): text starting with = + - @ (or a tab or
carriage return) gets a leading apostrophe, so a description typed as "=HYPERLINK(...)" is shown, never
run. Our own amounts are written as plain numbers (booking.money.plain_amount) and are left alone.
No byte-order mark: the county's accounting system reads the file as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.clock import to_local
from booking.csv_files import CsvFile, csv_text, defuse
from booking.errors import InvalidInput, collect_field_errors
from booking.money import plain_amount
from booking.payments.access import REPORTING, require_finance
from booking.payments.fiscal import parse_day
from booking.payments.reports import (
    AGING_BUCKETS,
    AgingReport,
    direct_card_payments,
    local_day_start,
    succeeded_refunds,
)
from booking.payments.tables import Allocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine, PaymentReceived

COLUMNS = (
    "type",
    "date",
    "number",
    "district_code",
    "district_name",
    "po_number",
    "program",
    "amount",
    "related_invoice",
    "method",
    "description",
)
ROW_TYPES = ("invoice", "credit_note", "payment", "allocation", "card_payment", "refund")
MAX_EXPORT_DAYS = 3 * 366


@dataclass(frozen=True)
class ExportRow:
    type: str
    date: dt.date
    number: str
    district_code: str
    district_name: str
    po_number: str
    program: str
    amount_cents: int
    related_invoice: str = ""
    method: str = ""
    description: str = ""

    def cells(self) -> list[str]:
        text = [
            self.type,
            self.date.isoformat(),
            self.number,
            self.district_code,
            self.district_name,
            self.po_number,
            self.program,
        ]
        tail = [self.related_invoice, self.method, self.description]
        return [defuse(cell) for cell in text] + [plain_amount(self.amount_cents)] + [defuse(cell) for cell in tail]


def check_date_range(values: dict) -> tuple[dt.date, dt.date]:
    """From/to as typed (YYYY-MM-DD, both included); every bad field reported at once."""
    errors: dict[str, str] = {}
    first = collect_field_errors(errors, parse_day, values.get("from"), "from")
    last = collect_field_errors(errors, parse_day, values.get("to"), "to")
    if first and last:
        if last < first:
            errors["to"] = "The end date is before the start date."
        elif (last - first).days >= MAX_EXPORT_DAYS:
            errors["to"] = "Export at most three years at a time."
    if errors:
        raise InvalidInput(errors)
    return first, last


def _per_program(lines: list[dict], key: str) -> dict[tuple[int, str], int]:
    sums: dict[tuple[int, str], int] = {}
    for line in lines:
        sums[(line[key], line["program"])] = sums.get((line[key], line["program"]), 0) + line["amount_cents"]
    return sums


async def export_rows(actor: Actor, first: dt.date, last: dt.date) -> list[ExportRow]:
    """Every document and money event between `first` and `last` (local days, included), in date order."""
    require_finance(actor, REPORTING)
    start, end = local_day_start(first), local_day_start(last + dt.timedelta(days=1))
    districts = {row["id"]: row for row in await District.select(District.id, District.code, District.name)}

    def district(district_id: int | None) -> tuple[str, str]:
        row = districts.get(district_id) if district_id else None
        return (row["code"], row["name"]) if row else ("", "")

    rows: list[ExportRow] = []
    invoices = {
        row["id"]: row
        for row in await Invoice.select(
            Invoice.id, Invoice.number, Invoice.district, Invoice.po_number, Invoice.issued_on, Invoice.period_label
        ).where((Invoice.issued_on >= first) & (Invoice.issued_on <= last))
    }
    if invoices:
        lines = await InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.program, InvoiceLine.amount_cents).where(
            InvoiceLine.invoice.is_in(list(invoices))
        )
        for (invoice_id, program), cents in sorted(_per_program(lines, "invoice").items()):
            invoice = invoices[invoice_id]
            rows.append(
                ExportRow(
                    "invoice",
                    invoice["issued_on"],
                    invoice["number"],
                    *district(invoice["district"]),
                    invoice["po_number"],
                    program,
                    cents,
                    description=invoice["period_label"],
                )
            )

    notes = {
        row["id"]: row
        for row in await CreditNote.select(
            CreditNote.id,
            CreditNote.number,
            CreditNote.district,
            CreditNote.issued_on,
            CreditNote.reason,
            CreditNote.invoice.number.as_alias("invoice_number"),
            CreditNote.invoice.po_number.as_alias("po_number"),
        ).where((CreditNote.issued_on >= first) & (CreditNote.issued_on <= last))
    }
    if notes:
        lines = await CreditNoteLine.select(
            CreditNoteLine.credit_note,
            CreditNoteLine.amount_cents,
            CreditNoteLine.invoice_line.program.as_alias("program"),
        ).where(CreditNoteLine.credit_note.is_in(list(notes)))
        for (note_id, program), cents in sorted(_per_program(lines, "credit_note").items()):
            note = notes[note_id]
            rows.append(
                ExportRow(
                    "credit_note",
                    note["issued_on"],
                    note["number"],
                    *district(note["district"]),
                    note["po_number"],
                    program,
                    -cents,
                    related_invoice=note["invoice_number"],
                    description=note["reason"],
                )
            )

    for payment in await PaymentReceived.select(
        PaymentReceived.id,
        PaymentReceived.district,
        PaymentReceived.method,
        PaymentReceived.amount_cents,
        PaymentReceived.received_on,
        PaymentReceived.reference,
        PaymentReceived.note,
    ).where((PaymentReceived.received_on >= first) & (PaymentReceived.received_on <= last)):
        rows.append(
            ExportRow(
                "payment",
                payment["received_on"],
                payment["reference"],
                *district(payment["district"]),
                "",
                "",
                payment["amount_cents"],
                method=payment["method"],
                description=payment["note"],
            )
        )

    for allocation in await Allocation.select(
        Allocation.amount_cents,
        Allocation.created_at,
        Allocation.note,
        Allocation.payment.district.as_alias("district"),
        Allocation.payment.method.as_alias("method"),
        Allocation.payment.reference.as_alias("reference"),
        Allocation.invoice.number.as_alias("invoice_number"),
        Allocation.invoice.po_number.as_alias("po_number"),
    ).where((Allocation.created_at >= start) & (Allocation.created_at < end)):
        rows.append(
            ExportRow(
                "allocation",
                to_local(allocation["created_at"]).date(),
                allocation["reference"],
                *district(allocation["district"]),
                allocation["po_number"],
                "",
                allocation["amount_cents"],
                related_invoice=allocation["invoice_number"],
                method=allocation["method"],
                description=allocation["note"],
            )
        )

    for payment in await direct_card_payments(start, end):
        rows.append(
            ExportRow(
                "card_payment",
                to_local(payment["paid_at"]).date(),
                payment["payment_intent_id"] or f"card payment {payment['id']}",
                *district(payment["payer_district"]),
                "",
                payment["program"],
                payment["amount_cents"],
                method="card",
                description=payment["description"],
            )
        )

    for refund in await succeeded_refunds(start, end):
        for_invoice = refund["purpose"] == "invoice"
        rows.append(
            ExportRow(
                "refund",
                to_local(refund["completed_at"]).date(),
                refund["stripe_refund_id"] or f"refund {refund['id']}",
                *district(refund["card_district"] if for_invoice else refund["payer_district"]),
                "",
                "" if for_invoice else refund["program"],
                -refund["amount_cents"],
                related_invoice=refund["invoice_number"] or "",
                method="card",
                description=refund["reason"],
            )
        )

    order = {kind: index for index, kind in enumerate(ROW_TYPES)}
    return sorted(rows, key=lambda row: (row.date, order[row.type], row.number, row.program))


async def accounting_csv(actor: Actor, first: dt.date, last: dt.date) -> CsvFile:
    rows = await export_rows(actor, first, last)
    return CsvFile(
        f"scoe-accounting-{first.isoformat()}-to-{last.isoformat()}.csv",
        csv_text(COLUMNS, [row.cells() for row in rows]),
    )


def aging_csv(report: AgingReport) -> CsvFile:
    header = ["district_code", "district_name", *[key for key, _ in AGING_BUCKETS], "total"]
    rows = [
        [
            defuse(row.code),
            defuse(row.name),
            *[plain_amount(row.buckets[key]) for key, _ in AGING_BUCKETS],
            plain_amount(row.total_cents),
        ]
        for row in report.rows
    ]
    rows.append(
        [
            "",
            "All districts",
            *[plain_amount(report.totals.buckets[key]) for key, _ in AGING_BUCKETS],
            plain_amount(report.totals.total_cents),
        ]
    )
    return CsvFile(f"scoe-aging-{report.as_of.isoformat()}.csv", csv_text(header, rows))
