"""A receipt after a card payment: an email queued with the payment, and a page the payer can open again."""

from __future__ import annotations

from booking.notifications.tables import OutboxMessage
from booking.payments.tables import CardPayment
from tests.factories import make_user, signed_in
from tests.payments.test_webhooks import PRICE, card_seat, event_record, post_signed


async def test_a_paid_seat_gets_one_receipt_email_and_a_receipt_page_for_the_payer_only(client, stripe_double):
    seat = await card_seat(client, stripe_double, title="Restorative Circles")
    stripe_double.pay(seat["session_id"])
    body = event_record(stripe_double, "checkout.session.completed", seat["session_id"]).body
    assert (await post_signed(client, body)).json()["outcome"] == "Seat confirmed"
    assert (await post_signed(client, body)).json()["outcome"].startswith("already processed")  # no second receipt

    payment = await CardPayment.select().where(CardPayment.registration == seat["registration_id"]).first()
    number = f"CP-{payment['id']:06d}"
    [receipt] = await OutboxMessage.select().where(
        (OutboxMessage.to_address == seat["teacher"]["email"]) & (OutboxMessage.subject.like("Receipt %"))
    )
    assert receipt["subject"] == f"Receipt {number}: $45.00 paid by card"
    assert (
        "Amount: $45.00" in receipt["body_text"]
        and "Workshop registration: Restorative Circles" in receipt["body_text"]
    )
    assert f"/my/receipts/{payment['id']}" in receipt["body_text"] and "Paid on:" in receipt["body_text"]
    assert PRICE == 4_500

    await signed_in(client, seat["teacher"])
    registration_page = await client.get(f"/my/learning/{seat['registration_id']}")
    assert f'href="/my/receipts/{payment["id"]}"' in registration_page.text
    page = await client.get(f"/my/receipts/{payment['id']}")
    assert page.status_code == 200 and f"Receipt {number}" in page.text and "$45.00" in page.text
    assert "Restorative Circles" in page.text

    client.cookies.clear()
    await signed_in(client, await make_user("attendee"))
    assert (await client.get(f"/my/receipts/{payment['id']}")).status_code == 404  # someone else's
    assert (await client.get("/my/receipts/999999")).status_code == 404
    client.cookies.clear()
    await signed_in(client, await make_user("finance"))
    assert (await client.get(f"/my/receipts/{payment['id']}")).status_code == 200
