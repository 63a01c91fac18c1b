"""POST /webhooks/stripe: refused deliveries change nothing; valid ones are stored once and applied once;
events out of order (completed before we stored the session id, expired after completed, completed after
expired) end where the money and the seat say they should."""

from __future__ import annotations

import copy
import json
import time

from booking.notifications.tables import OutboxMessage
from booking.payments.tables import CardPayment, StripeEvent
from booking.scheduling.tables import Registration
from booking_stripe_double import new_id, shape, sign_payload
from tests.api_helpers import bearer
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.factories import make_user
from tests.payments.webhook_helpers import deliver_pending, post_event, session_id_from_url
from tests.workshop_factory import make_workshop

PRICE = 4_500


# --- helpers shared by the card-payment test files ------------------------------------------


async def card_seat(
    client,
    stripe_double,
    *,
    workshop: int | None = None,
    price_cents: int = PRICE,
    capacity: int = 3,
    title: str = "Restorative Circles",
) -> dict:
    """A teacher registers by card through the API: a pending_payment hold and an open Checkout Session."""
    workshop = workshop or await make_workshop(title, price_cents=price_cents, capacity=capacity)
    teacher = await make_user("attendee")
    response = await client.post(
        f"/api/v1/offerings/{workshop}/registrations", json={"payer": "card"}, headers=await bearer(teacher)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    session_id = session_id_from_url(body["checkout_url"]) if body["checkout_url"] else None
    return {
        "workshop": workshop,
        "teacher": teacher,
        "registration_id": body["id"],
        "status": body["status"],
        "session_id": session_id,
    }


def event_record(stripe_double, type_: str, object_id: str):
    """The double's (latest) event of this type about this object."""
    return [
        r
        for r in stripe_double.state.events
        if r.type == type_ and json.loads(r.body)["data"]["object"]["id"] == object_id
    ][-1]


def signed(body: bytes, *, secret: str = TEST_WEBHOOK_SECRET, age_seconds: int = 0) -> str:
    return sign_payload(body, secret, int(time.time()) - age_seconds)


async def post_signed(client, body: bytes, **kwargs):
    return await post_event(client, body, signed(body, **kwargs))


def hand_built_event(type_: str, obj: dict) -> bytes:
    """An event in Stripe's own shape (the double's fixture), as Stripe would send it."""
    event = shape("event")
    event.update(
        id=new_id("evt_"), type=type_, created=int(time.time()), livemode=False, data={"object": copy.deepcopy(obj)}
    )
    return json.dumps(event, separators=(",", ":")).encode()


async def registration(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


async def emails_to(address: str, subject_start: str = "") -> list[dict]:
    rows = await OutboxMessage.select(OutboxMessage.subject).where(OutboxMessage.to_address == address)
    return [row for row in rows if row["subject"].startswith(subject_start)]


# --- refused deliveries -----------------------------------------------------------------------


async def test_refused_deliveries_are_400_and_change_nothing(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    stripe_double.pay(seat["session_id"])
    body = event_record(stripe_double, "checkout.session.completed", seat["session_id"]).body
    flipped = bytearray(body)
    position = body.index(b'"amount_total":') + len(b'"amount_total":')
    flipped[position] = ord("9") if body[position] != ord("9") else ord("8")  # one byte: still valid JSON
    refused = {
        "missing signature": await post_event(client, body, None),
        "empty signature": await post_event(client, body, ""),
        "wrong secret": await post_event(client, body, signed(body, secret="whsec_someone_else")),
        "tampered body": await post_event(client, bytes(flipped), signed(body)),
        "stale timestamp": await post_signed(client, body, age_seconds=301),
        "garbage header": await post_event(client, body, "t=abc,v1=xyz"),
    }
    for what, response in refused.items():
        assert response.status_code == 400, (what, response.status_code, response.text)
        assert "error" in response.json(), what
    assert await StripeEvent.count() == 0
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("pending_payment", 0)
    assert (await CardPayment.select(CardPayment.status).first())["status"] == "open"
    # The very same event, properly signed a moment ago (within 300 s), is taken: the refusals were about the signature.
    accepted = await post_signed(client, body, age_seconds=290)
    assert accepted.status_code == 200, accepted.text
    assert (await registration(seat["registration_id"]))["status"] == "confirmed"


async def test_malformed_and_huge_bodies_are_400_never_500(client, stripe_double):
    for body in (
        b'{"id": "evt_1", "type": "checkout.session.completed"',
        b"[1, 2]",
        b"null",
        b'"text"',
        b'{"id": 5, "type": "x"}',
        b'{"id": "evt_2", "type": "checkout.session.completed", "data": "x"}',
        b"\xff\xfe\x00",
        b"",
    ):
        response = await post_signed(client, body)
        assert response.status_code == 400, (body, response.status_code, response.text)
    huge = b'{"id": "evt_big", "type": "ping", "data": {"object": {"pad": "' + b"x" * 600_000 + b'"}}}'
    response = await post_signed(client, huge)
    assert response.status_code == 400 and "too large" in response.text
    assert await StripeEvent.count() == 0


async def test_unknown_event_type_is_stored_and_ignored(client, stripe_double):
    intent = shape("payment_intent")
    intent.update(id=new_id("pi_"), metadata={})
    body = hand_built_event("payment_intent.created", intent)
    response = await post_signed(client, body)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "ignored payment_intent.created"
    stored = await StripeEvent.select().first()
    assert stored["type"] == "payment_intent.created" and stored["processed_at"] is not None
    assert stored["outcome"] == "ignored payment_intent.created"
    again = await post_signed(client, body)
    assert again.status_code == 200 and again.json()["outcome"].startswith("already processed")
    assert await StripeEvent.count() == 1


async def test_duplicate_delivery_is_applied_once(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    stripe_double.pay(seat["session_id"])
    body = event_record(stripe_double, "checkout.session.completed", seat["session_id"]).body
    first, second = await post_signed(client, body), await post_signed(client, body)
    assert first.status_code == second.status_code == 200
    assert first.json()["outcome"] == "Seat confirmed"
    assert second.json()["outcome"] == "already processed: Seat confirmed"
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    assert len(await emails_to(seat["teacher"]["email"], "You're registered")) == 1
    assert await StripeEvent.count() == 1


# --- out of order -----------------------------------------------------------------------------


async def test_completed_before_the_session_id_was_stored_is_applied_by_metadata(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    # As if Stripe's webhook overtook our own write of the session id after creating the session.
    await CardPayment.update({CardPayment.checkout_session_id: None, CardPayment.status: "created"}).where(
        CardPayment.registration == seat["registration_id"]
    )
    stripe_double.pay(seat["session_id"])
    delivered = await deliver_pending(client, stripe_double, seat["session_id"], types=("checkout.session.completed",))
    assert len(delivered) == 1
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    payment = await CardPayment.select().first()
    assert payment["status"] == "paid" and payment["checkout_session_id"] == seat["session_id"]
    assert payment["payment_intent_id"].startswith("pi_")


async def test_a_session_id_that_disagrees_with_the_metadata_is_not_applied(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    other = await card_seat(client, stripe_double)
    stripe_double.pay(seat["session_id"])
    completed = json.loads(event_record(stripe_double, "checkout.session.completed", seat["session_id"]).body)
    session = completed["data"]["object"]
    # Someone's session pointing at another person's card payment (its stored session id differs): not theirs.
    other_payment = await CardPayment.select().where(CardPayment.registration == other["registration_id"]).first()
    session.update(id=new_id("cs_test_"), metadata={**session["metadata"], "card_payment_id": str(other_payment["id"])})
    response = await post_signed(client, hand_built_event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json()["outcome"].startswith("unknown checkout session")
    assert (await registration(other["registration_id"]))["status"] == "pending_payment"
    assert (await registration(seat["registration_id"]))["status"] == "pending_payment"


async def test_expired_after_completed_is_ignored(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    stripe_double.pay(seat["session_id"])
    await deliver_pending(client, stripe_double, seat["session_id"])
    # The double never expires a complete session; Stripe's events can still arrive in any order.
    session = copy.deepcopy(stripe_double.state.sessions[seat["session_id"]])
    session.update(status="expired", payment_status="unpaid", url=None)
    response = await post_signed(client, hand_built_event("checkout.session.expired", session))
    assert response.status_code == 200
    assert response.json()["outcome"] == "checkout expired, card payment already paid"
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    assert (await CardPayment.select(CardPayment.status).first())["status"] == "paid"


async def test_completed_after_expired_takes_the_late_payment_path(client, stripe_double):
    from booking.payments.gateway import stripe_client

    seat = await card_seat(client, stripe_double, capacity=1)
    await stripe_client().v1.checkout.sessions.expire_async(seat["session_id"])
    delivered = await deliver_pending(client, stripe_double, seat["session_id"])
    assert [event["type"] for event in delivered] == ["checkout.session.expired"]
    row = await registration(seat["registration_id"])
    assert row["status"] == "cancelled"  # the abandoned hold let the seat go at once
    assert (await CardPayment.select(CardPayment.status).first())["status"] == "expired"
    # Stripe had the card charged just before the session closed; its completed event comes last.
    stripe_double.state.sessions[seat["session_id"]]["status"] = "open"
    stripe_double.pay(seat["session_id"])
    delivered = await deliver_pending(client, stripe_double, seat["session_id"])
    assert [event["type"] for event in delivered] == ["checkout.session.completed"]
    # The seat was still free and nobody waited for it: the late payment takes it.
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    payment = await CardPayment.select().first()
    assert payment["status"] == "paid" and payment["outcome"].startswith("Seat confirmed: the hold had expired")
