"""What the finance pages read: invoices with balances, one invoice in full, payments and what is left of
them, the districts to invoice. Finance and admin only; every district is visible to them.

These are the pages' queries, kept out of the controllers. Changes go through the use cases
(invoicing, credit_notes, payments_received).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.clock import to_local, utc_now
from booking.errors import InvalidInput, NotFound
from booking.payments.access import REPORTING, require_finance
from booking.payments.balances import (
    STATE_LABELS,
    InvoiceBalance,
    balances_for,
    district_credit_cents,
    unallocated_by_payment,
)
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.district_invoices import InvoiceRow
from booking.payments.fiscal import local_today
from booking.payments.invoice_details import METHOD_WORDS, allocations_applied, lines_with_credits
from booking.payments.reports import check_fiscal_year
from booking.payments.rows import FinanceInvoiceRecord, InvoiceLineWithCredits, InvoiceRecord
from booking.payments.tables import (
    Allocation,
    ChargeLine,
    CreditNote,
    Invoice,
    PaymentReceived,
)

INVOICE_LIST_LIMIT = 500
PAYMENT_LIST_LIMIT = 100


async def active_districts() -> list[dict]:
    return (
        await District.select(District.id, District.code, District.name)
        .where(District.is_active == True)
        .order_by(District.name)
    )


async def check_district(text: str | None, field_name: str = "district") -> dict:
    """A district chosen in a form: it must exist."""
    value = (text or "").strip()
    district = None
    if value.isascii() and value.isdigit() and len(value) < 10:
        district = await District.select().where(District.id == int(value)).first()
    if district is None:
        raise InvalidInput({field_name: "Choose a district from the list."})
    return district


# --- Invoices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    district_id: int | None = None
    state: str | None = None
    fiscal_year: str | None = None


def check_invoice_filters(values: dict, district_ids: set[int]) -> tuple[InvoiceFilters, dict[str, str]]:
    """Filters as they come in the address; a bad one is reported and ignored, the others still apply."""
    errors: dict[str, str] = {}
    district_text = (values.get("district") or "").strip()
    district_id = None
    if district_text:
        if (
            district_text.isascii()
            and district_text.isdigit()
            and len(district_text) < 10
            and int(district_text) in district_ids
        ):
            district_id = int(district_text)
        else:
            errors["district"] = "Choose a district from the list."
    state = (values.get("state") or "").strip() or None
    if state and state not in STATE_LABELS:
        errors["state"] = "Choose a state from the list."
        state = None
    year = (values.get("year") or "").strip() or None
    if year:
        try:
            year = check_fiscal_year(year)
        except InvalidInput as error:
            errors.update(error.field_errors)
            year = None
    return InvoiceFilters(district_id, state, year), errors


async def list_invoices(actor: Actor, filters: InvoiceFilters, now: dt.datetime | None = None) -> list[InvoiceRow]:
    """Invoices, newest first, with balances and days overdue; at most INVOICE_LIST_LIMIT."""
    require_finance(actor, REPORTING)
    query = Invoice.select(
        *Invoice.all_columns(),
        Invoice.district.name.as_alias("district_name"),
        Invoice.district.code.as_alias("district_code"),
    )
    if filters.district_id:
        query = query.where(Invoice.district == filters.district_id)
    if filters.fiscal_year:
        query = query.where(Invoice.fiscal_year == filters.fiscal_year)
    invoices = cast(
        list[FinanceInvoiceRecord],
        await query.order_by(Invoice.issued_at, ascending=False).order_by(Invoice.id, ascending=False),
    )
    balances = await balances_for(invoices)
    today = local_today(now)
    rows = [InvoiceRow(invoice, balances[invoice["id"]], today) for invoice in invoices]
    if filters.state:
        rows = [row for row in rows if row.balance.state == filters.state]
    return rows[:INVOICE_LIST_LIMIT]


@dataclass
class FinanceInvoice:
    row: InvoiceRow
    district: dict
    lines: list[InvoiceLineWithCredits]
    credit_notes: list[dict]
    allocations: list[dict]
    district_credit_cents: int

    @property
    def invoice(self) -> InvoiceRecord:
        return self.row.invoice

    @property
    def balance(self) -> InvoiceBalance:
        return self.row.balance

    @property
    def creditable(self) -> bool:
        return any(line["left_cents"] > 0 for line in self.lines)


async def finance_invoice(actor: Actor, invoice_id: int, now: dt.datetime | None = None) -> FinanceInvoice:
    """One invoice in full: lines with what is credited and left on each, credit notes, payments applied."""
    require_finance(actor, REPORTING)
    invoice = cast(InvoiceRecord | None, await Invoice.select().where(Invoice.id == invoice_id).first())
    if invoice is None:
        raise NotFound("No such invoice.")
    district = await District.select().where(District.id == invoice["district"]).first()
    balance = (await balances_for([invoice]))[invoice_id]
    lines = await lines_with_credits(invoice_id)
    notes = await CreditNote.select().where(CreditNote.invoice == invoice_id).order_by(CreditNote.id)
    allocations = await allocations_applied(invoice_id)
    return FinanceInvoice(
        InvoiceRow(invoice, balance, local_today(now)),
        district,
        lines,
        notes,
        allocations,
        await district_credit_cents(invoice["district"]),
    )


async def credit_note_of(actor: Actor, credit_note_id: int) -> dict:
    require_finance(actor, REPORTING)
    note = await CreditNote.select(CreditNote.id, CreditNote.number).where(CreditNote.id == credit_note_id).first()
    if note is None:
        raise NotFound("No such credit note.")
    return note


async def invoice_exists(actor: Actor, invoice_id: int) -> None:
    require_finance(actor, REPORTING)
    if not await Invoice.exists().where(Invoice.id == invoice_id):
        raise NotFound("No such invoice.")


async def open_invoices_of(actor: Actor, district_id: int, now: dt.datetime | None = None) -> list[InvoiceRow]:
    """The district's invoices with something open, oldest due first (the order a payment settles them)."""
    require_finance(actor, REPORTING)
    invoices = cast(
        list[InvoiceRecord],
        await Invoice.select().where(Invoice.district == district_id).order_by(Invoice.due_on).order_by(Invoice.id),
    )
    balances = await balances_for(invoices)
    today = local_today(now)
    return [
        InvoiceRow(invoice, balances[invoice["id"]], today)
        for invoice in invoices
        if balances[invoice["id"]].open_cents > 0
    ]


def fill_oldest_first(invoices: list[InvoiceRow], amount_cents: int) -> dict[int, int]:
    """Spread a payment over open invoices, oldest due first, each up to what is open on it."""
    left = amount_cents
    amounts: dict[int, int] = {}
    for row in invoices:
        if left <= 0:
            break
        part = min(left, row.balance.open_cents)
        if part > 0:
            amounts[row.invoice["id"]] = part
            left -= part
    return amounts


# --- Issuing invoices ----------------------------------------------------------------------------


async def districts_to_invoice(actor: Actor, now: dt.datetime | None = None) -> list[dict]:
    """Every active district with its open charges (count, total); those with charges first."""
    require_finance(actor, REPORTING)
    await gather_charge_lines(now or utc_now())
    counts: dict[int, list[int]] = {}
    for row in await ChargeLine.select(ChargeLine.district, ChargeLine.amount_cents).where(ChargeLine.status == "open"):
        entry = counts.setdefault(row["district"], [0, 0])
        entry[0] += 1
        entry[1] += row["amount_cents"]
    districts = await active_districts()
    for district in districts:
        district["open_count"], district["open_cents"] = counts.get(district["id"], (0, 0))
    return sorted(districts, key=lambda d: (d["open_count"] == 0, d["name"].casefold()))


# --- Payments ------------------------------------------------------------------------------------


async def recent_payments(actor: Actor, limit: int = PAYMENT_LIST_LIMIT) -> list[dict]:
    """Checks, ACH and card payments on invoices, newest first, with what is not yet applied of each."""
    require_finance(actor, REPORTING)
    payments = (
        await PaymentReceived.select(
            *PaymentReceived.all_columns(),
            PaymentReceived.district.name.as_alias("district_name"),
        )
        .order_by(PaymentReceived.received_on, ascending=False)
        .order_by(PaymentReceived.id, ascending=False)
        .limit(limit)
    )
    applied = await _applied([payment["id"] for payment in payments])
    for payment in payments:
        payment["method_label"] = METHOD_WORDS.get(payment["method"], payment["method"])
        payment["unapplied_cents"] = payment["amount_cents"] - applied.get(payment["id"], 0)
    return payments


async def _applied(payment_ids: list[int]) -> dict[int, int]:
    if not payment_ids:
        return {}
    applied: dict[int, int] = {}
    for row in await Allocation.select(Allocation.payment, Allocation.amount_cents).where(
        Allocation.payment.is_in(payment_ids)
    ):
        applied[row["payment"]] = applied.get(row["payment"], 0) + row["amount_cents"]
    return applied


@dataclass
class PaymentView:
    payment: dict
    district: dict
    allocations: list[dict]
    unapplied_cents: int
    open_invoices: list[InvoiceRow]


async def payment_view(actor: Actor, payment_id: int, now: dt.datetime | None = None) -> PaymentView:
    """One payment: where it went (allocations, returns to credit) and what is left to apply."""
    require_finance(actor, REPORTING)
    payment = await PaymentReceived.select().where(PaymentReceived.id == payment_id).first()
    if payment is None:
        raise NotFound("No such payment.")
    payment["method_label"] = METHOD_WORDS.get(payment["method"], payment["method"])
    district = await District.select().where(District.id == payment["district"]).first()
    allocations = (
        await Allocation.select(
            Allocation.id,
            Allocation.amount_cents,
            Allocation.created_at,
            Allocation.note,
            Allocation.invoice,
            Allocation.invoice.number.as_alias("invoice_number"),
        )
        .where(Allocation.payment == payment_id)
        .order_by(Allocation.id)
    )
    for allocation in allocations:
        allocation["applied_on"] = to_local(allocation["created_at"]).date()
    unapplied = (await unallocated_by_payment(payment["district"])).get(payment_id, 0)
    return PaymentView(
        payment, district, allocations, unapplied, await open_invoices_of(actor, payment["district"], now)
    )
