"""The coordinator's invoices and purchase orders pages, over HTTP, on both engines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from booking.accounts.tables import User
from booking.clock import utc_now
from booking.payments.credit_notes import issue_credit_note
from booking.payments.district_pages import day_text
from booking.payments.fiscal import local_today
from booking.payments.invoicing import issue_invoices
from booking.payments.payments_received import check_payment_form, record_payment
from booking.payments.purchase_orders import add_purchase_order
from booking.payments.tables import CardPayment, Invoice, InvoiceLine, PurchaseOrder
from booking.settings import use_settings
from tests.factories import make_user, post_form, signed_in
from tests.payments.money_factory import (
    coordinator_actor,
    district_billed_seats,
    finance_actor,
    open_line_ids,
    set_billing_contact,
)
from tests.payments.stripe_double_server import running_stripe_double

PO_PAGE = "/district/purchase-orders"


async def issued_invoice(
    district: str = "EGUSD", *, seats: int = 2, po_number: str = "PO-7781", days_ago: int = 0
) -> dict:
    """An invoice issued by finance for `seats` district-billed seats at $125, `days_ago` days back."""
    district_id = await set_billing_contact(district, email=f"ap@{district.lower()}.example")
    await district_billed_seats(
        seats, district=district, po_number=po_number, title=f"Workshop for {district} {po_number}"
    )
    [invoice] = await issue_invoices(
        await finance_actor(),
        district_id,
        await open_line_ids(district_id),
        acknowledge_warnings=True,
        now=utc_now() - dt.timedelta(days=days_ago),
    )
    return invoice


async def pay_by_check(invoice: dict, dollars: str, reference: str = "10452") -> None:
    clean = check_payment_form(
        {
            "method": "check",
            "amount": dollars,
            "received_on": str(dt.date.today() - dt.timedelta(days=1)),
            "reference": reference,
        },
        {invoice["id"]: dollars},
    )
    await record_payment(await finance_actor(), invoice["district"], clean)


async def signed_in_coordinator(client, district: str = "EGUSD") -> dict:
    return await signed_in(client, await make_user("coordinator", district=district))


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by `heading_id`."""
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


# --- the list and one invoice ---------------------------------------------------------------------


async def test_coordinator_sees_only_own_districts_invoices_with_balances_and_overdue_in_words(client):
    overdue = await issued_invoice("EGUSD", seats=2, po_number="PO-OLD", days_ago=40)  # due 30 days after issue
    part_paid = await issued_invoice("EGUSD", seats=3, po_number="PO-NEW")
    settled = await issued_invoice("EGUSD", seats=1, po_number="PO-DONE")
    await pay_by_check(part_paid, "100", reference="5001")
    await pay_by_check(settled, "125", reference="5002")
    other = await issued_invoice("SJUSD", seats=1, po_number="PO-SJ")
    await signed_in_coordinator(client)

    response = await client.get("/district/invoices")
    assert response.status_code == 200
    html = response.text
    assert other["number"] not in html and "PO-SJ" not in html
    to_pay, paid = section(html, "to-pay-heading"), section(html, "paid-heading")
    assert overdue["number"] in to_pay and part_paid["number"] in to_pay and settled["number"] not in to_pay
    assert settled["number"] in paid
    assert "Overdue by 10 days" in to_pay and "Partly paid" in to_pay and "PO-NEW" in to_pay
    # $250 + $375 - $100 still to pay; the overdue part named in words.
    assert "Still to pay: <strong>$525.00</strong>" in to_pay and "$250.00 is overdue" in to_pay
    assert (
        '<a href="/district/invoices">Invoices</a>' in html or 'href="/district/invoices" aria-current="page"' in html
    )

    detail = await client.get(f"/district/invoices/{part_paid['id']}")
    assert detail.status_code == 200
    page = detail.text
    assert part_paid["number"] in page and "PO-NEW" in page and "Partly paid" in page
    assert "Check 5001" in page and "$100.00" in page and "$275.00" in page
    assert page.count("Workshop for EGUSD PO-NEW") == 3  # the three lines
    assert f'href="/district/invoices/{part_paid["id"]}.pdf"' in page
    # Both ways to pay: the card button and the check/ACH instructions with the invoice number.
    assert f'action="/district/invoices/{part_paid["id"]}/pay"' in page and "Pay $275.00 by card" in page
    assert "Sacramento County Office of Education" in section(page, "pay-heading")
    assert "10474 Mather Boulevard" in page and f"<strong>{part_paid['number']}</strong>, on it" in page
    assert "ACH" in section(page, "pay-heading") and "(916) 228-2500" in page


async def test_another_districts_invoice_is_not_found_whatever_the_id(client):
    other = await issued_invoice("SJUSD", seats=1)
    await signed_in_coordinator(client)
    for path in (
        f"/district/invoices/{other['id']}",
        f"/district/invoices/{other['id']}.pdf",
        f"/district/invoices/{other['id']}/status",
        "/district/invoices/999999",
        "/district/invoices/999999.pdf",
        "/district/invoices/abc",
        "/district/invoices/12.exe",
        "/district/invoices/99999999999999999",
    ):
        assert (await client.get(path)).status_code == 404, path
    response = await post_form(client, f"/district/invoices/{other['id']}/pay", {}, token_from="/district/invoices")
    assert response.status_code == 404
    assert await CardPayment.count() == 0  # nothing started for someone else's invoice


async def test_only_coordinators_use_these_pages(client):
    invoice = await issued_invoice("EGUSD", seats=1)
    paths = [
        "/district/invoices",
        f"/district/invoices/{invoice['id']}",
        f"/district/invoices/{invoice['id']}.pdf",
        PO_PAGE,
    ]
    for path in paths:  # anonymous: to sign-in, coming back afterwards
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == f"/sign-in?next={path}"
    for role in ("attendee", "finance", "staff"):
        await signed_in(client, await make_user(role, district="EGUSD" if role == "attendee" else None))
        for path in paths:
            assert (await client.get(path)).status_code == 403, (role, path)
        response = await post_form(client, PO_PAGE, {"number": "PO-1"}, token_from="/")
        assert response.status_code == 403
    assert await PurchaseOrder.count() == 0


async def test_invoice_and_credit_note_pdfs_download(client):
    invoice = await issued_invoice("EGUSD", seats=2, po_number="PO-PDF")
    line = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).first()
    note = await issue_credit_note(
        await finance_actor(), invoice["id"], reason="One teacher did not attend", amounts={line["id"]: 12_500}
    )
    other = await issued_invoice("SJUSD", seats=1)
    other_line = await InvoiceLine.select().where(InvoiceLine.invoice == other["id"]).first()
    other_note = await issue_credit_note(
        await finance_actor(), other["id"], reason="Wrong rate", amounts={other_line["id"]: 1_000}
    )
    await signed_in_coordinator(client)

    response = await client.get(f"/district/invoices/{invoice['id']}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert invoice["number"] in text and "PO-PDF" in text

    page = (await client.get(f"/district/invoices/{invoice['id']}")).text
    note_path = f"/district/invoices/{invoice['id']}/credit-notes/{note['id']}.pdf"
    assert note["number"] in page and "One teacher did not attend" in page and f'href="{note_path}"' in page
    assert "$125.00" in section(page, "credit-heading")
    response = await client.get(note_path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert note["number"] in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    # Another district's note, even put under one's own invoice, and a note without ".pdf": not found.
    for path in (
        f"/district/invoices/{invoice['id']}/credit-notes/{other_note['id']}.pdf",
        f"/district/invoices/{other['id']}/credit-notes/{other_note['id']}.pdf",
        f"/district/invoices/{invoice['id']}/credit-notes/{note['id']}",
    ):
        assert (await client.get(path)).status_code == 404, path


# --- paying -----------------------------------------------------------------------------------------


async def test_pay_button_only_while_something_is_open(client):
    invoice = await issued_invoice("EGUSD", seats=1)
    await pay_by_check(invoice, "125")
    await signed_in_coordinator(client)
    page = (await client.get(f"/district/invoices/{invoice['id']}")).text
    assert "by card" not in page and "/pay" not in page and 'id="pay-heading"' not in page
    assert "Paid" in page and "Check 10452" in page
    # Asking to pay anyway: a clear message on the page, and no card payment.
    response = await post_form(client, f"/district/invoices/{invoice['id']}/pay", {}, token_from="/district/invoices")
    assert response.status_code == 409 and "already settled" in response.text
    assert await CardPayment.count() == 0


async def test_pay_by_card_sends_the_coordinator_to_stripe_checkout(client, settings):
    invoice = await issued_invoice("EGUSD", seats=2)
    await pay_by_check(invoice, "50")
    await signed_in_coordinator(client)
    with running_stripe_double("whsec_district_pages") as double:
        use_settings(
            dataclasses.replace(
                settings,
                stripe_secret_key="sk_test_district",
                stripe_api_base=double.base,
                stripe_webhook_secret="whsec_district_pages",
            )
        )
        try:
            response = await post_form(
                client, f"/district/invoices/{invoice['id']}/pay", {}, token_from="/district/invoices"
            )
            htmx = await post_form(
                client,
                f"/district/invoices/{invoice['id']}/pay",
                {},
                token_from="/district/invoices",
                headers={"HX-Request": "true"},
            )
        finally:
            use_settings(settings)
    assert response.status_code == 303 and response.headers["location"].startswith(double.base)
    assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == response.headers["location"]  # the same session
    card = await CardPayment.select().where(CardPayment.invoice == invoice["id"]).first()
    assert card["amount_cents"] == 20_000 and card["status"] == "open"  # what was still open, not the total
    assert await CardPayment.count() == 1


async def test_card_service_down_is_a_message_on_the_page(client, settings):
    invoice = await issued_invoice("EGUSD", seats=1)
    await signed_in_coordinator(client)
    use_settings(
        dataclasses.replace(settings, stripe_secret_key="sk_test_district", stripe_api_base="http://127.0.0.1:9")
    )
    try:
        response = await post_form(
            client, f"/district/invoices/{invoice['id']}/pay", {}, token_from="/district/invoices"
        )
    finally:
        use_settings(settings)
    assert response.status_code == 409
    assert "could not start" in response.text and "did not answer" in response.text
    assert (
        "Pay $125.00 by card" in response.text
    )  # the invoice page again, so the coordinator can retry or pay by check


async def test_back_from_stripe_shows_being_confirmed_then_paid(client):
    invoice = await issued_invoice("EGUSD", seats=1)
    await signed_in_coordinator(client)
    page = (await client.get(f"/district/invoices/{invoice['id']}?paid=1")).text
    assert "Thank you — your card payment is being confirmed" in page
    assert (
        f'hx-get="/district/invoices/{invoice["id"]}/status?tries=1"' in page and 'hx-trigger="load delay:3s"' in page
    )
    assert "being confirmed" not in (await client.get(f"/district/invoices/{invoice['id']}")).text

    fragment = await client.get(f"/district/invoices/{invoice['id']}/status?tries=5", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "being confirmed" in fragment.text and "status?tries=6" in fragment.text
    last = await client.get(f"/district/invoices/{invoice['id']}/status?tries=20", headers={"HX-Request": "true"})
    assert "hx-get" not in last.text and "still being confirmed" in last.text  # a minute later, polling stops
    plain = await client.get(f"/district/invoices/{invoice['id']}/status")
    assert plain.status_code == 303 and plain.headers["location"] == f"/district/invoices/{invoice['id']}?paid=1"

    await pay_by_check(invoice, "125")  # settled (as the webhook would)
    fragment = await client.get(f"/district/invoices/{invoice['id']}/status?tries=6", headers={"HX-Request": "true"})
    assert "Paid." in fragment.text and "hx-get" not in fragment.text
    page = (await client.get(f"/district/invoices/{invoice['id']}?paid=1")).text
    assert "Paid.</strong> Thank you" in page and "being confirmed" not in page


# --- purchase orders ---------------------------------------------------------------------------------


async def test_add_list_and_close_purchase_orders(client):
    await signed_in_coordinator(client)
    assert "No purchase order on file yet" in (await client.get(PO_PAGE)).text
    response = await post_form(
        client,
        PO_PAGE,
        {
            "number": "  EG-PO-2026-0415 ",
            "description": "Professional learning",
            "not_to_exceed": "5,000",
            "valid_from": "2026-07-01",
            "valid_until": "2027-06-30",
        },
        token_from=PO_PAGE,
    )
    assert response.status_code == 303 and response.headers["location"] == f"{PO_PAGE}?notice=po-added"
    page = (await client.get(response.headers["location"])).text
    assert "The purchase order is on file" in page
    on_file = section(page, "list-heading")
    assert "EG-PO-2026-0415" in on_file and "$5,000.00" in on_file and "Jul 1, 2026 to Jun 30, 2027" in on_file
    po = await PurchaseOrder.select().where(PurchaseOrder.number == "EG-PO-2026-0415").first()
    assert po["not_to_exceed_cents"] == 500_000

    # Invoiced so far and what remains, once an invoice is drawn on it.
    await issued_invoice("EGUSD", seats=2, po_number="EG-PO-2026-0415")
    on_file = section((await client.get(PO_PAGE)).text, "list-heading")
    assert "$250.00" in on_file and "$4,750.00" in on_file and "Open" in on_file

    response = await post_form(client, f"{PO_PAGE}/{po['id']}/close", {}, token_from=PO_PAGE)
    assert response.status_code == 303 and response.headers["location"] == f"{PO_PAGE}?notice=po-closed"
    assert (await PurchaseOrder.select().where(PurchaseOrder.id == po["id"]).first())["closed_at"] is not None
    on_file = section((await client.get(PO_PAGE)).text, "list-heading")
    assert f"{PO_PAGE}/{po['id']}/close" not in on_file and f"Closed {day_text(local_today())}" in on_file
    again = await post_form(client, f"{PO_PAGE}/{po['id']}/close", {}, token_from=PO_PAGE)
    assert again.status_code == 409 and "already closed" in again.text


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"number": "EG-PO-1", "not_to_exceed": "five thousand"}, "not_to_exceed", "Enter an amount in dollars"),
        ({"number": "EG-PO-1", "not_to_exceed": "-5"}, "not_to_exceed", "Enter a positive amount"),
        (
            {"number": "EG-PO-1", "valid_from": "2027-06-30", "valid_until": "2026-07-01"},
            "valid_until",
            "cannot end before it starts",
        ),
        ({"number": "EG-PO-1", "valid_from": "30/06/2027"}, "valid_from", "Enter a date"),
        ({"number": "P" * 61}, "number", "at most 60 characters"),
        ({"number": "EG-PO-1", "description": "d" * 301}, "description", "under 300 characters"),
        ({"number": "   "}, "number", "Enter the PO number"),
    ],
)
async def test_bad_purchase_orders_are_refused_with_the_field_named(client, values, field, message):
    await signed_in_coordinator(client)
    response = await post_form(client, PO_PAGE, values, token_from=PO_PAGE)
    assert response.status_code == 422
    assert message in response.text and f'id="po-{field}-error"' in response.text
    assert 'aria-invalid="true"' in response.text and "There is a problem" in response.text
    assert await PurchaseOrder.count() == 0


async def test_duplicate_po_number_is_a_clear_message(client):
    coordinator = await signed_in_coordinator(client)
    await add_purchase_order(await coordinator_actor("SJUSD"), {"number": "PO-SAME"})  # another district may use it
    first = await post_form(client, PO_PAGE, {"number": "PO-SAME"}, token_from=PO_PAGE)
    assert first.status_code == 303
    second = await post_form(client, PO_PAGE, {"number": "PO-SAME", "description": "again"}, token_from=PO_PAGE)
    assert second.status_code == 409 and "PO PO-SAME is already on file." in second.text
    assert 'value="again"' in second.text  # what was typed is kept
    assert await PurchaseOrder.count().where(PurchaseOrder.district == coordinator["district"]) == 1


async def test_another_districts_po_cannot_be_seen_or_closed(client):
    other = await add_purchase_order(await coordinator_actor("SJUSD"), {"number": "SJ-PO-9"})
    await signed_in_coordinator(client)
    assert "SJ-PO-9" not in (await client.get(PO_PAGE)).text
    for po_id in (other["id"], 999999):
        response = await post_form(client, f"{PO_PAGE}/{po_id}/close", {}, token_from=PO_PAGE)
        assert response.status_code == 404
    assert (await PurchaseOrder.select().where(PurchaseOrder.id == other["id"]).first())["closed_at"] is None


# --- demo --------------------------------------------------------------------------------------------


async def test_the_demo_loads_a_part_paid_invoice_on_elk_groves_po_once(client):
    from booking.demo import load_demo_data
    from booking.demo_payments import DEMO_PO
    from booking.payments.balances import balance_of

    await load_demo_data()
    await load_demo_data()
    [invoice] = await Invoice.select().where(Invoice.po_number == DEMO_PO)
    balance = await balance_of(invoice["id"])
    assert (balance.total_cents, balance.paid_cents, balance.state) == (37_500, 15_000, "part_paid")
    assert await PurchaseOrder.count().where(PurchaseOrder.number == DEMO_PO) == 1
    coordinator = await User.select().where(User.email == "coordinator@egusd.example").first()
    await signed_in(client, coordinator)
    to_pay = section((await client.get("/district/invoices")).text, "to-pay-heading")
    assert invoice["number"] in to_pay and "Partly paid" in to_pay and DEMO_PO in to_pay
    on_file = section((await client.get(PO_PAGE)).text, "list-heading")
    assert "$5,000.00" in on_file and "$375.00" in on_file and "$4,625.00" in on_file


async def test_a_mistyped_po_is_corrected_until_an_invoice_is_drawn_on_it(client):
    coordinator = await signed_in_coordinator(client)
    actor = await coordinator_actor("EGUSD")
    po = await add_purchase_order(actor, {"number": "EG-PO-2026-0145", "not_to_exceed": "500"})
    await add_purchase_order(actor, {"number": "EG-PO-OTHER"})
    assert f'href="{PO_PAGE}/{po["id"]}/edit"' in section((await client.get(PO_PAGE)).text, "list-heading")
    form = (await client.get(f"{PO_PAGE}/{po['id']}/edit")).text
    assert 'value="EG-PO-2026-0145"' in form and 'value="500.00"' in form

    # Refused whole, with the field named: a bad amount, or a number another PO of the district has.
    bad = await post_form(
        client, f"{PO_PAGE}/{po['id']}/edit", {"number": "EG-PO-2026-0415", "not_to_exceed": "lots"}, token_from=PO_PAGE
    )
    assert bad.status_code == 422 and 'id="po-not_to_exceed-error"' in bad.text
    taken = await post_form(client, f"{PO_PAGE}/{po['id']}/edit", {"number": "eg-po-other".upper()}, token_from=PO_PAGE)
    assert taken.status_code == 422 and "PO EG-PO-OTHER is already on file." in taken.text
    assert (await PurchaseOrder.select().where(PurchaseOrder.id == po["id"]).first())["number"] == "EG-PO-2026-0145"

    fixed = await post_form(
        client,
        f"{PO_PAGE}/{po['id']}/edit",
        {"number": "EG-PO-2026-0415", "not_to_exceed": "5,000"},
        token_from=PO_PAGE,
    )
    assert fixed.status_code == 303 and fixed.headers["location"] == f"{PO_PAGE}?notice=po-corrected"
    row = await PurchaseOrder.select().where(PurchaseOrder.id == po["id"]).first()
    assert (row["number"], row["not_to_exceed_cents"], row["district"]) == (
        "EG-PO-2026-0415",
        500_000,
        coordinator["district"],
    )

    # Once an invoice carries it, the PO stays as printed.
    await issued_invoice("EGUSD", seats=1, po_number="EG-PO-2026-0415")
    assert f'href="{PO_PAGE}/{po["id"]}/edit"' not in section((await client.get(PO_PAGE)).text, "list-heading")
    late = await post_form(client, f"{PO_PAGE}/{po['id']}/edit", {"number": "EG-PO-2026-9999"}, token_from=PO_PAGE)
    assert late.status_code == 409 and "already on an invoice" in late.text
    assert (await PurchaseOrder.select().where(PurchaseOrder.id == po["id"]).first())["number"] == "EG-PO-2026-0415"

    other = await add_purchase_order(await coordinator_actor("SJUSD"), {"number": "SJ-PO-9"})
    assert (await client.get(f"{PO_PAGE}/{other['id']}/edit")).status_code == 404
    refused = await post_form(client, f"{PO_PAGE}/{other['id']}/edit", {"number": "MINE"}, token_from=PO_PAGE)
    assert refused.status_code == 404
    assert (await PurchaseOrder.select().where(PurchaseOrder.id == other["id"]).first())["number"] == "SJ-PO-9"
