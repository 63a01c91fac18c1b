"""Refunds of card payments: staff refund part then the rest; what cannot be refunded is refused and changes
nothing; Stripe's answers (succeeded, failed) are recorded once; an unreachable Stripe leaves the refund
"requested" for the worker, and the idempotency key means a repeated submit never refunds twice; cancelling a
paid seat or the whole workshop refunds what was paid."""

from __future__ import annotations

import dataclasses

import pytest

from booking.accounts.actor import Actor
from booking.errors import Conflict, Forbidden, InvalidInput
from booking.payments.refunds import request_refund, submit_refund, submit_requested_refunds
from booking.payments.tables import CardPayment, Refund
from booking.settings import current_settings, use_settings
from tests.api_helpers import bearer
from tests.factories import make_user, post_form, signed_in
from tests.payments.test_webhooks import PRICE, card_seat, registration
from tests.payments.webhook_helpers import deliver_pending

DEAD_STRIPE = "http://127.0.0.1:9"  # nothing listens on the discard port


async def paid_seat(client, stripe_double, **kwargs) -> dict:
    seat = await card_seat(client, stripe_double, **kwargs)
    stripe_double.pay(seat["session_id"])
    await deliver_pending(client, stripe_double, seat["session_id"])
    seat["payment"] = await CardPayment.select().where(CardPayment.registration == seat["registration_id"]).first()
    assert seat["payment"]["status"] == "paid"
    return seat


async def staff() -> Actor:
    return Actor.from_row(await make_user("staff"))


async def refund_row(refund_id: int) -> dict:
    return await Refund.select().where(Refund.id == refund_id).first()


async def payment_row(payment_id: int) -> dict:
    return await CardPayment.select().where(CardPayment.id == payment_id).first()


def refunds_at_stripe(stripe_double, payment_intent_id: str) -> list[dict]:
    return [r for r in stripe_double.state.refunds.values() if r["payment_intent"] == payment_intent_id]


async def settle(client, stripe_double, refund: dict, outcome: str) -> None:
    stripe_double.settle_refund(refund["stripe_refund_id"], outcome)
    await deliver_pending(
        client, stripe_double, refund["stripe_refund_id"], types=("refund.updated", "charge.refunded")
    )


async def test_a_partial_refund_then_the_rest(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    actor = await staff()
    first_id = await request_refund(actor, seat["payment"]["id"], 1_000, "Left after the first session")
    assert (await refund_row(first_id))["status"] == "requested"
    assert await submit_refund(first_id) == "pending"
    first = await refund_row(first_id)
    assert first["requested_by"] == actor.id and first["reason"] == "Left after the first session"
    # While 10.00 is on its way, only the other 35.00 can be asked for.
    with pytest.raises(InvalidInput) as too_much:
        await request_refund(actor, seat["payment"]["id"], PRICE - 999, "Too much")
    assert "$35.00" in too_much.value.field_errors["amount"]
    await settle(client, stripe_double, first, "succeeded")
    assert (await refund_row(first_id))["status"] == "succeeded"
    assert (await payment_row(seat["payment"]["id"]))["amount_refunded_cents"] == 1_000
    assert (await registration(seat["registration_id"]))["amount_paid_cents"] == PRICE - 1_000

    rest_id = await request_refund(actor, seat["payment"]["id"], None, "Workshop did not suit")  # None: the rest
    assert (await refund_row(rest_id))["amount_cents"] == PRICE - 1_000
    await submit_refund(rest_id)
    await settle(client, stripe_double, await refund_row(rest_id), "succeeded")
    assert (await payment_row(seat["payment"]["id"]))["amount_refunded_cents"] == PRICE
    assert (await registration(seat["registration_id"]))["amount_paid_cents"] == 0
    at_stripe = refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"])
    assert sorted(r["amount"] for r in at_stripe) == [1_000, PRICE - 1_000]
    assert all(r["status"] == "succeeded" for r in at_stripe)
    with pytest.raises(Conflict) as nothing_left:
        await request_refund(actor, seat["payment"]["id"], 1, "Once more")
    assert nothing_left.value.code == "nothing_to_refund"
    assert await Refund.count() == 2


async def test_refunds_that_cannot_be_made_are_refused_and_change_nothing(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    unpaid = await card_seat(client, stripe_double)
    unpaid_payment = await CardPayment.select().where(CardPayment.registration == unpaid["registration_id"]).first()
    actor = await staff()
    for amount in (0, -5, PRICE + 1):
        with pytest.raises(InvalidInput) as refused:
            await request_refund(actor, seat["payment"]["id"], amount, "Try")
        assert "amount" in refused.value.field_errors
    with pytest.raises(InvalidInput) as no_reason:
        await request_refund(actor, seat["payment"]["id"], 100, "   ")
    assert "reason" in no_reason.value.field_errors
    with pytest.raises(Conflict) as not_paid:
        await request_refund(actor, unpaid_payment["id"], None, "Never paid")
    assert not_paid.value.code == "not_paid"
    for role in ("attendee", "coordinator"):
        with pytest.raises(Forbidden):
            await request_refund(Actor.from_row(await make_user(role)), seat["payment"]["id"], 100, "Me")
    assert await Refund.count() == 0
    assert refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"]) == []
    assert (await payment_row(seat["payment"]["id"]))["amount_refunded_cents"] == 0


async def test_a_failed_refund_is_recorded_and_the_money_can_be_refunded_again(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    actor = await staff()
    refund_id = await request_refund(actor, seat["payment"]["id"], None, "Duplicate registration")
    await submit_refund(refund_id)
    await settle(client, stripe_double, await refund_row(refund_id), "failed")
    refund = await refund_row(refund_id)
    assert refund["status"] == "failed" and refund["failure_message"] == "unknown" and refund["completed_at"]
    assert (await payment_row(seat["payment"]["id"]))["amount_refunded_cents"] == 0
    assert (await registration(seat["registration_id"]))["amount_paid_cents"] == PRICE
    again = await request_refund(actor, seat["payment"]["id"], None, "Second try")
    assert (await refund_row(again))["amount_cents"] == PRICE


async def test_stripe_unreachable_leaves_the_refund_requested_until_the_worker_sends_it_once(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    refund_id = await request_refund(await staff(), seat["payment"]["id"], 2_000, "Parking fee returned")
    settings = current_settings()
    use_settings(dataclasses.replace(settings, stripe_api_base=DEAD_STRIPE))
    try:
        assert await submit_refund(refund_id) == "requested"
    finally:
        use_settings(settings)
    refund = await refund_row(refund_id)
    assert (refund["status"], refund["attempts"], refund["stripe_refund_id"]) == ("requested", 1, None)
    assert refund["failure_message"]
    assert refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"]) == []

    assert await submit_requested_refunds() == 1  # the worker's retry, Stripe back
    refund = await refund_row(refund_id)
    assert refund["status"] == "pending" and refund["stripe_refund_id"].startswith("re_")
    # A crash between Stripe's answer and our write would leave it "requested": sending it again replays
    # Stripe's stored answer for the same idempotency key instead of refunding twice.
    await Refund.update({Refund.status: "requested", Refund.stripe_refund_id: None}).where(Refund.id == refund_id)
    assert await submit_refund(refund_id) == "pending"
    assert await submit_requested_refunds() == 0
    at_stripe = refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"])
    assert [r["amount"] for r in at_stripe] == [2_000]
    assert (await refund_row(refund_id))["stripe_refund_id"] == at_stripe[0]["id"]


async def test_cancelling_a_paid_card_seat_refunds_it_in_full(client, stripe_double):
    seat = await paid_seat(client, stripe_double)
    response = await client.delete(
        f"/api/v1/registrations/{seat['registration_id']}", headers=await bearer(seat["teacher"])
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    refund = await Refund.select().first()
    assert (refund["card_payment"], refund["amount_cents"], refund["status"]) == (
        seat["payment"]["id"],
        PRICE,
        "pending",
    )
    await settle(client, stripe_double, refund, "succeeded")
    assert (await registration(seat["registration_id"]))["amount_paid_cents"] == 0
    assert (await payment_row(seat["payment"]["id"]))["amount_refunded_cents"] == PRICE
    # Cancelling again is refused and refunds nothing more.
    again = await client.delete(
        f"/api/v1/registrations/{seat['registration_id']}", headers=await bearer(seat["teacher"])
    )
    assert again.status_code == 409
    assert await Refund.count() == 1


async def test_cancelling_the_workshop_refunds_every_paid_seat(client, stripe_double):
    first = await paid_seat(client, stripe_double, capacity=4)
    second = await paid_seat(client, stripe_double, workshop=first["workshop"])
    unpaid = await card_seat(client, stripe_double, workshop=first["workshop"])
    partly_refunded = await paid_seat(client, stripe_double, workshop=first["workshop"])
    earlier = await request_refund(await staff(), partly_refunded["payment"]["id"], 500, "Late arrival discount")
    await submit_refund(earlier)
    await settle(client, stripe_double, await refund_row(earlier), "succeeded")

    await signed_in(client, await make_user("staff"))
    workshop = first["workshop"]
    response = await post_form(
        client,
        f"/staff/offerings/{workshop}/cancel",
        {"reason": "The facilitator is ill"},
        token_from=f"/staff/offerings/{workshop}/cancel",
    )
    assert response.status_code == 303, response.text
    assert (await registration(unpaid["registration_id"]))["status"] == "cancelled"
    refunds = {row["card_payment"]: row for row in await Refund.select().where(Refund.id != earlier)}
    assert {payment: row["amount_cents"] for payment, row in refunds.items()} == {
        first["payment"]["id"]: PRICE,
        second["payment"]["id"]: PRICE,
        partly_refunded["payment"]["id"]: PRICE - 500,
    }
    await submit_requested_refunds()  # the worker's job after the cancelling commit
    for seat in (first, second, partly_refunded):
        at_stripe = refunds_at_stripe(stripe_double, seat["payment"]["payment_intent_id"])
        assert sum(r["amount"] for r in at_stripe) == PRICE
    assert [(await refund_row(row["id"]))["status"] for row in refunds.values()] == ["pending"] * 3
