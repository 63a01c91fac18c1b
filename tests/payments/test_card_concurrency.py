"""Card payments under real concurrency, through the HTTP app (asyncio.gather over httpx's ASGI transport):
one event delivered twenty times at once is applied once; fifteen teachers paying for five seats never take more."""

from __future__ import annotations

import asyncio

from booking.payments.tables import CardPayment, StripeEvent
from booking.scheduling.tables import Registration
from tests.api_helpers import bearer
from tests.factories import make_user
from tests.payments.test_webhooks import PRICE, card_seat, emails_to, event_record, post_signed, registration
from tests.payments.webhook_helpers import deliver_pending, session_id_from_url
from tests.workshop_factory import make_workshop


async def test_twenty_concurrent_deliveries_of_one_event_apply_it_once(client, stripe_double):
    seat = await card_seat(client, stripe_double)
    stripe_double.pay(seat["session_id"])
    body = event_record(stripe_double, "checkout.session.completed", seat["session_id"]).body
    responses = await asyncio.gather(*(post_signed(client, body) for _ in range(20)))
    assert [response.status_code for response in responses] == [200] * 20, [
        r.text for r in responses if r.status_code != 200
    ]
    outcomes = [response.json()["outcome"] for response in responses]
    assert outcomes.count("Seat confirmed") == 1
    assert all(outcome == "already processed: Seat confirmed" for outcome in outcomes if outcome != "Seat confirmed")
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    assert await CardPayment.count().where(CardPayment.status == "paid") == 1
    assert await StripeEvent.count() == 1
    assert len(await emails_to(seat["teacher"]["email"], "You're registered")) == 1


async def test_fifteen_teachers_paying_by_card_for_five_seats(client, stripe_double):
    capacity = 5
    workshop = await make_workshop("Universal Design for Learning", price_cents=PRICE, capacity=capacity)
    teachers = [await make_user("attendee") for _ in range(15)]
    headers = [await bearer(teacher) for teacher in teachers]

    async def register(index: int):
        return await client.post(
            f"/api/v1/offerings/{workshop}/registrations", json={"payer": "card"}, headers=headers[index]
        )

    responses = await asyncio.gather(*(register(index) for index in range(15)))
    assert [r.status_code for r in responses] == [201] * 15, [r.text for r in responses if r.status_code != 201]
    bodies = [r.json() for r in responses]
    held = [body for body in bodies if body["status"] == "pending_payment"]
    waiting = [body for body in bodies if body["status"] == "waitlisted"]
    assert (len(held), len(waiting)) == (capacity, 15 - capacity)
    assert all(body["checkout_url"] for body in held) and not any(body["checkout_url"] for body in waiting)
    assert sorted(body["waitlist_position"] for body in waiting) == list(range(1, 11))
    ranks = [
        row["waitlist_rank"]
        for row in await Registration.select(Registration.waitlist_rank).where(Registration.status == "waitlisted")
    ]
    assert sorted(ranks) == list(range(1, 11))  # no two share a place in the queue
    assert await CardPayment.count() == capacity

    sessions = [session_id_from_url(body["checkout_url"]) for body in held]
    for session_id in sessions:
        stripe_double.pay(session_id)
    await asyncio.gather(*(deliver_pending(client, stripe_double, session_id) for session_id in sessions))
    statuses = {body["id"]: (await registration(body["id"]))["status"] for body in bodies}
    assert sorted(statuses[body["id"]] for body in held) == ["confirmed"] * capacity
    assert sorted(statuses[body["id"]] for body in waiting) == ["waitlisted"] * (15 - capacity)
    assert (
        await Registration.count().where(Registration.status.is_in(["confirmed", "pending_payment", "offered"]))
        == capacity
    )
    assert await CardPayment.count().where(CardPayment.status == "paid") == capacity
    offering = (await client.get(f"/api/v1/offerings/{workshop}")).json()
    assert (offering["confirmed_count"], offering["seats_left"], offering["waitlist_count"]) == (capacity, 0, 10)
