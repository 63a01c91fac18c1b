"""Stripe webhooks: verified on the raw body, stored under Stripe's event id, processed exactly once.

Stripe delivers at least once, in any order, and retries for days. So: the event row is inserted
with ON CONFLICT DO NOTHING; processing locks that row and returns at once if it already has a
`processed_at`; each handler is itself idempotent on the objects it touches (a card payment is
applied once, a refund reaches a final state once), so a `completed` before anything else or a
retry three days later changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import stripe

from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import DomainError
from booking.payments.card_payment_lifecycle import CardPaymentStatus, move_card_payment
from booking.payments.gateway import stripe_config
from booking.payments.refunds import refund_by_stripe_object, submit_refund
from booking.payments.tables import CardPayment, StripeEvent

log = logging.getLogger(__name__)
SIGNATURE_TOLERANCE_SECONDS = 300


class BadWebhook(DomainError):
    code = "bad_signature"
    status_hint = 400
    title = "Webhook refused"


def verify(body: bytes, signature: str | None) -> dict:
    """The event if the signature is Stripe's for this body, made within 5 minutes; else BadWebhook."""
    config = stripe_config()
    if config is None or not config.webhook_secret:
        raise BadWebhook("Webhooks are not configured on this server.")
    if not signature:
        raise BadWebhook("Missing Stripe-Signature header.")
    try:
        # The signature alone first: the SDK's construct_event would also build an Event object, which
        # raises AttributeError (a 500) on a correctly signed body that is JSON but not an object.
        stripe.WebhookSignature.verify_header(
            body.decode("utf-8"), signature, config.webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        event = json.loads(body)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadWebhook(f"Signature check failed: {error}") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadWebhook("Not a Stripe event.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadWebhook("Not a Stripe event: no data.object.")
    return event


async def receive(body: bytes, signature: str | None, now: dt.datetime | None = None) -> str:
    """Verify, store and process one delivery; returns what happened (for the response and the log)."""
    event = verify(body, signature)
    now = now or utc_now()
    await StripeEvent.raw(
        "INSERT INTO stripe_event (stripe_id, type, payload, received_at, outcome) VALUES ({}, {}, {}, {}, '') "
        "ON CONFLICT (stripe_id) DO NOTHING",
        event["id"],
        event["type"][:100],
        body.decode(),
        now,
    )
    outcome, refund_ids = await _process(event["id"], now)
    for refund_id in refund_ids:
        await submit_refund(refund_id)  # after the commit: network calls never hold a lock
    return outcome


async def _process(stripe_id: str, now: dt.datetime) -> tuple[str, list[int]]:
    async with write_transaction():
        await lock_rows_for_update(StripeEvent, StripeEvent.stripe_id == stripe_id)
        stored = await StripeEvent.select().where(StripeEvent.stripe_id == stripe_id).first()
        if stored["processed_at"] is not None:
            return f"already processed: {stored['outcome']}", []
        event = json.loads(stored["payload"])
        outcome, refund_ids = await _dispatch(event, now)
        await StripeEvent.update({StripeEvent.processed_at: now, StripeEvent.outcome: outcome[:300]}).where(
            StripeEvent.stripe_id == stripe_id
        )
    return outcome, refund_ids


async def _dispatch(event: dict, now: dt.datetime) -> tuple[str, list[int]]:
    kind = event["type"]
    data = (event.get("data") or {}).get("object") or {}
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return await _checkout_completed(data, now)
    if kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        return await _checkout_ended(data, "expired" if kind.endswith("expired") else "failed", now), []
    if kind.startswith("refund."):
        return await refund_by_stripe_object(data, now), []
    if kind == "charge.refunded":
        outcomes = [
            await refund_by_stripe_object(refund, now) for refund in (data.get("refunds") or {}).get("data", [])
        ]
        return "; ".join(outcomes) or "charge refunded", []
    return f"ignored {kind}", []


async def _card_payment_for(session: dict) -> dict | None:
    metadata = session.get("metadata") or {}
    if str(metadata.get("card_payment_id", "")).isdigit():
        row = await CardPayment.select().where(CardPayment.id == int(metadata["card_payment_id"])).first()
        # The metadata finds a session whose id we have not stored yet; a stored id must agree.
        if row is not None and row["checkout_session_id"] in (None, session.get("id")):
            return row
    return await CardPayment.select().where(CardPayment.checkout_session_id == session.get("id")).first()


async def _checkout_completed(session: dict, now: dt.datetime) -> tuple[str, list[int]]:
    from booking.payments.card_invoices import apply_invoice_payment
    from booking.payments.card_receipts import send_card_receipt
    from booking.payments.card_registrations import apply_registration_payment
    from booking.payments.card_tuition import apply_tuition_payment

    if session.get("payment_status") != "paid":
        return "checkout completed, payment not yet settled", []
    card_payment = await _card_payment_for(session)
    if card_payment is None:
        return f"unknown checkout session {session.get('id')}", []
    await lock_rows_for_update(CardPayment, CardPayment.id == card_payment["id"])
    card_payment = await CardPayment.select().where(CardPayment.id == card_payment["id"]).first()
    if card_payment["status"] == "paid":
        return "already applied", []
    amount = int(session.get("amount_total") or card_payment["amount_cents"])
    await move_card_payment(
        card_payment,
        CardPaymentStatus.PAID,
        now,
        amount_cents=amount,
        payment_intent_id=session.get("payment_intent"),
        checkout_session_id=session.get("id"),
    )
    card_payment = {
        **card_payment,
        "status": "paid",
        "amount_cents": amount,
        "payment_intent_id": session.get("payment_intent"),
    }
    if card_payment["purpose"] == "registration":
        outcome, refunds = await apply_registration_payment(card_payment, amount, now)
    elif card_payment["purpose"] == "tuition":
        outcome, refunds = await apply_tuition_payment(card_payment, amount, now)
    else:
        outcome, refunds = await apply_invoice_payment(card_payment, amount, now)
    await CardPayment.update({CardPayment.outcome: outcome[:300]}).where(CardPayment.id == card_payment["id"])
    await send_card_receipt(card_payment, now)
    return outcome, refunds


async def _checkout_ended(session: dict, status: str, now: dt.datetime) -> str:
    """An abandoned session: the card payment ends; a pending seat's hold ends now instead of later."""
    from booking.payments.card_registrations import release_abandoned_hold

    card_payment = await _card_payment_for(session)
    if card_payment is None:
        return f"unknown checkout session {session.get('id')}"
    if card_payment["status"] not in ("created", "open"):
        return f"checkout {status}, card payment already {card_payment['status']}"
    await move_card_payment(card_payment, CardPaymentStatus(status))
    if card_payment["purpose"] == "registration":
        return await release_abandoned_hold(card_payment, now)
    return f"checkout {status}"
