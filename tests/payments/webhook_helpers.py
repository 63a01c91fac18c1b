"""Delivering the double's signed events to the app under test, exactly as Stripe would POST them."""

from __future__ import annotations

import json
import time

from booking_stripe_double import sign_payload
from tests.conftest import TEST_WEBHOOK_SECRET


async def post_event(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/webhooks/stripe", content=body, headers=headers)


def _concerns(payload: dict, ids: set[str]) -> bool:
    obj = payload["data"]["object"]
    return bool({obj.get("id"), obj.get("payment_intent")} & ids)


async def deliver_pending(client, stripe_double, *ids: str, types: tuple[str, ...] | None = None) -> list[dict]:
    """POST the double's undelivered events about these objects (session, payment intent or refund ids), in order.

    The double is shared by the whole run, so a test only ever delivers events about its own objects."""
    delivered = []
    for record in list(stripe_double.state.events):
        if record.status == "delivered":
            continue
        payload = json.loads(record.body)
        if types and payload["type"] not in types:
            continue
        if not _concerns(payload, set(ids)):
            continue
        response = await post_event(
            client, record.body, sign_payload(record.body, TEST_WEBHOOK_SECRET, int(time.time()))
        )
        assert response.status_code == 200, response.text
        record.status = "delivered"
        delivered.append(payload)
    return delivered


def session_id_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
