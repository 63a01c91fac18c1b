"""A district-billed seat cancelled after invoicing is credited on that invoice, on both engines (issue 13).

The reported case: the coordinator paid the invoice in full, the teacher cancelled, then bought the seat
again by card. Now: the card purchase is refused while the district's line is not credited; finance
credits it with one click from a prepared list (or automatically, by finance's setting); the
coordinator's invoice shows the line as cancelled, then credited.
"""

from __future__ import annotations

import asyncio

from booking.accounts.actor import Actor
from booking.errors import Conflict
from booking.payments.balances import balance_of, district_credit_cents
from booking.payments.cancelled_seats import credit_cancelled_seats, invoices_to_credit
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.invoicing import issue_invoices
from booking.payments.policy import set_cancelled_after_invoicing_policy
from booking.payments.tables import CardPayment, ChargeLine, CreditNote, CreditNoteLine, InvoiceLine
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from booking.workflows.cancel_offering import cancel_offering
from tests.api_helpers import bearer
from tests.factories import make_user, signed_in
from tests.payments.money_factory import coordinator_actor, finance_actor
from tests.payments.test_credit_notes import pay
from tests.payments.test_finance_pages import post
from tests.payments.test_money_invariants import assert_money_invariants, district_id_of, start_pool
from tests.workshop_factory import make_workshop

SEAT = 7_500


async def invoiced_and_paid_seat(
    title: str = "Restorative Circles", district_code: str = "EGUSD", *, teacher_name: str | None = None
) -> dict:
    """A teacher's $75 seat, billed to the district by its coordinator, invoiced (that line alone), and paid in full."""
    workshop = await make_workshop(title, price_cents=SEAT, capacity=5)
    teacher = await make_user("attendee", district=district_code, name=teacher_name)
    coordinator = await coordinator_actor(district_code)
    outcome = await register(
        coordinator,
        workshop,
        RegistrationRequest(attendee_email=teacher["email"], attendee_name=teacher["name"], payer="district"),
    )
    assert outcome.registration["status"] == "confirmed"
    await gather_charge_lines()
    finance = await finance_actor()
    district = await district_id_of(district_code)
    [line] = await ChargeLine.select(ChargeLine.id).where(
        (ChargeLine.source_kind == "registration") & (ChargeLine.source_id == outcome.registration["id"])
    )
    [invoice] = await issue_invoices(finance, district, [line["id"]], acknowledge_warnings=True)
    await pay(finance, district, f"CHK-{invoice['number']}", invoice["total_cents"], invoice["id"])
    assert (await balance_of(invoice["id"])).open_cents == 0
    return {
        "workshop": workshop,
        "teacher": teacher,
        "coordinator": coordinator,
        "finance": finance,
        "district": district,
        "invoice": invoice,
        "registration": outcome.registration,
    }


async def test_the_reported_case_card_refused_until_finance_credits_the_seat_with_one_click(client, stripe_double):
    case = await invoiced_and_paid_seat()
    teacher_headers = await bearer(case["teacher"])
    cancelled = await client.delete(f"/api/v1/registrations/{case['registration']['id']}", headers=teacher_headers)
    assert cancelled.status_code == 200, cancelled.text

    # The district still answers for the seat: buying it again by card would pay it twice.
    registrations_before = await Registration.count()
    again = await client.post(
        f"/api/v1/offerings/{case['workshop']}/registrations", json={"payer": "card"}, headers=teacher_headers
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "district_line_not_credited"
    assert case["invoice"]["number"] in again.json()["detail"]
    assert await Registration.count() == registrations_before and await CardPayment.count() == 0

    # The coordinator's invoice says the line is cancelled, with a credit note to follow.
    await signed_in(client, {"id": case["coordinator"].id})
    invoice_page = await client.get(f"/district/invoices/{case['invoice']['id']}")
    assert invoice_page.status_code == 200
    assert "Cancelled" in invoice_page.text and "a credit note for it will follow" in invoice_page.text

    # Finance's prepared list, and one click.
    finance_user = await make_user("finance")
    await signed_in(client, finance_user)
    listing = await client.get("/finance/cancelled-seats")
    assert listing.status_code == 200
    assert case["invoice"]["number"] in listing.text and case["teacher"]["name"] in listing.text
    [group] = await invoices_to_credit(case["finance"])
    [line] = group.lines
    clicked = await post(
        client, f"/finance/cancelled-seats/{case['invoice']['id']}/credit", {"line": str(line["charge_line"])}
    )
    assert clicked.status_code == 303, clicked.text
    [note] = await CreditNote.select().where(CreditNote.invoice == case["invoice"]["id"])
    assert note["amount_cents"] == SEAT and note["issued_by"] == finance_user["id"]
    assert "cancelled after invoicing" in note["reason"].lower()
    # The invoice was paid in full: the credited $75 goes back to the district's credit, once.
    assert await district_credit_cents(case["district"]) == SEAT
    assert await invoices_to_credit(case["finance"]) == []
    await signed_in(client, {"id": case["coordinator"].id})
    invoice_page = await client.get(f"/district/invoices/{case['invoice']['id']}")
    assert "credited by a credit note below" in invoice_page.text and note["number"] in invoice_page.text

    # Now the teacher may pay by card: the district no longer pays for this seat.
    again = await client.post(
        f"/api/v1/offerings/{case['workshop']}/registrations", json={"payer": "card"}, headers=teacher_headers
    )
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "pending_payment" and again.json()["checkout_url"]
    await assert_money_invariants()


async def test_the_automatic_setting_credits_the_seat_when_it_is_cancelled(db):
    case = await invoiced_and_paid_seat()
    await set_cancelled_after_invoicing_policy(case["finance"], "automatic")
    from booking.workflows.cancel_registration import cancel_registration

    await cancel_registration(Actor.from_row(case["teacher"]), case["registration"]["id"], "Moved schools")
    [note] = await CreditNote.select().where(CreditNote.invoice == case["invoice"]["id"])
    assert note["amount_cents"] == SEAT and note["issued_by"] is None
    [note_line] = await CreditNoteLine.select().where(CreditNoteLine.credit_note == note["id"])
    invoice_line = await InvoiceLine.select().where(InvoiceLine.id == note_line["invoice_line"]).first()
    charge = await ChargeLine.select().where(ChargeLine.id == invoice_line["charge_line"]).first()
    assert (charge["source_id"], charge["status"]) == (case["registration"]["id"], "credited")
    assert await district_credit_cents(case["district"]) == SEAT
    assert await invoices_to_credit(case["finance"]) == []
    # And the card purchase is allowed at once.
    outcome = await register(Actor.from_row(case["teacher"]), case["workshop"], RegistrationRequest(payer="card"))
    assert outcome.registration["status"] == "pending_payment"
    await assert_money_invariants()


async def test_the_automatic_setting_also_credits_seats_of_a_cancelled_workshop(db):
    case = await invoiced_and_paid_seat()
    await set_cancelled_after_invoicing_policy(case["finance"], "automatic")
    await cancel_offering(Actor.from_row(await make_user("staff")), case["workshop"], "The facilitator is ill")
    [note] = await CreditNote.select().where(CreditNote.invoice == case["invoice"]["id"])
    assert note["amount_cents"] == SEAT
    await assert_money_invariants()


async def test_by_default_a_cancelled_seat_waits_on_finances_list_and_is_credited_once(db):
    case = await invoiced_and_paid_seat()
    from booking.workflows.cancel_registration import cancel_registration

    await cancel_registration(case["coordinator"], case["registration"]["id"], "Not attending")
    assert await CreditNote.count() == 0  # the default is finance's list, not an automatic note
    [group] = await invoices_to_credit(case["finance"])
    assert group.invoice["id"] == case["invoice"]["id"] and group.total_cents == SEAT

    await start_pool(Registration._meta.db)
    results = await asyncio.gather(
        *[credit_cancelled_seats(case["finance"], case["invoice"]["id"]) for _ in range(3)], return_exceptions=True
    )
    assert sum(isinstance(result, dict) for result in results) == 1, results
    assert all(isinstance(result, Conflict) for result in results if not isinstance(result, dict)), results
    assert await CreditNote.count() == 1
    assert await district_credit_cents(case["district"]) == SEAT
    await assert_money_invariants()


async def test_the_list_and_its_setting_are_finance_only_and_refuse_bad_input(client):
    case = await invoiced_and_paid_seat()
    await signed_in(client, await make_user("attendee"))
    assert (await client.get("/finance/cancelled-seats")).status_code in (403, 404)
    await signed_in(client, await make_user("finance"))
    bad = await post(client, "/finance/cancelled-seats/setting", {"cancelled_after_invoicing": "sometimes"})
    assert bad.status_code == 422 and "Choose the finance list or automatic" in bad.text
    nothing = await post(client, f"/finance/cancelled-seats/{case['invoice']['id']}/credit", {})
    assert nothing.status_code == 409 and "Nothing cancelled is left to credit" in nothing.text
    hostile = await post(client, f"/finance/cancelled-seats/{case['invoice']['id']}/credit", {"line": "1; drop"})
    assert hostile.status_code == 422
    unknown = await post(client, "/finance/cancelled-seats/999999/credit", {})
    assert unknown.status_code == 404
    assert await CreditNote.count() == 0
    saved = await post(client, "/finance/cancelled-seats/setting", {"cancelled_after_invoicing": "automatic"})
    assert saved.status_code == 303
    assert 'value="automatic" checked' in (await client.get("/finance/cancelled-seats")).text
