"""Finance's pages (finance and admin only): /finance (at a glance), the aging and revenue reports, and the
CSV export for the county's accounting system. Invoices are in finance_invoice_pages, payments in
finance_payment_pages; this module also holds what the three share.

Thin handlers: parse the address or the form, call one use case (reports, exports), render.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from litestar import Controller, Request, get

from booking.clock import to_local
from booking.csv_files import csv_response
from booking.errors import InvalidInput, NotFound
from booking.money import format_cents
from booking.payments import exports, reports
from booking.payments.balances import STATE_LABELS
from booking.payments.fiscal import fiscal_year_of, local_today, parse_day
from booking.payments.invoice_details import PROGRAM_WORDS
from booking.payments.reports import AGING_BUCKETS, PROGRAM_LABELS
from booking.payments.tables import PROGRAMS
from booking.web.guards import SignedInActor, finance_only
from booking.web.pages import page

_DOCUMENT_REF = re.compile(r"^([0-9]{1,18})(\.pdf)?$")

# Confirmations after POST-redirect-GET (?notice=...), shown in the page's notice area.
DONE = {
    "invoice-issued": "The invoice is issued and emailed to the district's billing contact (when it has one).",
    "invoices-issued": "The invoices are issued, one per purchase order, and emailed to the district's billing contact.",
    "po-set": "The PO number is on the checked charges. Check the drafts below, then issue.",
    "credit-note-issued": "The credit note is issued and emailed to the district. The balance below is updated.",
    "invoice-voided": "The invoice is cancelled by a credit note.",
    "invoice-voided-reopened": (
        "The invoice is cancelled by a credit note; its charges are open again, ready for a corrected invoice."
    ),
    "credit-applied": "The district's credit is applied to this invoice.",
    "payment-recorded": "The payment is recorded.",
    "payment-applied": "The payment is applied to the invoice.",
}


def day_text(day) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def local_day(moment) -> str:
    return day_text(to_local(moment).date()) if moment else ""


def compact_money(cents: int) -> str:
    """$1.2k, $45, -$300: short enough to sit above a bar."""
    sign = "-" if cents < 0 else ""
    dollars = abs(cents) / 100
    if dollars >= 1_000_000:
        return f"{sign}${dollars / 1_000_000:.1f}M"
    if dollars >= 10_000:
        return f"{sign}${dollars / 1000:.0f}k"
    if dollars >= 1_000:
        return f"{sign}${dollars / 1000:.1f}k"
    return f"{sign}${dollars:,.0f}"


PRESENTATION = {
    "day_text": day_text,
    "local_day": local_day,
    "state_labels": STATE_LABELS,
    "program_words": PROGRAM_WORDS,
    "program_labels": PROGRAM_LABELS,
    "programs": PROGRAMS,
    "aging_buckets": AGING_BUCKETS,
    "compact_money": compact_money,
}


def done_notice(request: Request) -> dict:
    message = DONE.get(request.query_params.get("notice") or "")
    return {"notice": message} if message else {}


def document_ref(ref: str, what: str = "invoice") -> tuple[int, bool]:
    """ "42" -> (42, False); "42.pdf" -> (42, True); anything else names nothing."""
    match = _DOCUMENT_REF.match(ref)
    if match is None:
        raise NotFound(f"No such {what}.")
    return int(match.group(1)), bool(match.group(2))


def query_text(request: Request, name: str, limit: int = 40) -> str:
    """A query parameter as text, cut short: an address can carry anything."""
    value = request.query_params.get(name)
    return value[:limit] if isinstance(value, str) else ""


# --- Charts: inline SVG geometry, the same numbers as the table that follows each chart ---------------


@dataclass(frozen=True)
class Bar:
    label: str
    cents: int
    x: float
    y: float
    width: float
    height: float
    tone: str  # "plain" | "alert": also said in words by the label


def bar_chart(
    values: list[tuple[str, int, str]],
    title: str,
    desc: str,
    *,
    width: int = 640,
    height: int = 220,
    top: int = 24,
    bottom: int = 40,
) -> dict:
    """Bars for (label, cents, tone), with a zero line that leaves room for negative months; `desc` says them in words."""
    highest = max([0] + [cents for _, cents, _ in values])
    lowest = min([0] + [cents for _, cents, _ in values])
    span = (highest - lowest) or 1
    plot = height - top - bottom
    zero_y = top + plot * highest / span
    slot = width / max(len(values), 1)
    bars = []
    for index, (label, cents, tone) in enumerate(values):
        size = plot * abs(cents) / span
        y = zero_y - size if cents >= 0 else zero_y
        bars.append(Bar(label, cents, index * slot + slot * 0.15, y, slot * 0.7, size, tone))
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "zero_y": zero_y,
        "slot": slot,
        "label_y": height - bottom + 18,
        "title": title,
        "desc": desc,
    }


def aging_chart(report) -> dict:
    values = [
        (label.replace(" past due", ""), report.totals.buckets[key], "plain" if key == "current" else "alert")
        for key, label in AGING_BUCKETS
    ]
    said = "; ".join(f"{label}: {format_cents(cents)}" for label, cents, _ in values)
    return bar_chart(
        values,
        f"Open receivables by days past due, {day_text(report.as_of)}",
        f"Bar chart. {said}. Overdue amounts are drawn in red. The table below gives the same amounts.",
    )


def revenue_chart(report) -> dict:
    values = [
        (f"{month.first_day:%b}", month.total_cents, "plain" if month.total_cents >= 0 else "alert")
        for month in report.months
    ]
    said = "; ".join(f"{month.label}: {format_cents(month.total_cents)}" for month in report.months)
    return bar_chart(
        values,
        f"Revenue by month, fiscal year {report.fiscal_year}",
        f"Bar chart of net revenue per month, all programs. {said}. The table below splits each month by program.",
    )


def _as_of(request: Request) -> dt.date | object:
    """The aging report's date from the address (today when absent), or the report page with the date's error."""
    as_of_text = query_text(request, "as_of")
    try:
        return parse_day(as_of_text, "as_of", required=False) or local_today()
    except InvalidInput as error:
        return page(
            request,
            "payments/finance_aging.html",
            status=400,
            report=None,
            as_of_text=as_of_text,
            errors=error.field_errors,
            **PRESENTATION,
        )


class FinanceController(Controller):
    path = "/finance"
    guards = [finance_only]
    include_in_schema = False

    @get("/", name="payments.finance")
    async def dashboard(self, request: Request, actor: SignedInActor) -> object:
        board = await reports.dashboard(actor)
        return page(
            request,
            "payments/finance_dashboard.html",
            board=board,
            aging=board.aging,
            revenue=board.revenue,
            aging_bars=aging_chart(board.aging),
            revenue_bars=revenue_chart(board.revenue),
            export_values={"from": board.as_of.replace(day=1).isoformat(), "to": board.as_of.isoformat()},
            export_errors={},
            **PRESENTATION,
            **done_notice(request),
        )

    @get("/reports/aging", name="payments.aging_report")
    async def aging_report(self, request: Request, actor: SignedInActor) -> object:
        as_of = _as_of(request)
        if not isinstance(as_of, dt.date):
            return as_of  # the page again, with the date's error
        report = await reports.aging(actor, as_of)
        return page(
            request,
            "payments/finance_aging.html",
            report=report,
            as_of_text=as_of.isoformat(),
            errors={},
            chart=aging_chart(report),
            **PRESENTATION,
        )

    @get("/reports/aging.csv", name="payments.aging_csv")
    async def aging_csv(self, request: Request, actor: SignedInActor) -> object:
        as_of = _as_of(request)
        if not isinstance(as_of, dt.date):
            return as_of
        return csv_response(*exports.aging_csv(await reports.aging(actor, as_of)), cache_control="private, no-store")

    @get("/reports/revenue", name="payments.revenue_report")
    async def revenue_report(self, request: Request, actor: SignedInActor) -> object:
        years = await reports.fiscal_years_on_record(local_today())
        year_text = query_text(request, "year") or fiscal_year_of(local_today())
        try:
            report = await reports.revenue_by_program_month(actor, year_text)
        except InvalidInput as error:
            return page(
                request,
                "payments/finance_revenue.html",
                status=400,
                report=None,
                years=years,
                year_text=year_text,
                errors=error.field_errors,
                **PRESENTATION,
            )
        if report.fiscal_year not in years:
            years = sorted([*years, report.fiscal_year], reverse=True)
        return page(
            request,
            "payments/finance_revenue.html",
            report=report,
            years=years,
            year_text=report.fiscal_year,
            errors={},
            chart=revenue_chart(report),
            **PRESENTATION,
        )

    @get("/export.csv", name="payments.export_csv")
    async def export_csv(self, request: Request, actor: SignedInActor) -> object:
        values = {"from": query_text(request, "from"), "to": query_text(request, "to")}
        try:
            first, last = exports.check_date_range(values)
        except InvalidInput as error:
            return page(
                request,
                "payments/finance_export.html",
                status=400,
                export_values=values,
                export_errors=error.field_errors,
                **PRESENTATION,
            )
        return csv_response(*await exports.accounting_csv(actor, first, last), cache_control="private, no-store")

    @get("/export", name="payments.export")
    async def export_form(self, request: Request) -> object:
        today = local_today()
        return page(
            request,
            "payments/finance_export.html",
            export_errors={},
            export_values={"from": today.replace(day=1).isoformat(), "to": today.isoformat()},
            **PRESENTATION,
        )
