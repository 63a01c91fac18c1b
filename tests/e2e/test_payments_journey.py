"""Payments in a real browser, against the live server and the local Stripe double it mounts at /_stripe
(development, no Stripe key): the double's hosted page posts the card, then delivers a signed webhook to
/webhooks/stripe before it redirects back.

1. A teacher without a district registers for a priced workshop paying by card: a declined card first, then
   a good one; back on the registration page the seat is confirmed and paid in full.
2. Finance invoices a district's seats (preview, then issue) and records a check that pays the invoice.
3. The district's coordinator sees the invoice as paid and downloads its PDF.
Every page on the way is audited for accessibility (tests/e2e/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.workshop_factory import make_workshop

pytestmark = pytest.mark.browser

DECLINED_CARD = "4000 0000 0000 0002"
GOOD_CARD = "4242 4242 4242 4242"


async def _registration_of(user_id: int, offering_id: int) -> dict:
    from booking.scheduling.tables import Registration

    return (
        await Registration.select()
        .where((Registration.attendee == user_id) & (Registration.offering == offering_id))
        .first()
    )


async def _card_payments_of(registration_id: int) -> list[dict]:
    from booking.payments.tables import CardPayment

    return await CardPayment.select().where(CardPayment.registration == registration_id)


def test_a_teacher_pays_by_card_after_a_declined_card(page, live_data, make_person, sign_in_as, screenshot):
    tag = uuid.uuid4().hex[:6]
    title = f"Writing Workshop Essentials {tag}"
    price_cents = 7500
    workshop_id = live_data.run(make_workshop, title, price_cents=price_cents, capacity=10)
    teacher = sign_in_as(make_person("attendee", name=f"Tess Teacher {tag}"))  # no district: card is the only way

    page.goto(f"/workshops/{workshop_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_label("Bill my district", exact=False)).to_have_count(0)
    page.get_by_label("Pay by card").check()
    page.get_by_role("button", name="Register").click()

    # The double's hosted checkout page.
    expect(page).to_have_url(re.compile(r"/_stripe/pay/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay $75.00")
    expect(page.get_by_role("row", name=re.compile(re.escape(title)))).to_contain_text("$75.00")
    email = page.get_by_label("Email", exact=True)
    if not email.input_value():
        email.fill(teacher["email"])
    page.get_by_label("Card number").fill(DECLINED_CARD)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $75.00").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(page).to_have_url(re.compile(r"/_stripe/pay/"))
    screenshot(page, "checkout-declined")
    registration = live_data.run(_registration_of, teacher["id"], workshop_id)
    assert registration["status"] == "pending_payment" and registration["amount_paid_cents"] == 0

    page.get_by_label("Card number").fill(GOOD_CARD)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay $75.00").click()

    # Back home: the webhook came before the redirect; if not yet processed, the page polls until it is.
    expect(page).to_have_url(re.compile(rf"/my/learning/{registration['id']}\?paid=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You're registered", timeout=15_000)
    expect(page.get_by_text("Thank you: your payment of $75.00 is received.")).to_be_visible()
    screenshot(page, "card-paid")

    registration = live_data.run(_registration_of, teacher["id"], workshop_id)
    assert registration["status"] == "confirmed"
    assert registration["payer"] == "card"
    assert registration["amount_cents"] == price_cents
    assert registration["amount_paid_cents"] == price_cents
    payments = live_data.run(_card_payments_of, registration["id"])
    assert [(p["status"], p["amount_cents"]) for p in payments] == [("paid", price_cents)]


# --- District invoicing ------------------------------------------------------------------


async def _district_seats(tag: str, price_cents: int, days: int) -> dict:
    """Two seats an EGUSD coordinator registered, billed to the district under a PO of this test's own."""
    from tests.payments.money_factory import district_billed_seats, set_billing_contact

    district_id = await set_billing_contact("EGUSD")
    po_number = f"PO-E2E-{tag}"
    seats = await district_billed_seats(
        2, price_cents=price_cents, po_number=po_number, title=f"Math Talks {tag}", days=days
    )
    return {"district_id": district_id, "po_number": po_number, "seats": seats}


async def _invoice_state(number: str) -> tuple[int, int]:
    from booking.payments.balances import balance_of
    from booking.payments.tables import Invoice

    invoice = await Invoice.select().where(Invoice.number == number).first()
    balance = await balance_of(invoice["id"])
    return invoice["total_cents"], balance.open_cents


async def _invoice_count(district_id: int) -> int:
    from booking.payments.tables import Invoice

    return await Invoice.count().where(Invoice.district == district_id)


def test_finance_invoices_a_district_and_the_coordinator_downloads_it_paid(
    page, live_data, make_person, sign_in_as, screenshot
):
    from booking.clock import LOCAL_TZ

    tag = uuid.uuid4().hex[:6]
    # A service day no other browser test bills on, so the preview (filtered to that day) holds only these seats.
    days = 200 + int(tag, 16) % 100
    service_day = (dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=days)).isoformat()
    setup = live_data.run(_district_seats, tag, 12_500, days)
    district_value = str(setup["district_id"])
    po_number = setup["po_number"]

    # Finance previews the district's open charges and issues the invoice.
    sign_in_as(make_person("finance", name=f"Fran Finance {tag}"))
    page.goto("/finance/invoices/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue invoices")
    page.get_by_label("District", exact=True).select_option(district_value)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue invoices: Elk Grove Unified")
    page.get_by_label("Service from").fill(service_day)
    page.get_by_label("Service to").fill(service_day)
    page.get_by_role("button", name="Update the preview").click()
    drafts = page.get_by_role("group").filter(has=page.locator("legend", has_text=re.compile(r"^Invoice \d+:")))
    expect(drafts).to_have_count(1)
    expect(drafts.locator("legend")).to_have_text(f"Invoice 1: PO {po_number}, 2 charges, $250.00")
    expect(drafts.get_by_role("checkbox")).to_have_count(2)
    expect(page.get_by_role("note", name="Warnings for invoice 1")).to_contain_text(f"PO {po_number} is not on file")
    screenshot(page, "finance-invoice-preview")
    invoices_before = live_data.run(_invoice_count, setup["district_id"])
    page.get_by_role("button", name="Issue the checked charges").click()  # the warnings are not acknowledged yet
    expect(page.get_by_role("alert")).to_contain_text("Please confirm you have read the warnings")
    expect(drafts.get_by_role("checkbox", checked=True)).to_have_count(2)  # the choice is kept
    assert live_data.run(_invoice_count, setup["district_id"]) == invoices_before  # and nothing was issued
    page.get_by_label("I have read the warnings above and want to issue anyway").check()
    page.get_by_role("button", name="Issue the checked charges").click()

    expect(page.get_by_role("status").filter(has_text="The invoice is issued")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Invoice \S+$"))
    number = heading.inner_text().removeprefix("Invoice ").strip()
    summary = page.locator("dl.facts")
    expect(summary).to_contain_text(po_number)
    expect(summary).to_contain_text("$250.00")
    assert live_data.run(_invoice_state, number) == (25_000, 25_000)
    screenshot(page, "finance-invoice")

    # Finance records the district's check for the full amount, applied to the invoice.
    page.goto("/finance/payments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    page.get_by_label("District that paid").select_option(district_value)  # htmx brings its open invoices
    apply_field = page.get_by_label(f"Amount to apply to invoice {number}")
    expect(apply_field).to_be_visible()
    page.get_by_label("Check", exact=True).check()
    page.get_by_label("Amount received, in dollars").fill("250.00")
    expect(page.get_by_label("Received on")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))  # today, by default
    page.get_by_label("Check number or ACH trace number").fill(f"CHK-{tag}")
    apply_field.fill("250.00")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_role("status").filter(has_text="The payment is recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check CHK-{tag}")
    allocations = page.get_by_role("region", name="Where it went")
    expect(allocations.get_by_role("row").filter(has_text=number)).to_contain_text("$250.00")
    screenshot(page, "finance-payment")
    allocations.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")
    expect(page.locator("dl.facts")).to_contain_text("Paid")
    assert live_data.run(_invoice_state, number) == (25_000, 0)

    # The district's coordinator sees the invoice paid and downloads it.
    sign_in_as(make_person("coordinator", district="EGUSD", name=f"Cora Coordinator {tag}"))
    page.goto("/district/invoices")
    expect(page.get_by_role("heading", level=1)).to_have_text("Elk Grove Unified: invoices")
    paid = page.get_by_role("region", name="Paid")
    row = paid.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))
    expect(row).to_contain_text("$250.00")
    expect(row).to_contain_text(po_number)
    expect(row.get_by_role("cell").last).to_have_text("Paid")
    expect(page.get_by_role("region", name="To pay").get_by_role("link", name=number, exact=True)).to_have_count(0)
    screenshot(page, "district-invoices")

    row.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number}")
    expect(page.locator("dl.facts")).to_contain_text("Paid")
    expect(page.get_by_role("heading", name=re.compile(r"^Pay \$"))).to_have_count(0)  # nothing left to pay
    payments = page.get_by_role("region", name="Payments")
    expect(payments.get_by_role("row").filter(has_text=f"CHK-{tag}")).to_contain_text("$250.00")
    screenshot(page, "district-invoice")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download PDF of invoice {number}").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


# --- A seat cancelled after invoicing (issue 13) ------------------------------------------------


async def _cancelled_invoiced_seat(tag: str) -> dict:
    """River Delta's coordinator billed a teacher's seat, the invoice was paid in full, then the teacher cancelled."""
    from booking.accounts.actor import Actor
    from booking.workflows.cancel_registration import cancel_registration
    from tests.payments.test_cancelled_after_invoicing import invoiced_and_paid_seat

    case = await invoiced_and_paid_seat(f"Restorative Circles {tag}", "RDUSD", teacher_name=f"Rory Teacher {tag}")
    await cancel_registration(Actor.from_row(case["teacher"]), case["registration"]["id"], "Moved schools")
    return {"invoice_id": case["invoice"]["id"], "number": case["invoice"]["number"]}


async def _credit_notes_of(invoice_id: int) -> list[dict]:
    from booking.payments.tables import CreditNote

    return await CreditNote.select().where(CreditNote.invoice == invoice_id)


def test_finance_credits_a_seat_cancelled_after_invoicing_and_the_coordinator_sees_it(
    page, live_data, make_person, sign_in_as, screenshot
):
    tag = uuid.uuid4().hex[:6]
    setup = live_data.run(_cancelled_invoiced_seat, tag)
    number, teacher = setup["number"], f"Rory Teacher {tag}"

    # The coordinator's invoice shows the seat as cancelled, its credit note still to come.
    sign_in_as(make_person("coordinator", district="RDUSD", name=f"Cam Coordinator {tag}"))
    page.goto(f"/district/invoices/{setup['invoice_id']}")
    line = page.get_by_role("region", name="What the invoice is for").get_by_role("row").filter(has_text=teacher)
    expect(line).to_contain_text("Cancelled")
    expect(line).to_contain_text("a credit note for it will follow")
    screenshot(page, "district-invoice-cancelled-seat")

    # Finance's prepared list: one click.
    sign_in_as(make_person("finance", name=f"Fay Finance {tag}"))
    page.goto("/finance")
    page.get_by_role("link", name=f"{number}: credit with one click").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seats cancelled after invoicing")
    group = page.get_by_role("article").filter(has=page.get_by_role("heading", name=re.compile(re.escape(number))))
    screenshot(page, "finance-cancelled-seats")
    group.get_by_role("button", name=re.compile(r"^Credit this seat")).click()
    expect(page.get_by_role("status").filter(has_text="The credit note is issued")).to_be_visible()
    expect(
        page.get_by_role("article").filter(has=page.get_by_role("heading", name=re.compile(re.escape(number))))
    ).to_have_count(0)
    [note] = live_data.run(_credit_notes_of, setup["invoice_id"])
    assert note["amount_cents"] == 7_500

    # Back on the coordinator's invoice: cancelled and credited, with the credit note listed.
    sign_in_as(make_person("coordinator", district="RDUSD", name=f"Cal Coordinator {tag}"))
    page.goto(f"/district/invoices/{setup['invoice_id']}")
    line = page.get_by_role("region", name="What the invoice is for").get_by_role("row").filter(has_text=teacher)
    expect(line).to_contain_text("credited by a credit note below")
    expect(page.get_by_text(note["number"]).first).to_be_visible()
