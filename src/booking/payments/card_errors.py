"""What people read when the card payment service refuses or fails: words of the users, never the
library's text ("Request req_…: Invalid API Key provided: sk_test_****"), which goes to the log."""

from __future__ import annotations

import stripe

TRY_AGAIN = "The card payment service did not answer. Please try again in a minute."
NOT_SET_UP = (
    "Card payments are not working on our side right now. Please try again later, or choose another way "
    "to pay; our staff can see what went wrong."
)
REFUSED = "The card payment service could not take this payment. Please try again later, or choose another way to pay."

# Stripe's decline codes people meet most, in plain words (the others get the bank's own message or a generic one).
DECLINES = {
    "card_declined": "The card was declined. Please try another card, or ask your bank why.",
    "insufficient_funds": "The card was declined for insufficient funds. Please try another card.",
    "expired_card": "The card has expired. Please use another card.",
    "incorrect_cvc": "The security code (CVC) is not right. Please check it and try again.",
    "incorrect_number": "The card number is not right. Please check it and try again.",
    "processing_error": "The card could not be processed. Please try again in a minute.",
}


def human_card_error(error: stripe.StripeError) -> str:
    """One sentence or two for the person paying, or for finance looking at the payment."""
    if isinstance(error, stripe.CardError):
        return DECLINES.get(error.code or "", "The card was declined. Please try another card.")
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)):
        return TRY_AGAIN
    if isinstance(error, (stripe.AuthenticationError, stripe.PermissionError)):
        return NOT_SET_UP
    return REFUSED
