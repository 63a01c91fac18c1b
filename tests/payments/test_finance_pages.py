"""Finance's pages over HTTP, on both engines: preview and issue invoices, PDFs, record a check over two invoices,
credit notes and voids, the CSV export; every bad input refused with nothing changed; finance and admin only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import urlencode

from pypdf import PdfReader

from booking.clock import utc_now
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.fiscal import local_today
from booking.payments.invoicing import issue_invoices
from booking.payments.tables import (
    Allocation,
    ChargeLine,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    PaymentReceived,
)
from booking.scheduling.tables import Registration
from booking.workflows.cancel_registration import cancel_registration
from tests.factories import csrf_token, make_user, post_form, signed_in
from tests.payments.money_factory import (
    coordinator_actor,
    district_billed_seats,
    finance_actor,
    open_line_ids,
    set_billing_contact,
)


async def signed_in_finance(client, role: str = "finance") -> dict:
    return await signed_in(client, await make_user(role))


async def post(client, path: str, data: dict | list):
    """A form POST with a fresh CSRF token; `data` may be a list of pairs for repeated fields."""
    token = await csrf_token(client, "/finance/payments")
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    return await client.post(
        path,
        content=urlencode([*pairs, ("_csrf_token", token)]).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


async def issued(district: str = "EGUSD", *, seats: int = 2, po_number: str = "PO-1", days_ago: int = 0) -> dict:
    district_id = await set_billing_contact(district, email=f"ap@{district.lower()}.example")
    await district_billed_seats(seats, district=district, po_number=po_number, title=f"Workshop {district} {po_number}")
    lines = [
        row["id"]
        for row in await ChargeLine.select(ChargeLine.id).where(
            (ChargeLine.district == district_id) & (ChargeLine.status == "open") & (ChargeLine.po_number == po_number)
        )
    ]
    [invoice] = await issue_invoices(
        await finance_actor(),
        district_id,
        lines,
        acknowledge_warnings=True,
        now=utc_now() - dt.timedelta(days=days_ago),
    )
    return invoice


def yesterday() -> str:
    return (local_today() - dt.timedelta(days=1)).isoformat()


async def counts() -> tuple[int, ...]:
    return (await Invoice.count(), await CreditNote.count(), await PaymentReceived.count(), await Allocation.count())


# --- the whole flow ------------------------------------------------------------------------------


async def test_preview_issue_pdf_pay_credit_void_and_export(client):
    district_id = await set_billing_contact()
    await district_billed_seats(3, po_number="PO-7781", title="Number Talks")
    await district_billed_seats(1, po_number="PO-2200", title="Literacy Lab")
    await signed_in_finance(client)

    picker = await client.get("/finance/invoices/new")
    assert picker.status_code == 200
    assert "Elk Grove Unified" in picker.text and "4 charges, $500.00" in picker.text

    preview = await client.get(f"/finance/invoices/new?district={district_id}")
    assert preview.status_code == 200, preview.text
    html = preview.text
    assert "PO PO-2200" in html and "PO PO-7781" in html and "$375.00" in html
    assert "is not on file" in html  # the POs are not on file: a warning, with the box to acknowledge it
    assert 'name="acknowledge"' in html
    line_ids = [int(value) for value in re.findall(r'name="line" value="(\d+)" checked', html)]
    assert sorted(line_ids) == sorted(await open_line_ids(district_id)) and len(line_ids) == 4

    # Without acknowledging the warnings: refused, nothing issued.
    refused = await post(
        client, "/finance/invoices", [("district", str(district_id)), *[("line", str(i)) for i in line_ids]]
    )
    assert refused.status_code == 409 and "Please confirm you have read the warnings" in refused.text
    assert await Invoice.count() == 0

    # The Literacy Lab seat alone: one invoice, and the page of that invoice.
    [literacy] = [
        line["id"] for line in await ChargeLine.select(ChargeLine.id).where(ChargeLine.po_number == "PO-2200")
    ]
    response = await post(
        client,
        "/finance/invoices",
        [("district", str(district_id)), ("line", str(literacy)), ("acknowledge", "on"), ("period_label", "Fall 2026")],
    )
    assert response.status_code == 303
    small = await Invoice.select().where(Invoice.po_number == "PO-2200").first()
    assert response.headers["location"] == f"/finance/invoices/{small['id']}?notice=invoice-issued"
    assert small["total_cents"] == 12_500 and small["period_label"] == "Fall 2026"

    # The three Number Talks seats.
    rest = [i for i in line_ids if i != literacy]
    response = await post(
        client,
        "/finance/invoices",
        [("district", str(district_id)), *[("line", str(i)) for i in rest], ("acknowledge", "on")],
    )
    assert response.status_code == 303
    big = await Invoice.select().where(Invoice.po_number == "PO-7781").first()
    assert big["total_cents"] == 37_500 and await open_line_ids(district_id) == []

    page = await client.get(f"/finance/invoices/{big['id']}")
    assert page.status_code == 200 and big["number"] in page.text and "PO-7781" in page.text
    pdf = await client.get(f"/finance/invoices/{big['id']}.pdf")
    assert (
        pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    )
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert big["number"] in text and "PO-7781" in text and "$375.00" in text

    # A check of $500 applied to both invoices: $375 + $100, the other $25 stays as credit.
    response = await post(
        client,
        "/finance/payments",
        {
            "district": str(district_id),
            "method": "check",
            "amount": "500.00",
            "received_on": yesterday(),
            "reference": "10452",
            f"apply_{big['id']}": "375.00",
            f"apply_{small['id']}": "100",
            "action": "record",
        },
    )
    assert response.status_code == 303, response.text
    payment = await PaymentReceived.select().first()
    assert response.headers["location"] == f"/finance/payments/{payment['id']}?notice=payment-recorded"
    payment_page = await client.get(f"/finance/payments/{payment['id']}")
    assert payment_page.status_code == 200
    assert big["number"] in payment_page.text and small["number"] in payment_page.text
    assert "Not yet applied</dt><dd><strong>$25.00</strong>" in payment_page.text

    listing = await client.get(f"/finance/invoices?district={district_id}")
    assert listing.status_code == 200 and "Paid" in listing.text and "Partly paid" in listing.text
    paid_only = await client.get("/finance/invoices?state=paid", headers={"HX-Request": "true"})
    assert paid_only.status_code == 200 and big["number"] in paid_only.text and small["number"] not in paid_only.text
    assert "<html" not in paid_only.text  # htmx gets the table only

    # The rest of the payment applied from the payment's page; more than is left is refused.
    too_much = await post(
        client, f"/finance/payments/{payment['id']}/allocations", {"invoice": str(small["id"]), "amount": "30"}
    )
    assert too_much.status_code == 422 and "more than is left" in too_much.text
    applied = await post(
        client, f"/finance/payments/{payment['id']}/allocations", {"invoice": str(small["id"]), "amount": "25"}
    )
    assert applied.status_code == 303
    small_page = await client.get(f"/finance/invoices/{small['id']}")
    assert "Open</dt><dd><strong>$0.00</strong>" in small_page.text

    # A credit note of $125 on one line of the paid invoice: the excess returns to the district's credit.
    big_lines = await InvoiceLine.select().where(InvoiceLine.invoice == big["id"]).order_by(InvoiceLine.position)
    response = await post(
        client,
        f"/finance/invoices/{big['id']}/credit-notes",
        {f"line_{big_lines[0]['id']}": "125", "reason": "One teacher did not attend"},
    )
    assert response.status_code == 303
    note = await CreditNote.select().first()
    page = await client.get(f"/finance/invoices/{big['id']}")
    assert note["number"] in page.text and f'href="/finance/credit-notes/{note["id"]}.pdf"' in page.text
    assert "Credited</dt><dd>$125.00" in page.text and "District credit</dt><dd>$125.00" in page.text
    note_pdf = await client.get(f"/finance/credit-notes/{note['id']}.pdf")
    assert (
        note_pdf.status_code == 200
        and note["number"] in PdfReader(io.BytesIO(note_pdf.content)).pages[0].extract_text()
    )

    # Void the rest with "re-open": the two other charges are open again for a corrected invoice.
    response = await post(client, f"/finance/invoices/{big['id']}/void", {"reason": "Wrong PO", "reopen": "on"})
    assert response.status_code == 303 and "invoice-voided-reopened" in response.headers["location"]
    reopened = await ChargeLine.select().where((ChargeLine.district == district_id) & (ChargeLine.status == "open"))
    assert len(reopened) == 2 and {line["description"] for line in reopened} == {"Number Talks"}
    again = await client.get(f"/finance/invoices/{big['id']}")
    assert "Cancel the whole invoice" not in again.text  # nothing left to credit
    voided_again = await post(client, f"/finance/invoices/{big['id']}/void", {"reason": "Twice"})
    assert voided_again.status_code == 409 and await CreditNote.count() == 2

    # The accounting CSV of today: invoices - credit notes = the lines issued - the lines credited.
    today = local_today().isoformat()
    export = await client.get(f"/finance/export.csv?from={yesterday()}&to={today}")
    assert export.status_code == 200 and export.headers["content-disposition"].startswith("attachment;")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8"))))
    assert list(rows[0].keys()) == [
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
    ]
    cents = lambda kind: sum(round(float(row["amount"]) * 100) for row in rows if row["type"] == kind)  # noqa: E731 - a one-line sum, read where it is used
    line_total = sum(row["amount_cents"] for row in await InvoiceLine.select(InvoiceLine.amount_cents))
    credited_total = sum(row["amount_cents"] for row in await CreditNoteLine.select(CreditNoteLine.amount_cents))
    assert cents("invoice") == line_total == 50_000
    assert cents("credit_note") == -credited_total == -37_500
    assert cents("payment") == 50_000
    # Applied $475 + $25, then $125 + $250 returned to credit by the two credit notes.
    assert cents("allocation") == 50_000 - 37_500
    assert {row["number"] for row in rows if row["type"] == "invoice"} == {big["number"], small["number"]}
    assert all(row["related_invoice"] == big["number"] for row in rows if row["type"] == "credit_note")
    assert all(row["district_code"] == "EGUSD" for row in rows)


async def test_attention_list_names_a_charge_cancelled_after_invoicing(client):
    invoice = await issued(seats=2, po_number="PO-ATT")
    seat = await Registration.select().order_by(Registration.id).first()
    await cancel_registration(await coordinator_actor(), seat["id"])
    await signed_in_finance(client)
    page = await client.get("/finance")
    assert page.status_code == 200
    attention = re.search(r'<section aria-labelledby="attention-heading">.*?</section>', page.text, re.S).group(0)
    # A workshop seat is credited with one click on finance's prepared list (issue 13).
    assert invoice["number"] in attention and "credit with one click" in attention
    assert 'href="/finance/cancelled-seats"' in attention


async def test_dashboard_shows_the_figures_and_accessible_charts(client):
    await issued(seats=2, po_number="PO-OLD", days_ago=45)  # due 15 days ago: overdue
    await issued(seats=1, po_number="PO-NEW")
    district_id = await set_billing_contact()
    await district_billed_seats(1, po_number="PO-WAIT")
    await signed_in_finance(client, "admin")  # admin may do what finance does
    page = await client.get("/finance")
    assert page.status_code == 200
    html = page.text
    assert 'href="/finance" aria-current="page"' in html  # the Finance item in the navigation
    assert 'Open receivables</p>\n      <p class="roster-stat-value">$375.00' in html
    assert 'Overdue</p>\n      <p class="roster-stat-value">$250.00' in html
    assert f"/finance/invoices/new?district={district_id}" in html and "$125.00" in html
    # Each chart is an image with a title and a description, followed by a table with the same numbers.
    for chart in ("aging-chart", "revenue-chart"):
        assert re.search(rf'<svg class="chart"[^>]*role="img" aria-labelledby="{chart}-title {chart}-desc"', html)
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "1–30 days: $250.00" in html and "Not yet due: $125.00" in html
    aging_table = re.search(r"<caption>Open receivables by district.*?</table>", html, re.S).group(0)
    assert "Elk Grove Unified" in aging_table and "$250.00" in aging_table and "$375.00" in aging_table


# --- bad input: a clear error, nothing changed ------------------------------------------------------


async def test_bad_payment_input_is_refused_and_records_nothing(client):
    mine = await issued("EGUSD", seats=1, po_number="PO-A")
    other = await issued("SJUSD", seats=1, po_number="PO-B")
    await signed_in_finance(client)
    before = await counts()
    base = {
        "district": str(mine["district"]),
        "method": "check",
        "amount": "125",
        "received_on": yesterday(),
        "reference": "777",
        "action": "record",
    }
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    cases = [
        ({"amount": ""}, 422, "Enter an amount"),
        ({"amount": "-5"}, 422, "Enter a positive amount"),
        ({"amount": "abc"}, 422, "Enter an amount in dollars and cents"),
        ({"amount": "0"}, 422, "above $0"),
        ({"received_on": tomorrow}, 422, "cannot be received in the future"),
        ({"received_on": "31/12/2026"}, 422, "Enter a date"),
        ({"reference": ""}, 422, "check number"),
        ({"method": "cash"}, 422, "Choose check or ACH"),
        ({"district": "999999"}, 422, "Choose the district that paid"),
        ({"district": "abc"}, 422, "Choose the district that paid"),
        ({f"apply_{mine['id']}": "xyz"}, 422, "Enter an amount in dollars and cents"),
        ({f"apply_{mine['id']}": "200"}, 422, "add up to more than the payment"),  # more than the check
        ({"amount": "300", f"apply_{mine['id']}": "200"}, 409, "has only $125.00 open"),  # more than is open
        ({f"apply_{other['id']}": "100"}, 422, "not this district"),  # another district's invoice
        ({f"apply_{mine['id']}": "100", f"apply_{other['id']}": "25"}, 422, "not this district"),
    ]
    for change, status, message in cases:
        response = await post(client, "/finance/payments", {**base, **change})
        assert response.status_code == status, (change, response.status_code)
        assert message in response.text, (change, message)
        assert 'class="error-summary"' in response.text
        assert await counts() == before, change
    # The same check twice: the second is refused.
    assert (await post(client, "/finance/payments", base)).status_code == 303
    duplicate = await post(client, "/finance/payments", base)
    assert duplicate.status_code == 409 and "already recorded" in duplicate.text
    assert await PaymentReceived.count() == 1


async def test_fill_oldest_first_and_show_open_invoices_without_javascript(client):
    older = await issued(seats=2, po_number="PO-OLD", days_ago=20)
    newer = await issued(seats=2, po_number="PO-NEW")
    await issued("SJUSD", seats=1, po_number="PO-SJ")
    await signed_in_finance(client)
    shown = await post(client, "/finance/payments", {"district": str(older["district"]), "action": "show"})
    assert shown.status_code == 200
    assert f'name="apply_{older["id"]}"' in shown.text and f'name="apply_{newer["id"]}"' in shown.text
    assert "PO-SJ" not in shown.text
    filled = await post(
        client, "/finance/payments", {"district": str(older["district"]), "amount": "300", "action": "fill"}
    )
    assert filled.status_code == 200
    assert re.search(rf'name="apply_{older["id"]}" type="text"[^>]*value="250.00"', filled.text)
    assert re.search(rf'name="apply_{newer["id"]}" type="text"[^>]*value="50.00"', filled.text)
    fragment = await client.get(
        f"/finance/payments/open-invoices?district={older['district']}", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="payment-invoices">')
    assert older["number"] in fragment.text
    no_js = await client.get(f"/finance/payments/open-invoices?district={older['district']}")
    assert no_js.status_code == 303 and no_js.headers["location"] == f"/finance/payments?district={older['district']}"
    assert await PaymentReceived.count() == 0


async def test_bad_invoice_forms_change_nothing(client):
    invoice = await issued(seats=2, po_number="PO-X")
    other = await issued("SJUSD", seats=1, po_number="PO-Y")
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    other_line = await InvoiceLine.select().where(InvoiceLine.invoice == other["id"]).first()
    district_id = invoice["district"]
    await district_billed_seats(1, po_number="PO-Z")
    [open_line] = await open_line_ids(district_id)
    sj_line_ids = [
        row["id"] for row in await ChargeLine.select(ChargeLine.id).where(ChargeLine.district == other["district"])
    ]
    await signed_in_finance(client)
    before = await counts()
    line = f"line_{lines[0]['id']}"
    credit_cases = [
        ({line: "50", "reason": ""}, 422, "Say why"),
        ({line: "-5", "reason": "x"}, 422, "Enter a positive amount"),
        ({line: "abc", "reason": "x"}, 422, "Enter an amount in dollars and cents"),
        ({line: "500", "reason": "x"}, 422, "Credit between $0 and $125.00"),
        ({"reason": "x"}, 422, "Enter the amount to credit"),
        ({f"line_{other_line['id']}": "10", "reason": "x"}, 422, "not on this invoice"),
    ]
    for data, status, message in credit_cases:
        response = await post(client, f"/finance/invoices/{invoice['id']}/credit-notes", data)
        assert response.status_code == status and message in response.text, (data, response.status_code)
    assert (await post(client, f"/finance/invoices/{invoice['id']}/void", {"reason": "  "})).status_code == 422
    no_credit = await post(client, f"/finance/invoices/{invoice['id']}/apply-credit", {"amount": ""})
    assert no_credit.status_code == 409 and "no credit" in no_credit.text
    assert (await post(client, f"/finance/invoices/{invoice['id']}/apply-credit", {"amount": "-3"})).status_code == 422
    assert (await post(client, "/finance/invoices/999999/void", {"reason": "x"})).status_code == 404
    assert (
        await post(client, "/finance/invoices/999999/credit-notes", {"line_1": "1", "reason": "x"})
    ).status_code == 404

    issue_cases = [
        ([("district", str(district_id))], 422, "Choose at least one charge"),
        ([("district", "999999"), ("line", str(open_line))], 422, "Choose a district from the list"),
        ([("district", str(district_id)), ("line", "abc")], 422, "not charges of this district"),
        (
            [("district", str(district_id)), *[("line", str(i)) for i in sj_line_ids], ("acknowledge", "on")],
            422,
            "do not exist for this district",
        ),
        (
            [("district", str(district_id)), ("line", str(lines[0]["charge_line"])), ("acknowledge", "on")],
            409,
            "invoiced or withdrawn a moment ago",
        ),
    ]
    for data, status, message in issue_cases:
        response = await post(client, "/finance/invoices", data)
        assert response.status_code == status and message in response.text, (data, response.status_code)
    po = await post(
        client,
        "/finance/charges/po",
        [("district", str(district_id)), ("line", str(open_line)), ("po_number", "P" * 61)],
    )
    assert po.status_code == 422 and "at most 60 characters" in po.text
    po = await post(
        client,
        "/finance/charges/po",
        [("district", str(district_id)), ("line", str(lines[0]["charge_line"])), ("po_number", "PO-NEW")],
    )
    assert po.status_code == 409 and "keeps its PO" in po.text
    assert await counts() == before
    assert (await ChargeLine.select().where(ChargeLine.id == open_line).first())["po_number"] == "PO-Z"

    # Setting a PO on an open charge works, and the preview groups by it.
    done = await post(
        client,
        "/finance/charges/po",
        [("district", str(district_id)), ("line", str(open_line)), ("po_number", " PO-9 ")],
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/finance/invoices/new?district={district_id}&notice=po-set"
    )
    assert (await ChargeLine.select().where(ChargeLine.id == open_line).first())["po_number"] == "PO-9"


async def test_no_input_makes_a_page_fail(client):
    invoice = await issued(seats=1)
    await signed_in_finance(client)
    weird = ["abc", "-1", "0", "99999999999999999999", "2026-13-45", "%00", "<script>", "=1+1", "2026-27", "1999-2000"]
    paths = []
    for value in weird:
        paths += [
            f"/finance/invoices?district={value}&state={value}&year={value}",
            f"/finance/invoices/new?district={value}",
            f"/finance/invoices/new?district={invoice['district']}&from={value}&to={value}&booking={value}",
            f"/finance/reports/aging?as_of={value}",
            f"/finance/reports/aging.csv?as_of={value}",
            f"/finance/reports/revenue?year={value}",
            f"/finance/export.csv?from={value}&to={value}",
            f"/finance/payments?district={value}",
            f"/finance/invoices/{value}",
            f"/finance/credit-notes/{value}",
            f"/finance/payments/open-invoices?district={value}",
        ]
    for path in paths:
        response = await client.get(path, headers={"HX-Request": "true"} if "open-invoices" in path else {})
        assert response.status_code < 500, (path, response.status_code)
    assert (await client.get("/finance/invoices?state=nope")).status_code == 400
    assert (await client.get("/finance/reports/aging?as_of=2026-13-45")).status_code == 400
    assert (await client.get("/finance/reports/revenue?year=2026-28")).status_code == 400
    export = await client.get("/finance/export.csv?from=2026-07-01&to=2026-06-01")
    assert export.status_code == 400 and "before the start date" in export.text
    assert (await client.get("/finance/export.csv")).status_code == 400
    for path in (
        "/finance/invoices/99999999",
        "/finance/invoices/99999999.pdf",
        "/finance/credit-notes/1.pdf",
        "/finance/credit-notes/1",
        "/finance/payments/99999999",
        "/finance/invoices/12.exe",
    ):
        assert (await client.get(path)).status_code == 404, path


# --- who may use these pages --------------------------------------------------------------------


async def test_finance_pages_are_for_finance_and_admin_only(client):
    invoice = await issued(seats=1)
    paths = [
        "/finance",
        "/finance/invoices",
        f"/finance/invoices/{invoice['id']}",
        f"/finance/invoices/{invoice['id']}.pdf",
        "/finance/invoices/new",
        "/finance/payments",
        "/finance/reports/aging",
        "/finance/reports/revenue",
        "/finance/export.csv?from=2026-01-01&to=2026-01-31",
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?next="), path
    for role, district in (("attendee", "EGUSD"), ("coordinator", "EGUSD"), ("staff", None)):
        await signed_in(client, await make_user(role, district=district))
        for path in paths:
            assert (await client.get(path)).status_code == 403, (role, path)
        home = await client.get("/")
        assert 'href="/finance"' not in home.text
        before = await counts()
        response = await post_form(
            client,
            "/finance/payments",
            {
                "district": str(invoice["district"]),
                "method": "check",
                "amount": "125",
                "received_on": yesterday(),
                "reference": "1",
                "action": "record",
            },
            token_from="/",
        )
        assert response.status_code == 403 and await counts() == before
        response = await post_form(client, f"/finance/invoices/{invoice['id']}/void", {"reason": "x"}, token_from="/")
        assert response.status_code == 403 and await counts() == before
    for role in ("finance", "admin"):
        await signed_in(client, await make_user(role))
        assert (await client.get("/finance")).status_code == 200
        assert 'href="/finance"' in (await client.get("/")).text


async def test_gathering_on_the_new_invoice_page_finds_fresh_charges(client):
    district_id = await set_billing_contact()
    await district_billed_seats(2, po_number="PO-G")
    await ChargeLine.delete(force=True)  # as if the seats were confirmed after the last gathering
    await signed_in_finance(client)
    page = await client.get(f"/finance/invoices/new?district={district_id}")
    assert page.status_code == 200 and page.text.count('name="line"') == 2
    assert await gather_charge_lines() == 0  # the page already gathered them
