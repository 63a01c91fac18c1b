"""Typed rows: what payments' queries return for invoices and their lines.

Piccolo's `select()` returns plain dicts; these TypedDicts name their keys and types, so the
functions that pass invoices around say what they hold (`InvoiceRecord`, not `dict`). They are
types only: the rows are still the dicts the queries return, read with `invoice["number"]`.
Foreign keys are ids (`district` is the district's id).
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict


class InvoiceTotal(TypedDict):
    """The least an invoice row carries for its balance to be derived (`balances.balances_for`)."""

    id: int
    total_cents: int


class InvoiceRecord(InvoiceTotal):
    """An `invoice` row as `Invoice.select()` returns it: an issued invoice, never edited."""

    number: str
    fiscal_year: str
    sequence: int
    district: int
    purchase_order: int | None
    po_number: str
    bill_to: str  # JSON snapshot: name, contact, email, address lines
    period_label: str
    issued_at: dt.datetime
    issued_on: dt.date
    due_on: dt.date
    issued_by: int | None


class FinanceInvoiceRecord(InvoiceRecord):
    """An invoice row of finance's list (`finance_lists.list_invoices`), with its district's name and code."""

    district_name: str
    district_code: str


class InvoiceLineRecord(TypedDict):
    """An `invoice_line` row as `InvoiceLine.select()` returns it: a snapshot of the charge it invoiced."""

    id: int
    invoice: int
    charge_line: int
    position: int
    program: str
    description: str
    detail: str
    service_date: dt.date
    po_number: str
    amount_cents: int


class InvoiceLineWithCredits(InvoiceLineRecord):
    """An invoice line as the invoice pages show it (`invoice_details.lines_with_credits`)."""

    cancelled_on: dt.date | None  # a seat cancelled after invoicing: the day, Pacific time
    cancelled: bool
    cancelled_credited: bool  # its credit note is out
    credited_cents: int
    left_cents: int  # what can still be credited
    program_label: str
