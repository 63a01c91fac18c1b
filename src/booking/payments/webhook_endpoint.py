"""POST /webhooks/stripe: the raw body is verified before anything else is read from it."""

from __future__ import annotations

import logging

from litestar import Controller, Request, Response, post

from booking.observability.metrics import count_webhook
from booking.payments.webhooks import BadWebhook, receive
from booking.web.input_boundary import RAW_BODY

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 512 * 1024  # Stripe's events are a few KB; anything huge is not Stripe


def webhook_outcome_kind(outcome: str) -> str:
    """A metric label from `receive`'s description of what happened: a small, fixed set of values."""
    if outcome.startswith("already processed"):
        return "duplicate"
    if outcome.startswith("ignored "):
        return "ignored"
    return "processed"


class StripeWebhookController(Controller):
    path = "/webhooks"
    include_in_schema = False

    @post(
        "/stripe", name="payments.stripe_webhook", status_code=200, opt={RAW_BODY: True}
    )  # verified on the exact bytes Stripe signed
    async def stripe_event(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response({"error": "payload too large"}, status_code=400)
        try:
            outcome = await receive(body, request.headers.get("stripe-signature"))
        except BadWebhook as error:
            log.warning("Stripe webhook refused: %s", error.message)
            count_webhook("refused")
            return Response({"error": error.message}, status_code=400)
        count_webhook(webhook_outcome_kind(outcome))
        return Response({"received": True, "outcome": outcome}, status_code=200)
