"""What a district coordinator sees of their district's invoices: the list, one invoice, its PDFs.

Every query is filtered by the coordinator's own district: another district's invoice or credit
note is "not found", whatever its id (the same answer as an id that does not exist, so ids reveal
nothing). Balances are derived by `balances`, never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.errors import Forbidden, NotFound
from booking.payments.balances import STATE_LABELS, InvoiceBalance, balances_for, district_credit_cents
from booking.payments.fiscal import local_today
from booking.payments.invoice_details import allocations_applied, lines_with_credits
from booking.payments.invoice_documents import credit_note_pdf, invoice_pdf
from booking.payments.rows import InvoiceLineWithCredits, InvoiceRecord
from booking.payments.tables import CreditNote, Invoice


def _district_of(actor: Actor) -> int:
    if not actor.is_coordinator or actor.district_id is None:
        # Staff and finance read invoices on the finance pages, not here.
        raise Forbidden("These pages are for district coordinators. SCOE staff see invoices on the finance pages.")
    return actor.district_id


@dataclass(frozen=True)
class InvoiceRow:
    invoice: InvoiceRecord
    balance: InvoiceBalance
    today: dt.date

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.balance.state]

    @property
    def is_open(self) -> bool:
        return self.balance.open_cents > 0

    @property
    def days_overdue(self) -> int:
        """0 unless something is still open after the due date."""
        if not self.is_open or self.invoice["due_on"] >= self.today:
            return 0
        return (self.today - self.invoice["due_on"]).days


@dataclass
class DistrictInvoices:
    district: dict
    to_pay: list[InvoiceRow]
    settled: list[InvoiceRow]
    credit_cents: int

    @property
    def open_cents(self) -> int:
        return sum(row.balance.open_cents for row in self.to_pay)

    @property
    def overdue_cents(self) -> int:
        return sum(row.balance.open_cents for row in self.to_pay if row.days_overdue)

    def totals(self, rows: list[InvoiceRow]) -> dict[str, int]:
        return {
            "total": sum(r.balance.total_cents for r in rows),
            "paid": sum(r.balance.paid_cents for r in rows),
            "credited": sum(r.balance.credited_cents for r in rows),
            "open": sum(r.balance.open_cents for r in rows),
        }


async def list_district_invoices(actor: Actor, now: dt.datetime | None = None) -> DistrictInvoices:
    """The coordinator's district's invoices, newest first, split into those with something to pay and the rest."""
    district_id = _district_of(actor)
    district = await District.select().where(District.id == district_id).first()
    invoices = cast(
        list[InvoiceRecord],
        await Invoice.select()
        .where(Invoice.district == district_id)
        .order_by(Invoice.issued_at, ascending=False)
        .order_by(Invoice.id, ascending=False),
    )
    balances = await balances_for(invoices)
    today = local_today(now)
    rows = [InvoiceRow(invoice, balances[invoice["id"]], today) for invoice in invoices]
    # Oldest due first among what is to pay: that is the order a payables office works in.
    to_pay = sorted((row for row in rows if row.is_open), key=lambda row: (row.invoice["due_on"], row.invoice["id"]))
    settled = [row for row in rows if not row.is_open]
    return DistrictInvoices(district, to_pay, settled, await district_credit_cents(district_id))


@dataclass
class InvoiceView:
    row: InvoiceRow
    lines: list[InvoiceLineWithCredits]
    credit_notes: list[dict]
    payments: list[dict]
    credit_cents: int = 0

    @property
    def invoice(self) -> InvoiceRecord:
        return self.row.invoice

    @property
    def balance(self) -> InvoiceBalance:
        return self.row.balance


async def own_invoice(actor: Actor, invoice_id: int) -> InvoiceRecord:
    """The invoice if it is the coordinator's district's; otherwise NotFound, whatever the id."""
    district_id = _district_of(actor)
    invoice = await Invoice.select().where((Invoice.id == invoice_id) & (Invoice.district == district_id)).first()
    if invoice is None:
        raise NotFound("No such invoice for your district.")
    return cast(InvoiceRecord, invoice)


async def invoice_balance_row(actor: Actor, invoice_id: int, now: dt.datetime | None = None) -> InvoiceRow:
    invoice = await own_invoice(actor, invoice_id)
    return InvoiceRow(invoice, (await balances_for([invoice]))[invoice_id], local_today(now))


async def district_invoice(actor: Actor, invoice_id: int, now: dt.datetime | None = None) -> InvoiceView:
    """One invoice: its lines (with what was credited on each), credit notes, payments applied, what is open."""
    row = await invoice_balance_row(actor, invoice_id, now)
    lines = await lines_with_credits(invoice_id)
    notes = (
        await CreditNote.select()
        .where(CreditNote.invoice == invoice_id)
        .order_by(CreditNote.issued_at)
        .order_by(CreditNote.id)
    )
    payments = await allocations_applied(invoice_id)
    return InvoiceView(row, lines, notes, payments, credit_cents=await district_credit_cents(row.invoice["district"]))


async def district_invoice_pdf(actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    await own_invoice(actor, invoice_id)
    return await invoice_pdf(invoice_id)


async def district_credit_note_pdf(actor: Actor, invoice_id: int, credit_note_id: int) -> tuple[str, bytes]:
    """A credit note of one of the district's invoices; the note must belong to that invoice."""
    await own_invoice(actor, invoice_id)
    if not await CreditNote.exists().where((CreditNote.id == credit_note_id) & (CreditNote.invoice == invoice_id)):
        raise NotFound("No such credit note on this invoice.")
    return await credit_note_pdf(credit_note_id)
