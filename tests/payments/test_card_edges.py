"""A card payment that lands after its seat's hold expired: refunded or waitlisted by finance's setting when the
seat went to someone else, confirmed when the seat is still free; a retry days later changes nothing."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.payments.policy import late_payment_policy, set_late_payment_policy
from booking.payments.tables import CardPayment, Refund, StripeEvent
from booking.scheduling.tables import Registration
from tests.api_helpers import bearer
from tests.factories import make_user
from tests.payments.test_webhooks import PRICE, card_seat, emails_to, event_record, post_signed, registration
from tests.payments.webhook_helpers import deliver_pending


async def expire_hold(registration_id: int, minutes_ago: int = 1) -> None:
    """Test setup: the hold ran out (the sweeper need not have run: expiry is judged at read time)."""
    await Registration.update({Registration.hold_expires_at: utc_now() - dt.timedelta(minutes=minutes_ago)}).where(
        Registration.id == registration_id
    )


async def seat_lost_then_paid(client, stripe_double) -> tuple[dict, dict]:
    """Teacher A's hold expires, teacher B takes the only seat, then A's payment arrives."""
    late = await card_seat(client, stripe_double, capacity=1)
    await expire_hold(late["registration_id"])
    taker = await card_seat(client, stripe_double, workshop=late["workshop"])
    assert taker["status"] == "pending_payment"
    assert (await registration(late["registration_id"]))["status"] == "cancelled"  # released when B registered
    stripe_double.pay(late["session_id"])
    delivered = await deliver_pending(client, stripe_double, late["session_id"])
    assert [event["type"] for event in delivered] == ["checkout.session.completed"]
    return late, taker


async def test_late_payment_for_a_lost_seat_is_refunded_by_default(client, stripe_double):
    assert await late_payment_policy() == "refund"
    late, taker = await seat_lost_then_paid(client, stripe_double)
    row = await registration(late["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("cancelled", 0)
    assert (await registration(taker["registration_id"]))["status"] == "pending_payment"  # B keeps the seat
    payment = await CardPayment.select().where(CardPayment.registration == late["registration_id"]).first()
    assert payment["status"] == "paid" and payment["outcome"].startswith("Refunded: paid after the hold expired")
    refund = await Refund.select().where(Refund.card_payment == payment["id"]).first()
    # Sent to Stripe right after the webhook's commit; the bank has not answered yet.
    assert (refund["status"], refund["amount_cents"]) == ("pending", PRICE)
    at_stripe = stripe_double.state.refunds[refund["stripe_refund_id"]]
    assert (at_stripe["payment_intent"], at_stripe["amount"]) == (payment["payment_intent_id"], PRICE)
    assert len(await emails_to(late["teacher"]["email"], "Your payment for")) == 1
    assert await emails_to(late["teacher"]["email"], "You're registered") == []

    stripe_double.settle_refund(refund["stripe_refund_id"], "succeeded")
    delivered = await deliver_pending(
        client,
        stripe_double,
        refund["stripe_refund_id"],
        payment["payment_intent_id"],
        types=("refund.updated", "charge.refunded"),
    )
    assert [event["type"] for event in delivered] == ["refund.updated", "charge.refunded"]
    refund = await Refund.select().where(Refund.id == refund["id"]).first()
    assert refund["status"] == "succeeded" and refund["completed_at"] is not None
    payment = await CardPayment.select().where(CardPayment.id == payment["id"]).first()
    assert payment["amount_refunded_cents"] == PRICE  # counted once, though two events told of it
    assert (await registration(late["registration_id"]))["amount_paid_cents"] == 0

    # Stripe retries the same completed event three days later, re-signed with a current timestamp.
    events_before, refunds_before = await StripeEvent.count(), await Refund.count()
    body = event_record(stripe_double, "checkout.session.completed", late["session_id"]).body
    retry = await post_signed(client, body)
    assert retry.status_code == 200 and retry.json()["outcome"].startswith("already processed: Refunded")
    assert (await StripeEvent.count(), await Refund.count()) == (events_before, refunds_before)
    assert (
        len([r for r in stripe_double.state.refunds.values() if r["payment_intent"] == payment["payment_intent_id"]])
        == 1
    )
    assert len(await emails_to(late["teacher"]["email"], "Your payment for")) == 1


async def test_late_payment_joins_the_waiting_list_when_finance_says_so_and_gets_the_next_seat(client, stripe_double):
    finance = Actor.from_row(await make_user("finance"))
    await set_late_payment_policy(finance, "waitlist")
    late, taker = await seat_lost_then_paid(client, stripe_double)
    row = await registration(late["registration_id"])
    assert (row["status"], row["amount_paid_cents"], row["waitlist_rank"]) == ("waitlisted", PRICE, 1)
    assert await Refund.count() == 0
    assert len(await emails_to(late["teacher"]["email"], "You are on the waiting list")) == 1

    # B gives the seat up: A, already paid, is confirmed at once, with no second payment.
    cancelled = await client.delete(
        f"/api/v1/registrations/{taker['registration_id']}", headers=await bearer(taker["teacher"])
    )
    assert cancelled.status_code == 200, cancelled.text
    row = await registration(late["registration_id"])
    assert (row["status"], row["amount_paid_cents"], row["hold_expires_at"]) == ("confirmed", PRICE, None)
    assert await CardPayment.count().where(CardPayment.registration == late["registration_id"]) == 1
    assert await Refund.count() == 0


async def test_late_payment_for_a_seat_still_free_confirms_it(client, stripe_double):
    seat = await card_seat(client, stripe_double, capacity=1)
    await expire_hold(seat["registration_id"], minutes_ago=20)
    stripe_double.pay(seat["session_id"])
    await deliver_pending(client, stripe_double, seat["session_id"])
    row = await registration(seat["registration_id"])
    assert (row["status"], row["amount_paid_cents"]) == ("confirmed", PRICE)
    assert await Refund.count() == 0
    assert len(await emails_to(seat["teacher"]["email"], "You're registered")) == 1


async def test_late_payment_does_not_jump_the_waiting_list(client, stripe_double):
    """The seat is free again, but someone waits for it: the late payer does not take it from them."""
    late = await card_seat(client, stripe_double, capacity=1)
    waiting = await card_seat(client, stripe_double, workshop=late["workshop"])  # full while A's hold stood
    assert waiting["status"] == "waitlisted"
    await expire_hold(late["registration_id"])
    stripe_double.pay(late["session_id"])
    await deliver_pending(client, stripe_double, late["session_id"])
    row = await registration(late["registration_id"])
    assert row["status"] == "cancelled" and row["amount_paid_cents"] == 0
    assert await Refund.count() == 1
    # The seat A may not take is offered to the person waiting for it, at once.
    assert (await registration(waiting["registration_id"]))["status"] == "offered"


async def test_the_policy_refuses_an_unknown_choice_and_non_staff(client, stripe_double):
    import pytest

    from booking.errors import Forbidden, InvalidInput

    finance = Actor.from_row(await make_user("finance"))
    with pytest.raises(InvalidInput):
        await set_late_payment_policy(finance, "keep_it")
    with pytest.raises(Forbidden):
        await set_late_payment_policy(Actor.from_row(await make_user("attendee")), "waitlist")
    assert await late_payment_policy() == "refund"
