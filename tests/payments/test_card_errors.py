"""When the card payment service refuses: the person and finance read words, the log keeps Stripe's text."""

from __future__ import annotations

import dataclasses
import logging

import stripe

from booking.payments.card_errors import NOT_SET_UP, TRY_AGAIN, human_card_error
from booking.payments.tables import CardPayment
from booking.settings import use_settings
from tests.api_helpers import bearer
from tests.factories import make_user
from tests.workshop_factory import make_workshop


async def test_a_refused_checkout_gives_words_not_library_text_and_logs_the_library_text(client, settings, caplog):
    # A key the card service does not accept: the real SDK gets the double's real 401.
    use_settings(dataclasses.replace(settings, stripe_secret_key="sk_live_not_this_one"))
    workshop = await make_workshop("Restorative Circles", price_cents=4500)
    teacher = await make_user("attendee")
    with caplog.at_level(logging.WARNING):
        response = await client.post(
            f"/api/v1/offerings/{workshop}/registrations", json={"payer": "card"}, headers=await bearer(teacher)
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["checkout_url"] is None
    assert any(NOT_SET_UP in warning for warning in body["warnings"]), body["warnings"]
    assert "Invalid API Key" not in response.text and "sk_live" not in response.text
    payment = await CardPayment.select().first()
    assert (payment["status"], payment["outcome"]) == ("failed", NOT_SET_UP)
    assert any("Invalid API Key provided" in record.getMessage() for record in caplog.records)


def test_each_kind_of_refusal_has_its_own_words():
    declined = stripe.CardError("Your card has insufficient funds.", param=None, code="insufficient_funds")
    assert human_card_error(declined) == "The card was declined for insufficient funds. Please try another card."
    assert human_card_error(stripe.APIConnectionError("Connection refused")) == TRY_AGAIN
    assert "Request req_" not in human_card_error(stripe.InvalidRequestError("Request req_1: No such price", param="x"))
