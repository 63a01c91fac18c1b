"""Registering from the workshop page (POST /workshops/{id}/register) and the result page."""

from __future__ import annotations

import html as html_lib
import re

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.notifications.tables import OutboxMessage
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user, post_form, signed_in
from tests.workshop_factory import local, make_workshop


async def _register_via_page(client, offering_id: int, data: dict, **kwargs):
    return await post_form(
        client, f"/workshops/{offering_id}/register", data, token_from=f"/workshops/{offering_id}", **kwargs
    )


async def registrations() -> list[dict]:
    return await Registration.select().order_by(Registration.id)


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


async def test_a_teacher_bills_the_district_and_sees_the_confirmation(client):
    offering_id = await make_workshop("Close Reading", price_cents=4500)
    teacher = await signed_in(client, await make_user("attendee", district="EGUSD"))

    response = await _register_via_page(client, offering_id, {"payer": "district", "po_number": "  PO-77  "})

    assert response.status_code == 303
    [row] = await registrations()
    # The page says an email is on its way because one was queued, and only then (not on a later visit).
    assert response.headers["location"] == f"/my/learning/{row['id']}?notice=registration-emailed"
    assert (row["status"], row["payer"], row["po_number"], row["amount_cents"], row["attendee"]) == (
        "confirmed",
        "district",
        "PO-77",
        4500,
        teacher["id"],
    )
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "An email with these details is on its way." in page.text
    later = await client.get(f"/my/learning/{row['id']}")
    assert "on its way" not in later.text and "<h1>You&#39;re registered</h1>" in later.text
    assert "<h1>You&#39;re registered</h1>" in page.text
    assert "$45.00, billed to the district (PO PO-77)" in page.text
    assert f'href="/offerings/{offering_id}.ics"' in page.text
    [mail] = await OutboxMessage.select().where(OutboxMessage.to_address == teacher["email"])
    assert mail["subject"] == "You're registered: Close Reading"


async def test_a_free_workshop_registers_in_one_click(client):
    offering_id = await make_workshop()
    await signed_in(client, await make_user("attendee"))
    response = await _register_via_page(client, offering_id, {"payer": "free"})
    assert response.status_code == 303
    [row] = await registrations()
    assert (row["status"], row["payer"], row["amount_cents"]) == ("confirmed", "free", 0)


async def test_a_full_workshop_puts_people_on_the_waiting_list_with_their_position(client):
    offering_id = await make_workshop(capacity=1)
    await register(Actor.from_row(await make_user("attendee")), offering_id, RegistrationRequest())
    await register(Actor.from_row(await make_user("attendee")), offering_id, RegistrationRequest())
    await signed_in(client, await make_user("attendee"))

    response = await _register_via_page(client, offering_id, {"payer": "free"})

    page = await client.get(response.headers["location"])
    assert "<h1>You&#39;re on the waiting list</h1>" in page.text
    assert "You are number 2 on the waiting list." in page.text
    assert "Leave the waiting list" in page.text


async def test_a_district_that_approves_first_holds_the_seat_until_a_deadline(client):
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "SJUSD")
    offering_id = await make_workshop("Paid PD", price_cents=9900, days=30)
    teacher = await signed_in(client, await make_user("attendee", district="SJUSD"))
    coordinator = await make_user("coordinator", district="SJUSD")

    response = await _register_via_page(client, offering_id, {"payer": "district"})

    [row] = await registrations()
    assert row["status"] == "pending_approval" and row["hold_expires_at"] is not None
    page = (await client.get(response.headers["location"])).text
    assert "Awaiting your district's approval" in text_of(page)
    assert "held until" in text_of(page)
    recipients = {m["to_address"] for m in await OutboxMessage.select(OutboxMessage.to_address)}
    assert recipients == {teacher["email"], coordinator["email"]}


async def test_an_overlap_with_another_registration_is_shown_as_a_warning(client):
    first = await make_workshop("Morning math", days=20)
    second = await make_workshop("Morning science", days=20)
    teacher = await signed_in(client, await make_user("attendee"))
    await register(Actor.from_row(teacher), first, RegistrationRequest())

    response = await _register_via_page(client, second, {"payer": "free"})

    page = (await client.get(response.headers["location"])).text
    assert "Check your calendar" in page
    assert "This overlaps with “Morning math”" in text_of(page)


async def test_paying_by_card_holds_the_seat_and_sends_the_person_to_checkout(client, stripe_double):
    offering_id = await make_workshop(price_cents=4500)
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    response = await _register_via_page(client, offering_id, {"payer": "card"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{stripe_double.base}/pay/cs_")
    [registration] = await registrations()
    assert registration["status"] == "pending_payment" and registration["hold_expires_at"] is not None
    assert await OutboxMessage.count() == 0  # the confirmation (and its invite) waits for the payment


async def test_a_bad_payer_is_refused_and_nothing_changes(client):
    offering_id = await make_workshop(price_cents=4500)
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    response = await _register_via_page(client, offering_id, {"payer": "barter"})
    assert response.status_code == 422
    assert "<h1>" in response.text and 'id="f-payer"' in response.text  # the workshop page again, with the form
    assert await registrations() == []
    assert await OutboxMessage.count() == 0


async def test_bad_form_values_are_refused_with_a_message(client):
    offering_id = await make_workshop(price_cents=4500)
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    cases = [
        ({"payer": "cash"}, 422, "Choose who pays from the list."),
        ({"payer": "district", "po_number": "P" * 61}, 422, "A PO number has at most 60 characters."),
        ({"payer": "free"}, 422, "This workshop has a fee"),
        ({"payer": "district", "po_number": "x" * 300}, 422, "Use at most 200 characters."),
    ]
    for data, status, message in cases:
        response = await _register_via_page(client, offering_id, data)
        assert response.status_code == status, (data, response.status_code)
        assert message in response.text, data
    # The submitted PO number is kept in the form so the person can fix it.
    response = await _register_via_page(client, offering_id, {"payer": "district", "po_number": "P" * 61})
    assert 'value="' + "P" * 61 + '"' in response.text
    assert await registrations() == []


async def test_registering_twice_outside_the_window_or_for_a_draft_is_refused(client):
    teacher = await signed_in(client, await make_user("attendee"))
    offering_id = await make_workshop()
    await register(Actor.from_row(teacher), offering_id, RegistrationRequest())

    again = await _register_via_page(client, offering_id, {"payer": "free"})
    assert again.status_code == 409
    assert "is already registered for this workshop" in text_of(again.text)
    assert "You're registered." in text_of(again.text)  # the page now shows the current status
    assert await Registration.count() == 1

    not_yet = await make_workshop("Later", opens=local(2))
    response = await _register_via_page(client, not_yet, {"payer": "free"})
    assert response.status_code == 409 and "Registration opens on" in response.text
    closed = await make_workshop("Past window", closes=local(-1))
    response = await _register_via_page(client, closed, {"payer": "free"})
    assert response.status_code == 409 and "Registration closed on" in response.text
    assert await Registration.count() == 1

    draft = await make_workshop("Draft", status="draft")
    response = await post_form(
        client, f"/workshops/{draft}/register", {"payer": "free"}, token_from=f"/workshops/{offering_id}"
    )
    assert response.status_code == 404
    response = await post_form(
        client, "/workshops/999999/register", {"payer": "free"}, token_from=f"/workshops/{offering_id}"
    )
    assert response.status_code == 404
    assert await Registration.count() == 1


async def test_signed_out_and_forged_posts_change_nothing(client):
    offering_id = await make_workshop()
    response = await post_form(client, f"/workshops/{offering_id}/register", {"payer": "free"})
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    await signed_in(client, await make_user("attendee"))
    response = await client.post(f"/workshops/{offering_id}/register", data={"payer": "free"})  # no CSRF token
    assert response.status_code == 403
    assert await registrations() == []


async def test_the_result_page_is_only_for_those_who_may_see_the_registration(client):
    offering_id = await make_workshop()
    teacher = await make_user("attendee", district="EGUSD")
    registration = (await register(Actor.from_row(teacher), offering_id, RegistrationRequest())).registration
    path = f"/my/learning/{registration['id']}"

    assert (await client.get(path)).status_code == 303  # sign in first
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert (await client.get(path)).status_code == 404
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    assert (await client.get(path)).status_code == 404
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    page = await client.get(path)
    assert page.status_code == 200 and f"{teacher['name']} is registered" in text_of(page.text)
    await signed_in(client, await make_user("staff"))
    assert (await client.get(path)).status_code == 200
    assert (await client.get("/my/learning/999999")).status_code == 404
