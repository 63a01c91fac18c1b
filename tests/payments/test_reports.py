"""Finance's reports on both engines: aging buckets on invoices issued in the past, revenue by program and month
(invoices, credit notes, card payments and refunds, but not a district paying its invoice), the dashboard's
figures, and the accounting CSV with spreadsheet formulas defused."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from booking.accounts.actor import Actor
from booking.csv_files import defuse
from booking.errors import Forbidden, InvalidInput
from booking.money import plain_amount
from booking.payments import exports, reports
from booking.payments.checkout import start_invoice_checkout
from booking.payments.credit_notes import issue_credit_note
from booking.payments.fiscal import fiscal_year_of, local_today
from booking.payments.payments_received import check_payment_form, record_payment
from booking.payments.refunds import request_refund, submit_refund
from booking.payments.tables import InvoiceLine, Refund
from tests.factories import make_user, signed_in
from tests.payments.money_factory import (
    coordinator_actor,
    district_billed_seats,
    finance_actor,
    set_billing_contact,
)
from tests.payments.test_finance_pages import issued
from tests.payments.test_refunds import paid_seat, settle
from tests.payments.webhook_helpers import deliver_pending, session_id_from_url


async def pay_by_check(invoice: dict, dollars: str, reference: str, applied: str | None = None) -> dict:
    clean = check_payment_form(
        {"method": "check", "amount": dollars, "received_on": local_today().isoformat(), "reference": reference},
        {invoice["id"]: applied or dollars},
    )
    return await record_payment(await finance_actor(), invoice["district"], clean)


def test_days_past_due_fall_in_the_right_bucket():
    assert [reports.bucket_of(days) for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "current",
        "current",
        "1_30",
        "1_30",
        "31_60",
        "31_60",
        "61_90",
        "61_90",
        "90_plus",
        "90_plus",
    ]


async def test_aging_buckets_of_invoices_issued_in_the_past(client):
    # Net 30: issued N days ago = N - 30 days past due today.
    current = await issued(seats=1, po_number="PO-CUR", days_ago=10)
    edge_30 = await issued(seats=1, po_number="PO-30", days_ago=60)  # exactly 30 days past due
    edge_31 = await issued(seats=2, po_number="PO-31", days_ago=61)  # 31 days
    late_70 = await issued(seats=1, po_number="PO-70", days_ago=100)
    late_120 = await issued(seats=1, po_number="PO-120", days_ago=150)
    settled = await issued(seats=1, po_number="PO-PAID", days_ago=150)
    voided = await issued(seats=1, po_number="PO-VOID", days_ago=150)
    other = await issued("SJUSD", seats=1, po_number="PO-SJ", days_ago=45)
    await pay_by_check(edge_31, "100", "C-1")
    await pay_by_check(settled, "125", "C-2")
    await issue_credit_note(await finance_actor(), voided["id"], reason="Wrong district", void=True)
    finance = await finance_actor()

    report = await reports.aging(finance, local_today())
    by_code = {row.code: row for row in report.rows}
    assert set(by_code) == {"EGUSD", "SJUSD"}
    assert by_code["EGUSD"].buckets == {
        "current": 12_500,
        "1_30": 12_500,
        "31_60": 15_000,
        "61_90": 12_500,
        "90_plus": 12_500,
    }
    assert by_code["EGUSD"].invoice_count == 5 and by_code["EGUSD"].overdue_cents == 52_500
    assert by_code["SJUSD"].buckets["1_30"] == 12_500 and by_code["SJUSD"].total_cents == 12_500
    assert report.totals.total_cents == 77_500 and report.totals.buckets["1_30"] == 25_000

    # As of 30 days ago: the invoice issued 10 days ago did not exist, and everything was 30 days younger.
    earlier = await reports.aging(finance, local_today() - dt.timedelta(days=30))
    assert earlier.totals.buckets == {
        "current": 12_500 + 12_500,
        "1_30": 15_000,
        "31_60": 12_500,
        "61_90": 12_500,
        "90_plus": 0,
    }
    assert earlier.totals.invoice_count == 5
    assert current["id"] and edge_30["id"] and late_70["id"] and late_120["id"] and other["id"]

    with pytest.raises(Forbidden):
        await reports.aging(Actor.from_row(await make_user("staff")), local_today())

    # The same numbers on the page and in the CSV.
    await signed_in(client, await make_user("finance"))
    page = await client.get(f"/finance/reports/aging?as_of={local_today().isoformat()}")
    assert page.status_code == 200 and "Elk Grove Unified" in page.text and "$775.00" in page.text
    assert "31–60 days</th>" in page.text and 'role="img"' in page.text
    response = await client.get(f"/finance/reports/aging.csv?as_of={local_today().isoformat()}")
    assert response.status_code == 200 and response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["district_code"] for row in rows] == ["EGUSD", "SJUSD", ""]
    assert rows[0]["31_60"] == "150.00" and rows[0]["total"] == "650.00" and rows[-1]["total"] == "775.00"


async def test_revenue_by_program_and_month(client, stripe_double):
    finance = await finance_actor()
    today = local_today()
    year = fiscal_year_of(today)
    month = (today.year - int(year[:4])) * 12 + today.month - 7  # July = 0
    invoice = await issued(seats=3, po_number="PO-REV")
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    await issue_credit_note(finance, invoice["id"], reason="Did not attend", amounts={lines[0]["id"]: 5_000})
    older = await issued(seats=1, po_number="PO-OLDER", days_ago=40)
    older_day = older["issued_on"]

    # A district paying its invoice by card settles a receivable: not revenue again.
    coordinator = await coordinator_actor()
    url = await start_invoice_checkout(coordinator, invoice["id"])
    session = session_id_from_url(url)
    stripe_double.pay(session)
    await deliver_pending(client, stripe_double, session)

    # A teacher's workshop fee by card is revenue; its refund, once Stripe completes it, comes off.
    seat = await paid_seat(client, stripe_double)
    refund_id = await request_refund(finance, seat["payment"]["id"], 1_000, "Left early")
    await submit_refund(refund_id)
    await settle(client, stripe_double, await Refund.select().where(Refund.id == refund_id).first(), "succeeded")
    pending_id = await request_refund(finance, seat["payment"]["id"], 500, "Parking")  # not completed: not counted

    report = await reports.revenue_by_program_month(finance, year)
    assert [m.first_day.month for m in report.months] == [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]
    this = report.months[month]
    older_same_month = fiscal_year_of(older_day) == year and older_day.month == today.month
    invoiced = 37_500 + (12_500 if older_same_month else 0)
    assert this.invoiced == {"workshop": invoiced, "cohort": 0, "slypark": 0}
    assert this.credited == {"workshop": 5_000, "cohort": 0, "slypark": 0}
    assert this.card["workshop"] == 4_500 and this.refunded["workshop"] == 1_000
    expected_this_month = invoiced - 5_000 + 4_500 - 1_000
    assert this.net("workshop") == this.total_cents == expected_this_month
    assert report.program_total("cohort") == report.program_total("slypark") == 0
    older_report = await reports.revenue_by_program_month(finance, fiscal_year_of(older_day))
    older_month = (older_day.year - int(fiscal_year_of(older_day)[:4])) * 12 + older_day.month - 7
    assert older_report.months[older_month].invoiced["workshop"] >= 12_500
    everything = report.total_cents + (older_report.total_cents if older_report.fiscal_year != year else 0)
    assert everything == 37_500 + 12_500 - 5_000 + 4_500 - 1_000

    # The dashboard: received this month counts the invoice's card payment and the teacher's fee.
    board = await reports.dashboard(finance)
    assert board.received_checks_cents == invoice["total_cents"] - 5_000  # what was open when paid by card
    assert board.received_card_cents == 4_500
    assert [r["id"] for r in board.refunds_in_progress] == [pending_id]
    assert board.open_cents == 12_500 and board.revenue.fiscal_year == year

    with pytest.raises(InvalidInput):
        await reports.revenue_by_program_month(finance, "2026-28")
    await signed_in(client, await make_user("finance"))
    page = await client.get(f"/finance/reports/revenue?year={year}")
    assert page.status_code == 200 and f"{today:%b %Y}" in page.text
    assert f'<td class="num">${expected_this_month // 100:,}.{expected_this_month % 100:02d}</td>' in page.text
    assert "How revenue is counted" in page.text and 'role="img"' in page.text


async def test_dashboard_figures(db):
    finance = await finance_actor()
    overdue = await issued(seats=2, po_number="PO-1", days_ago=45)
    await issued(seats=1, po_number="PO-2")
    await pay_by_check(overdue, "300", "C-9", applied="100")  # $200 stays as credit
    await district_billed_seats(3, po_number="PO-W")
    await set_billing_contact("SJUSD")
    await district_billed_seats(1, district="SJUSD", po_number="PO-S")
    board = await reports.dashboard(finance)
    assert board.open_cents == 25_000 + 12_500 - 10_000
    assert board.overdue_cents == 15_000
    assert board.received_checks_cents == 30_000 and board.received_card_cents == 0
    assert [(row["code"], row["count"], row["total_cents"]) for row in board.waiting] == [
        ("EGUSD", 3, 37_500),
        ("SJUSD", 1, 12_500),
    ]
    assert [(row["name"], row["credit_cents"]) for row in board.credits] == [("Elk Grove Unified", 20_000)]
    assert board.needing_credit == [] and board.refunds_in_progress == []


async def test_accounting_csv_defuses_formulas_and_signs_credits(client):
    finance = await finance_actor()
    invoice = await issued(seats=2, po_number='=HYPERLINK("http://evil.example","x")')
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    await issue_credit_note(finance, invoice["id"], reason="+SUM(1,2)", amounts={lines[0]["id"]: 12_500})
    clean = check_payment_form(
        {
            "method": "ach",
            "amount": "125",
            "received_on": local_today().isoformat(),
            "reference": "@TRACE-1",
            "note": "-2+3",
        },
        {invoice["id"]: "125"},
    )
    await record_payment(finance, invoice["district"], clean)
    await signed_in(client, await make_user("finance"))
    today = local_today().isoformat()
    response = await client.get(f"/finance/export.csv?from={today}&to={today}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="scoe-accounting-{today}-to-{today}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    by_type = {row["type"]: row for row in rows}
    assert set(by_type) == {"invoice", "credit_note", "payment", "allocation"}
    assert by_type["invoice"]["po_number"] == '\'=HYPERLINK("http://evil.example","x")'
    assert by_type["invoice"]["amount"] == "250.00" and by_type["invoice"]["program"] == "workshop"
    assert by_type["credit_note"]["description"] == "'+SUM(1,2)"
    assert by_type["credit_note"]["amount"] == "-125.00"  # our own number: not defused
    assert by_type["credit_note"]["related_invoice"] == invoice["number"]
    assert by_type["payment"]["number"] == "'@TRACE-1" and by_type["payment"]["description"] == "'-2+3"
    assert by_type["payment"]["method"] == "ach" and by_type["allocation"]["related_invoice"] == invoice["number"]
    assert all(row["date"] == today for row in rows)
    # Nothing in another range.
    empty = await client.get("/finance/export.csv?from=2001-01-01&to=2001-12-31")
    assert empty.status_code == 200 and empty.content.decode().strip() == ",".join(exports.COLUMNS)


def test_export_range_and_defusing_rules():
    assert defuse("=1+1") == "'=1+1" and defuse("-3") == "'-3" and defuse("@x") == "'@x"
    assert defuse("+1") == "'+1" and defuse("\tx") == "'\tx" and defuse("PO 12") == "PO 12"
    assert plain_amount(-12_345) == "-123.45" and plain_amount(5) == "0.05"
    assert exports.check_date_range({"from": "2026-07-01", "to": "2026-07-31"}) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 31),
    )
    for values, fields in (
        ({"from": "", "to": ""}, {"from", "to"}),
        ({"from": "2026-07-02", "to": "2026-07-01"}, {"to"}),
        ({"from": "2020-01-01", "to": "2026-01-01"}, {"to"}),
        ({"from": "x", "to": "2026-01-01"}, {"from"}),
    ):
        with pytest.raises(InvalidInput) as error:
            exports.check_date_range(values)
        assert set(error.value.field_errors) == fields


def test_fiscal_year_labels_are_checked():
    assert reports.check_fiscal_year(" 2026-27 ") == "2026-27"
    assert reports.check_fiscal_year("2099-00") == "2099-00"
    for bad in ("", "2026", "2026-28", "26-27", "2026/27", "abcd-ef", "1800-01"):
        with pytest.raises(InvalidInput):
            reports.check_fiscal_year(bad)
