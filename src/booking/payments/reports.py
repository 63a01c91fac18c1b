"""Finance's reports: aging of receivables, revenue by program and month, the dashboard's figures.

Everything is derived from the rows (invoices, credit notes, allocations, card payments, refunds);
nothing is stored. Days and months are Sacramento's (America/Los_Angeles); fiscal years run July
to June and are written 2026-27.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.clock import LOCAL_TZ, to_local, utc_now
from booking.errors import InvalidInput
from booking.payments.access import REPORTING, require_finance
from booking.payments.balances import balances_for
from booking.payments.charge_lines import gather_charge_lines, invoiced_lines_needing_credit
from booking.payments.fiscal import fiscal_year_bounds, fiscal_year_of, local_today
from booking.payments.tables import (
    PROGRAMS,
    Allocation,
    CardPayment,
    ChargeLine,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    PaymentReceived,
    Refund,
)
from booking.scheduling.tables import Registration

PROGRAM_LABELS = {"workshop": "Workshops", "cohort": "Leadership Institute", "slypark": "Sly Park"}
# Card payments paid straight to us (not through a district invoice), and the program each one is revenue of.
DIRECT_CARD_PURPOSES = ("registration", "tuition")
# (key, label): days past the due date of what is still open on each invoice.
AGING_BUCKETS = (
    ("current", "Not yet due"),
    ("1_30", "1–30 days past due"),
    ("31_60", "31–60 days past due"),
    ("61_90", "61–90 days past due"),
    ("90_plus", "Over 90 days past due"),
)
_FISCAL_YEAR = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def check_fiscal_year(label: str | None, field_name: str = "year") -> str:
    """ "2026-27" as typed or chosen; anything else is a clear error."""
    text = (label or "").strip()
    match = _FISCAL_YEAR.fullmatch(text)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)) or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput({field_name: "Choose a fiscal year, written like 2026-27."})
    return text


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight in Sacramento at the start of `day`, as an aware datetime (compare with UTC timestamps)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "90_plus"


# --- Aging ----------------------------------------------------------------------------------------


@dataclass
class AgingRow:
    district_id: int | None
    code: str
    name: str
    buckets: dict[str, int] = field(default_factory=lambda: {key: 0 for key, _ in AGING_BUCKETS})
    invoice_count: int = 0

    @property
    def total_cents(self) -> int:
        return sum(self.buckets.values())

    @property
    def overdue_cents(self) -> int:
        return self.total_cents - self.buckets["current"]


@dataclass
class AgingReport:
    as_of: dt.date
    rows: list[AgingRow]
    totals: AgingRow


async def aging(actor: Actor, as_of: dt.date) -> AgingReport:
    """Per district, what is still open on each invoice, by how many days past its due date it is on `as_of`.

    Basis: invoices issued on or before `as_of`; open = total - paid - credited, from today's balances
    (every payment and credit note recorded so far). An invoice not yet due is "current".
    """
    require_finance(actor, REPORTING)
    invoices = await Invoice.select(Invoice.id, Invoice.district, Invoice.total_cents, Invoice.due_on).where(
        Invoice.issued_on <= as_of
    )
    balances = await balances_for(invoices)
    districts = {row["id"]: row for row in await District.select(District.id, District.code, District.name)}
    rows: dict[int, AgingRow] = {}
    totals = AgingRow(None, "", "All districts")
    for invoice in invoices:
        open_cents = balances[invoice["id"]].open_cents
        if open_cents <= 0:
            continue
        district = districts[invoice["district"]]
        row = rows.setdefault(district["id"], AgingRow(district["id"], district["code"], district["name"]))
        key = bucket_of((as_of - invoice["due_on"]).days)
        for target in (row, totals):
            target.buckets[key] += open_cents
            target.invoice_count += 1
    return AgingReport(as_of, sorted(rows.values(), key=lambda row: row.name.casefold()), totals)


# --- Revenue by program and month -----------------------------------------------------------------


@dataclass
class RevenueMonth:
    first_day: dt.date
    invoiced: dict[str, int] = field(default_factory=lambda: {program: 0 for program in PROGRAMS})
    credited: dict[str, int] = field(default_factory=lambda: {program: 0 for program in PROGRAMS})
    card: dict[str, int] = field(default_factory=lambda: {program: 0 for program in PROGRAMS})
    refunded: dict[str, int] = field(default_factory=lambda: {program: 0 for program in PROGRAMS})

    @property
    def label(self) -> str:
        return f"{self.first_day:%b %Y}"

    def net(self, program: str) -> int:
        return self.invoiced[program] - self.credited[program] + self.card[program] - self.refunded[program]

    @property
    def total_cents(self) -> int:
        return sum(self.net(program) for program in PROGRAMS)


@dataclass
class RevenueReport:
    fiscal_year: str
    months: list[RevenueMonth]

    def program_total(self, program: str) -> int:
        return sum(month.net(program) for month in self.months)

    @property
    def total_cents(self) -> int:
        return sum(month.total_cents for month in self.months)

    def component_total(self, component: str) -> int:
        return sum(sum(getattr(month, component).values()) for month in self.months)


def _month_index(day: dt.date, start: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def card_program(purpose: str, offering_kind: str | None) -> str:
    """Tuition is the Leadership Institute's; a registration fee is its offering's program."""
    if purpose == "tuition":
        return "cohort"
    return offering_kind if offering_kind in PROGRAMS else "workshop"


async def direct_card_payments(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Paid card payments for registrations and tuition with paid_at in [start, end), each with its program."""
    rows = await CardPayment.select(
        CardPayment.id,
        CardPayment.purpose,
        CardPayment.amount_cents,
        CardPayment.paid_at,
        CardPayment.registration,
        CardPayment.payment_intent_id,
        CardPayment.description,
        CardPayment.payer.district.as_alias("payer_district"),
    ).where(
        CardPayment.purpose.is_in(list(DIRECT_CARD_PURPOSES))
        & (CardPayment.status == "paid")
        & (CardPayment.paid_at >= start)
        & (CardPayment.paid_at < end)
    )
    await _add_programs(rows)
    return rows


async def _add_programs(card_payments: list[dict]) -> None:
    registration_ids = [row["registration"] for row in card_payments if row["registration"]]
    kinds: dict[int, str] = {}
    if registration_ids:
        for row in await Registration.select(Registration.id, Registration.offering.kind.as_alias("kind")).where(
            Registration.id.is_in(registration_ids)
        ):
            kinds[row["id"]] = row["kind"]
    for row in card_payments:
        row["program"] = card_program(row["purpose"], kinds.get(row["registration"]))


async def succeeded_refunds(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Refunds of direct card payments that Stripe completed in [start, end), each with its program."""
    rows = await Refund.select(
        Refund.id,
        Refund.amount_cents,
        Refund.completed_at,
        Refund.stripe_refund_id,
        Refund.reason,
        Refund.card_payment.as_alias("card_payment"),
        Refund.card_payment.purpose.as_alias("purpose"),
        Refund.card_payment.registration.as_alias("registration"),
        Refund.card_payment.payment_intent_id.as_alias("payment_intent_id"),
        Refund.card_payment.invoice.number.as_alias("invoice_number"),
        Refund.card_payment.district.as_alias("card_district"),
        Refund.card_payment.payer.district.as_alias("payer_district"),
    ).where((Refund.status == "succeeded") & (Refund.completed_at >= start) & (Refund.completed_at < end))
    await _add_programs(rows)
    return rows


async def revenue_by_program_month(actor: Actor, fiscal_year: str) -> RevenueReport:
    """Revenue of one fiscal year, July to June, for workshops, the Leadership Institute and Sly Park.

    Basis (accrual for districts, cash for people paying by card):
    - invoiced: invoice lines, in the month their invoice was issued, under the line's program;
    - minus credit notes: each credit-note line in the month the credit note was issued, under the
      program of the invoice line it credits;
    - plus card payments made straight to SCOE (registration fees and tuition, not district invoices,
      which are already counted as invoiced) in the month they were paid, under the program of the
      offering (tuition is the Leadership Institute's);
    - minus refunds of those card payments in the month Stripe completed them.
    A district paying its invoice (by check, ACH or card) is not revenue again: it settles a receivable.
    """
    require_finance(actor, REPORTING)
    fiscal_year = check_fiscal_year(fiscal_year)
    first, last = fiscal_year_bounds(fiscal_year)
    months = [
        RevenueMonth(dt.date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1))
        for n in range(12)
    ]
    start, end = local_day_start(first), local_day_start(last + dt.timedelta(days=1))

    lines = await InvoiceLine.select(
        InvoiceLine.program, InvoiceLine.amount_cents, InvoiceLine.invoice.issued_on.as_alias("issued_on")
    ).where((InvoiceLine.invoice.issued_on >= first) & (InvoiceLine.invoice.issued_on <= last))
    for line in lines:
        months[_month_index(line["issued_on"], first)].invoiced[line["program"]] += line["amount_cents"]

    credits = await CreditNoteLine.select(
        CreditNoteLine.amount_cents,
        CreditNoteLine.invoice_line.program.as_alias("program"),
        CreditNoteLine.credit_note.issued_on.as_alias("issued_on"),
    ).where((CreditNoteLine.credit_note.issued_on >= first) & (CreditNoteLine.credit_note.issued_on <= last))
    for line in credits:
        months[_month_index(line["issued_on"], first)].credited[line["program"]] += line["amount_cents"]

    for payment in await direct_card_payments(start, end):
        months[_month_index(to_local(payment["paid_at"]).date(), first)].card[payment["program"]] += payment[
            "amount_cents"
        ]
    for refund in await succeeded_refunds(start, end):
        if refund["purpose"] in DIRECT_CARD_PURPOSES:
            month = months[_month_index(to_local(refund["completed_at"]).date(), first)]
            month.refunded[refund["program"]] += refund["amount_cents"]
    return RevenueReport(fiscal_year, months)


async def fiscal_years_on_record(today: dt.date) -> list[str]:
    """From the first invoice's fiscal year (or this one) to this one, newest first: the report's choices."""
    current = fiscal_year_of(today)
    oldest = await Invoice.select(Invoice.issued_on).order_by(Invoice.issued_on).first()
    start = int(fiscal_year_of(oldest["issued_on"])[:4]) if oldest else int(current[:4])
    start = min(start, int(current[:4]))
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(int(current[:4]), start - 1, -1)]


# --- The dashboard --------------------------------------------------------------------------------


@dataclass
class Dashboard:
    as_of: dt.date
    aging: AgingReport
    revenue: RevenueReport
    received_checks_cents: int
    received_card_cents: int
    waiting: list[dict]
    credits: list[dict]
    refunds_in_progress: list[dict]
    needing_credit: list[dict]

    @property
    def open_cents(self) -> int:
        return self.aging.totals.total_cents

    @property
    def overdue_cents(self) -> int:
        return self.aging.totals.overdue_cents

    @property
    def received_cents(self) -> int:
        return self.received_checks_cents + self.received_card_cents

    @property
    def waiting_count(self) -> int:
        return sum(row["count"] for row in self.waiting)

    @property
    def waiting_cents(self) -> int:
        return sum(row["total_cents"] for row in self.waiting)

    @property
    def credit_cents(self) -> int:
        return sum(row["credit_cents"] for row in self.credits)


async def waiting_to_invoice() -> list[dict]:
    """Per district: how many open charge lines wait for an invoice, and their total; biggest first."""
    rows = await ChargeLine.select(
        ChargeLine.district,
        ChargeLine.amount_cents,
        ChargeLine.district.name.as_alias("name"),
        ChargeLine.district.code.as_alias("code"),
    ).where(ChargeLine.status == "open")
    per: dict[int, dict] = {}
    for row in rows:
        entry = per.setdefault(
            row["district"],
            {"district_id": row["district"], "name": row["name"], "code": row["code"], "count": 0, "total_cents": 0},
        )
        entry["count"] += 1
        entry["total_cents"] += row["amount_cents"]
    return sorted(per.values(), key=lambda entry: (-entry["total_cents"], entry["name"].casefold()))


async def district_credits() -> list[dict]:
    """Districts with money paid but not applied to any invoice (their credit), largest first."""
    paid: dict[int, int] = {}
    for row in await PaymentReceived.select(PaymentReceived.district, PaymentReceived.amount_cents):
        paid[row["district"]] = paid.get(row["district"], 0) + row["amount_cents"]
    for row in await Allocation.select(Allocation.payment.district.as_alias("district"), Allocation.amount_cents):
        paid[row["district"]] = paid.get(row["district"], 0) - row["amount_cents"]
    holders = {district_id: cents for district_id, cents in paid.items() if cents > 0}
    if not holders:
        return []
    names = {
        row["id"]: row["name"]
        for row in await District.select(District.id, District.name).where(District.id.is_in(list(holders)))
    }
    return sorted(
        (
            {"district_id": district_id, "name": names[district_id], "credit_cents": cents}
            for district_id, cents in holders.items()
        ),
        key=lambda row: -row["credit_cents"],
    )


async def refunds_in_progress() -> list[dict]:
    return (
        await Refund.select(
            Refund.id,
            Refund.amount_cents,
            Refund.status,
            Refund.requested_at,
            Refund.reason,
            Refund.card_payment.as_alias("card_payment"),
            Refund.card_payment.description.as_alias("description"),
        )
        .where(Refund.status.is_in(["requested", "pending"]))
        .order_by(Refund.requested_at)
    )


async def received_in(first: dt.date, last: dt.date) -> tuple[int, int]:
    """(checks, ACH and card payments on invoices received; card payments straight to SCOE) between two days."""
    payments = await PaymentReceived.select(PaymentReceived.amount_cents).where(
        (PaymentReceived.received_on >= first) & (PaymentReceived.received_on <= last)
    )
    cards = await direct_card_payments(local_day_start(first), local_day_start(last + dt.timedelta(days=1)))
    return sum(row["amount_cents"] for row in payments), sum(row["amount_cents"] for row in cards)


async def dashboard(actor: Actor, as_of: dt.date | None = None, now: dt.datetime | None = None) -> Dashboard:
    """Finance at a glance on `as_of` (today by default): receivables, this month's money, what needs doing."""
    require_finance(actor, REPORTING)
    now = now or utc_now()
    as_of = as_of or local_today(now)
    await gather_charge_lines(now)  # "waiting to be invoiced" counts charges confirmed a minute ago
    checks, cards = await received_in(as_of.replace(day=1), as_of)
    return Dashboard(
        as_of=as_of,
        aging=await aging(actor, as_of),
        revenue=await revenue_by_program_month(actor, fiscal_year_of(as_of)),
        received_checks_cents=checks,
        received_card_cents=cards,
        waiting=await waiting_to_invoice(),
        credits=await district_credits(),
        refunds_in_progress=await refunds_in_progress(),
        needing_credit=await invoiced_lines_needing_credit(),
    )
