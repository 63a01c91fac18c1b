"""A local double of Stripe's HTTP API, for dev and tests without a real key.

It speaks the part of Stripe's v1 API that we call (Checkout Sessions, PaymentIntents,
Charges, Refunds) as the official SDK sends it (form-encoded, Bearer key, Idempotency-Key),
serves a hosted checkout page, and POSTs webhooks signed exactly as Stripe signs them.
Every object is a deep copy of a shape from Stripe's own fixtures (stripe_shapes.json)
with the fields that matter overwritten, so our code reads the same keys as in production.

State lives in memory on the app (app.state.double). The app uses relative routes only and
builds absolute URLs from `public_base`, so it works standalone and mounted at /_stripe.
Not part of Stripe's API: the /_double/* control endpoints used by tests and the demo.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx
from litestar import Litestar, Request, Response, Router, asgi, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler
from litestar.params import FromPath
from litestar.types import Receive, Scope, Send

from booking_stripe_double import pages

log = logging.getLogger("booking.stripe_double")

API_VERSION = "2025-06-30.basil"
MIN_CHARGE_CENTS = 50  # Stripe's minimum charge for usd
_SHAPES = json.loads(resources.files("booking_stripe_double").joinpath("stripe_shapes.json").read_text("utf-8"))
SettleRefunds = Literal["immediately", "manual"]

# Stripe accepts these Checkout Session parameters; the double ignores them rather than refusing
# a call the real API would take. Anything else gets Stripe's "unknown parameter" error.
_IGNORED_SESSION_PARAMS = frozenset(
    [
        "adaptive_pricing",
        "after_expiration",
        "allow_promotion_codes",
        "automatic_tax",
        "billing_address_collection",
        "consent_collection",
        "currency",
        "custom_fields",
        "custom_text",
        "customer",
        "customer_creation",
        "customer_update",
        "discounts",
        "expand",
        "invoice_creation",
        "locale",
        "payment_method_collection",
        "payment_method_configuration",
        "payment_method_options",
        "payment_method_types",
        "phone_number_collection",
        "saved_payment_method_options",
        "shipping_address_collection",
        "shipping_options",
        "submit_type",
        "tax_id_collection",
        "ui_mode",
    ]
)
_SESSION_PARAMS = _IGNORED_SESSION_PARAMS | {
    "mode",
    "success_url",
    "cancel_url",
    "line_items",
    "client_reference_id",
    "customer_email",
    "metadata",
    "expires_at",
    "payment_intent_data",
}
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
# Stripe's test cards that fail: number -> (decline_code, message)
DECLINED_CARDS = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
}


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(18).replace("-", "").replace("_", "")[:24]


def shape(name: str) -> dict:
    return copy.deepcopy(_SHAPES[name])


def sign_payload(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value for `body`, as Stripe computes it."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class StripeApiError(Exception):
    """An error answered in Stripe's shape: {"error": {"type", "message", "code", "param"?}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"type": type, "message": message, "code": code, **extra}
        if param is not None:
            self.error["param"] = param


def _missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


# ---------------------------------------------------------------- form parameters

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_form(text: str) -> dict:
    """Stripe's bracket notation (`line_items[0][price_data][unit_amount]=2500`) into dicts and lists."""
    root: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise StripeApiError(400, f"Invalid parameter name: '{key}'.", code="parameter_invalid", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for depth, part in enumerate(parts):
            part = part or str(len(node))  # `expand[]=x` appends
            if depth == len(parts) - 1:
                if part in node:
                    raise StripeApiError(400, f"Parameter '{key}' was given more than once.", param=key)
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise StripeApiError(400, f"Parameter '{key}' conflicts with another parameter.", param=key)
    return _lists_from_indexes(root)


def _lists_from_indexes(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_indexes(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _integer(value: Any, param: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,15}", value):
        raise StripeApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    number = int(value)
    if minimum is not None and number < minimum:
        raise StripeApiError(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param,
        )
    if maximum is not None and number > maximum:
        raise StripeApiError(
            400, f"This value must be less than or equal to {maximum}.", code="parameter_invalid_integer", param=param
        )
    return number


def _text(params: dict, name: str, param: str, *, required: bool = False, max_length: int = 5000) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise StripeApiError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise StripeApiError(
            400,
            f"Invalid string: {param} (at most {max_length} characters).",
            code="parameter_invalid_string",
            param=param,
        )
    return value


def _url(params: dict, name: str, *, required: bool) -> str | None:
    value = _text(params, name, name, required=required, max_length=5000)
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise StripeApiError(400, "Not a valid URL", code="url_invalid", param=name)
    return value


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeApiError(400, "Invalid object", code="parameter_invalid_object", param=param)
    if len(value) > 50:
        raise StripeApiError(400, "Metadata can have at most 50 keys.", param=param)
    for key, item in value.items():
        if len(key) > 40 or not isinstance(item, str) or len(item) > 500:
            raise StripeApiError(
                400,
                "Metadata keys can be up to 40 characters and values up to 500 characters.",
                param=f"{param}[{key}]",
            )
    return {key: item for key, item in value.items() if item != ""}  # "" unsets a key in Stripe


# ---------------------------------------------------------------- state


@dataclass
class EventRecord:
    id: str
    type: str
    body: bytes
    status: str = "pending"  # pending (never tried) | delivered | failed (last try failed; resendable)
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None


@dataclass
class StoredAnswer:
    params: dict
    status: int | None = None  # None while the first request is still running
    body: bytes = b""


@dataclass
class ApiCall:
    """Who caused an event: copied into the event's `request` field."""

    request_id: str
    idempotency_key: str | None = None


@dataclass
class DoubleState:
    webhook_secret: str
    webhook_url: str | None
    public_base: str
    api_key_prefix: str
    settle_refunds: SettleRefunds
    hold: bool = False
    clock_offset: int = 0  # seconds added by /_double/clock, to reach expiry without waiting
    sessions: dict[str, dict] = field(default_factory=dict)
    line_items: dict[str, list[dict]] = field(default_factory=dict)
    intent_metadata: dict[str, dict] = field(default_factory=dict)  # session id -> payment_intent_data[metadata]
    payment_intents: dict[str, dict] = field(default_factory=dict)
    charges: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    idempotency: dict[tuple[str, str], StoredAnswer] = field(default_factory=dict)

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def record_event(self, type: str, obj: dict, call: ApiCall, previous: dict | None = None) -> EventRecord:
        event = shape("event")
        event.update(
            id=new_id("evt_"),
            api_version=API_VERSION,
            created=self.now(),
            livemode=False,
            pending_webhooks=1,
            type=type,
            request={"id": call.request_id, "idempotency_key": call.idempotency_key},
            data={"object": copy.deepcopy(obj), **({"previous_attributes": previous} if previous else {})},
        )
        record = EventRecord(id=event["id"], type=type, body=json.dumps(event, separators=(",", ":")).encode())
        self.events.append(record)
        return record

    async def deliver(self, record: EventRecord) -> int | None:
        """POST one event, freshly signed; never raises. Returns the receiver's status code."""
        record.attempts += 1
        if not self.webhook_url:
            record.status, record.last_error = "failed", "no webhook_url configured"
            return None
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_payload(record.body, self.webhook_secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                response = await client.post(self.webhook_url, content=record.body, headers=headers)
        except Exception as exc:  # a dead receiver must not break the action that caused the event
            record.status, record.last_status_code, record.last_error = "failed", None, f"{type(exc).__name__}: {exc}"
            log.warning("stripe double: delivering %s failed: %s", record.id, record.last_error)
            return None
        record.last_status_code = response.status_code
        record.status = "delivered" if 200 <= response.status_code < 300 else "failed"
        record.last_error = None if record.status == "delivered" else response.text[:500]
        return response.status_code

    async def deliver_new(self, records: list[EventRecord]) -> None:
        """Delivers events of one action in order, before that action answers (unless held)."""
        if self.hold or not self.webhook_url:
            return
        for record in records:
            await self.deliver(record)


def _state(request: Request) -> DoubleState:
    return request.app.state.double


# ---------------------------------------------------------------- checkout sessions


def _line_items(value: Any) -> tuple[list[dict], str]:
    if not isinstance(value, list) or not value:
        raise StripeApiError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
    items, currencies = [], set()
    for index, item in enumerate(value):
        where = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise StripeApiError(400, "Invalid object", code="parameter_invalid_object", param=where)
        if "price" in item:
            raise StripeApiError(
                400, "The local Stripe double supports only inline price_data, not price ids.", param=f"{where}[price]"
            )
        price = item.get("price_data")
        if not isinstance(price, dict):
            raise StripeApiError(
                400,
                f"Missing required param: {where}[price_data].",
                code="parameter_missing",
                param=f"{where}[price_data]",
            )
        currency = _text(price, "currency", f"{where}[price_data][currency]", required=True).lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeApiError(400, f"Invalid currency: {currency}.", param=f"{where}[price_data][currency]")
        unit_amount = _integer(price.get("unit_amount"), f"{where}[price_data][unit_amount]", 0, 99_999_999)
        product = price.get("product_data")
        name = _text(
            product if isinstance(product, dict) else {},
            "name",
            f"{where}[price_data][product_data][name]",
            required=True,
            max_length=250,
        )
        if "quantity" not in item:
            raise StripeApiError(
                400, f"Missing required param: {where}[quantity].", code="parameter_missing", param=f"{where}[quantity]"
            )
        quantity = _integer(item["quantity"], f"{where}[quantity]", 1, 999_999)
        currencies.add(currency)
        items.append({"name": name, "unit_amount": unit_amount, "quantity": quantity, "currency": currency})
    if len(currencies) > 1:
        raise StripeApiError(400, "All line items must use the same currency.", param="line_items")
    return items, currencies.pop()


def create_checkout_session(state: DoubleState, params: dict) -> dict:
    for name in params:
        if name not in _SESSION_PARAMS:
            raise StripeApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
    mode = _text(params, "mode", "mode", required=True)
    if mode != "payment":
        raise StripeApiError(400, "The local Stripe double supports only mode=payment.", param="mode")
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url", required=False)
    items, currency = _line_items(params.get("line_items"))
    total = sum(item["unit_amount"] * item["quantity"] for item in items)
    if total < MIN_CHARGE_CENTS:
        raise StripeApiError(
            400,
            f"The Checkout Session's total amount due must add up to at least "
            f"{pages.format_money(MIN_CHARGE_CENTS, currency)}.",
            param="line_items",
        )
    customer_email = _text(params, "customer_email", "customer_email", max_length=800)
    if customer_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", customer_email):
        raise StripeApiError(
            400, f"Invalid email address: {customer_email}", code="email_invalid", param="customer_email"
        )
    now = state.now()
    expires_at = now + 24 * 3600
    if params.get("expires_at") not in (None, ""):
        # a few seconds of grace: the caller computed now+30min a moment before we read the clock
        expires_at = _integer(params["expires_at"], "expires_at")
        if not now + 30 * 60 - 10 <= expires_at <= now + 24 * 3600:
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                param="expires_at",
            )
    intent_data = params.get("payment_intent_data") or {}
    if not isinstance(intent_data, dict):
        raise StripeApiError(400, "Invalid object", code="parameter_invalid_object", param="payment_intent_data")
    intent_metadata = _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
    session_id = new_id("cs_test_") + new_id("")  # Stripe's ids here are long
    session = shape("checkout.session")
    session.update(
        id=session_id,
        object="checkout.session",
        mode="payment",
        status="open",
        payment_status="unpaid",
        amount_subtotal=total,
        amount_total=total,
        currency=currency,
        created=now,
        expires_at=expires_at,
        livemode=False,
        url=f"{state.public_base}/pay/{session_id}",
        payment_intent=None,
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=customer_email,
        client_reference_id=_text(params, "client_reference_id", "client_reference_id", max_length=200),
        metadata=_metadata(params.get("metadata"), "metadata"),
        # the fixture's sample values would read as real charges, discounts or settings: neutralise them
        customer_details=None,
        collected_information=None,
        after_expiration=None,
        consent=None,
        consent_collection=None,
        custom_text={key: None for key in session["custom_text"]},
        automatic_tax={"enabled": False, "liability": None, "status": None, "provider": None},
        invoice_creation={"enabled": False, "invoice_data": session["invoice_creation"]["invoice_data"]},
        shipping_address_collection=None,
        shipping_cost=None,
        currency_conversion=None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        payment_method_configuration_details=None,
        adaptive_pricing={"enabled": False},
        managed_payments={"enabled": False},
        permissions=None,
        payment_method_collection="if_required",
    )
    state.sessions[session_id] = session
    state.line_items[session_id] = items
    state.intent_metadata[session_id] = intent_metadata
    return session


def find_session(state: DoubleState, session_id: str) -> dict:
    session = state.sessions.get(session_id)
    if session is None:
        raise _missing("checkout.session", session_id)
    return session


def _close_session(state: DoubleState, session: dict, call: ApiCall) -> list[EventRecord]:
    session.update(status="expired", url=None)
    return [state.record_event("checkout.session.expired", session, call)]


def expire_if_due(state: DoubleState, session: dict, call: ApiCall) -> list[EventRecord]:
    """Expiry is judged when the session is read; the expired event goes out once."""
    if session["status"] == "open" and state.now() >= session["expires_at"]:
        return _close_session(state, session, call)
    return []


def expire_session(state: DoubleState, session: dict, call: ApiCall) -> list[EventRecord]:
    if session["status"] != "open":
        raise StripeApiError(
            400,
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f'This session has status "{session["status"]}".',
            code="session_not_open",
        )
    return _close_session(state, session, call)


class CardDeclined(Exception):
    def __init__(self, decline_code: str, message: str) -> None:
        super().__init__(message)
        self.decline_code, self.message = decline_code, message


def _card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if re.match(r"^(5[1-5]|2[2-7])", number):
        return "mastercard"
    if re.match(r"^3[47]", number):
        return "amex"
    return "discover" if re.match(r"^(6011|65)", number) else "unknown"


def pay_session(state: DoubleState, session: dict, card: pages.CardForm, call: ApiCall) -> list[EventRecord]:
    """Takes the payment: a succeeded PaymentIntent with its Charge, and a complete session."""
    if card.number in DECLINED_CARDS:
        raise CardDeclined(*DECLINED_CARDS[card.number])
    now, amount, currency = state.now(), session["amount_total"], session["currency"]
    metadata = state.intent_metadata.get(session["id"], {})
    intent_id, charge_id = new_id("pi_"), new_id("ch_")
    payment_method = new_id("pm_")
    charge = shape("charge")
    charge.update(
        id=charge_id,
        amount=amount,
        amount_captured=amount,
        amount_refunded=0,
        captured=True,
        paid=True,
        refunded=False,
        status="succeeded",
        currency=currency,
        created=now,
        payment_intent=intent_id,
        payment_method=payment_method,
        metadata=dict(metadata),
        description=None,
        receipt_email=card.email,
        receipt_url=None,
        balance_transaction=new_id("txn_"),
        source=None,
        transfer_data=None,
        shipping=None,
        billing_details={**charge["billing_details"], "email": card.email, "name": None},
        outcome={
            **charge["outcome"],
            "network_status": "approved_by_network",
            "seller_message": "Payment complete.",
            "type": "authorized",
            "risk_level": "normal",
        },
        refunds={"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
    )
    charge["payment_method_details"]["card"].update(
        brand=_card_brand(card.number),
        last4=card.number[-4:],
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        network=_card_brand(card.number),
        amount_authorized=amount,
    )
    intent = shape("payment_intent")
    intent.update(
        id=intent_id,
        amount=amount,
        amount_received=amount,
        amount_capturable=0,
        currency=currency,
        created=now,
        status="succeeded",
        latest_charge=charge_id,
        metadata=dict(metadata),
        payment_method=payment_method,
        client_secret=f"{intent_id}_secret_{new_id('')}",
        canceled_at=None,
        last_payment_error=None,
        next_action=None,
        processing=None,
        transfer_data=None,
        shipping=None,
        receipt_email=card.email,
        automatic_payment_methods=None,
        payment_method_configuration_details=None,
        managed_payments=None,
    )
    session.update(
        status="complete",
        payment_status="paid",
        payment_intent=intent_id,
        url=None,
        customer_details={
            "address": None,
            "email": card.email,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        },
    )
    state.charges[charge_id], state.payment_intents[intent_id] = charge, intent
    return [
        state.record_event("payment_intent.succeeded", intent, call),
        state.record_event("checkout.session.completed", session, call),
    ]


def success_redirect(session: dict) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


# ---------------------------------------------------------------- refunds


def _refundable(state: DoubleState, charge: dict) -> int:
    held = sum(r["amount"] for r in state.refunds.values() if r["charge"] == charge["id"] and r["status"] != "failed")
    return charge["amount"] - held


def create_refund(state: DoubleState, params: dict) -> dict:
    for name in params:
        if name not in ("payment_intent", "charge", "amount", "reason", "metadata", "expand"):
            raise StripeApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
    intent_id = _text(params, "payment_intent", "payment_intent", max_length=200)
    charge_id = _text(params, "charge", "charge", max_length=200)
    if intent_id:
        intent = state.payment_intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id, "payment_intent")
        charge = state.charges[intent["latest_charge"]]
    elif charge_id:
        charge = state.charges.get(charge_id)
        if charge is None:
            raise _missing("charge", charge_id, "charge")
    else:
        raise StripeApiError(
            400,
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
        )
    remaining = _refundable(state, charge)
    if remaining <= 0:
        raise StripeApiError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = remaining
    if params.get("amount") not in (None, ""):
        amount = _integer(params["amount"], "amount", minimum=1)
        if amount > remaining:
            raise StripeApiError(
                400,
                f"Refund amount ({pages.format_money(amount, charge['currency'])}) is greater "
                f"than unrefunded amount on charge "
                f"({pages.format_money(remaining, charge['currency'])})",
                code="amount_too_large",
                param="amount",
            )
    reason = _text(params, "reason", "reason")
    if reason is not None and reason not in _REFUND_REASONS:
        raise StripeApiError(400, f"Invalid reason: must be one of {', '.join(_REFUND_REASONS)}", param="reason")
    refund = shape("refund")
    refund.update(
        id=new_id("re_"),
        amount=amount,
        charge=charge["id"],
        payment_intent=charge["payment_intent"],
        currency=charge["currency"],
        created=state.now(),
        metadata=_metadata(params.get("metadata"), "metadata"),
        reason=reason,
        status="pending",
        balance_transaction=new_id("txn_"),
        payment_method=charge["payment_method"],
    )
    state.refunds[refund["id"]] = refund
    return refund


def settle_refund(state: DoubleState, refund_id: str, outcome: str, call: ApiCall) -> list[EventRecord]:
    """The bank's answer to a pending refund: refund.updated and, when it succeeded, charge.refunded."""
    refund = state.refunds.get(refund_id)
    if refund is None:
        raise _missing("refund", refund_id)
    if outcome not in ("succeeded", "failed"):
        raise StripeApiError(400, "outcome must be 'succeeded' or 'failed'.", param="outcome")
    if refund["status"] != "pending":
        raise StripeApiError(400, f"Refund {refund_id} is already {refund['status']}.")
    refund["status"] = outcome
    if outcome == "failed":
        refund.update(failure_reason="unknown", failure_balance_transaction=new_id("txn_"))
    events = [state.record_event("refund.updated", refund, call, previous={"status": "pending"})]
    if outcome == "succeeded":
        charge = state.charges[refund["charge"]]
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"] = sorted(
            (copy.deepcopy(r) for r in state.refunds.values() if r["charge"] == charge["id"]),
            key=lambda r: r["created"],
            reverse=True,
        )
        events.append(state.record_event("charge.refunded", charge, call, previous=previous))
    return events


# ---------------------------------------------------------------- HTTP: Stripe API


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(content=content, status_code=status, media_type="application/json", headers=headers or {})


def _error_response(error: StripeApiError) -> Response:
    headers = {"Request-Id": new_id("req_")}
    if error.status == 400:
        headers["Stripe-Should-Retry"] = "false"
    return _json(error.status, {"error": error.error}, headers)


def _local_path(scope: Scope) -> str:
    path, root = scope.get("path", "/"), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _on_stripe_error(request: Request, exc: StripeApiError) -> Response:
    return _error_response(exc)


def _on_http_error(request: Request, exc: HTTPException) -> Response:
    path = _local_path(request.scope).rstrip("/") or "/"
    if path.startswith("/v1") or path.startswith("/_double"):
        message = (
            f"Unrecognized request URL ({request.method}: {path})."
            if exc.status_code in (404, 405)
            else str(exc.detail)
        )
        return _error_response(StripeApiError(exc.status_code, message))
    return Response(
        pages.notice_page("Page not found", str(exc.detail)),
        status_code=exc.status_code,
        media_type="text/html; charset=utf-8",
    )


def _masked(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "*" * len(key)


def require_api_key(request: Request) -> Response | None:
    """Stripe's 401 for a missing or wrong key (Bearer, or Basic with the key as user name)."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    key = credential.strip() if scheme.lower() == "bearer" else ""
    if scheme.lower() == "basic":
        try:
            key = base64.b64decode(credential).decode().partition(":")[0]
        except Exception:
            key = ""
    if not key:
        message = (
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    elif not key.startswith(_state(request).api_key_prefix):
        message = f"Invalid API Key provided: {_masked(key)}"
    else:
        return None
    return _error_response(StripeApiError(401, message, code="api_key_invalid" if key else None))


@dataclass
class Answer:
    status: int
    body: dict
    after: BackgroundTask | None = None


async def _mutating_call(request: Request, action: Callable[[dict, ApiCall], Awaitable[Answer]]) -> Response:
    """Runs a POST under Stripe's idempotency rules: a key replays the stored answer for the same
    parameters, refuses different parameters, and answers 409 while the first request is running."""
    state = _state(request)
    try:
        params = parse_form((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        raise StripeApiError(400, "The request body is not valid UTF-8.") from None
    key = request.headers.get("idempotency-key")
    call = ApiCall(request_id=new_id("req_"), idempotency_key=key)
    headers = {"Request-Id": call.request_id}
    if not key:
        answer = await action(params, call)
        return Response(
            content=json.dumps(answer.body).encode(),
            status_code=answer.status,
            media_type="application/json",
            headers=headers,
            background=answer.after,
        )
    headers["Idempotency-Key"] = key
    slot = (_local_path(request.scope).rstrip("/"), key)
    stored = state.idempotency.get(slot)
    if stored is not None:
        if stored.params != params:
            raise StripeApiError(
                400,
                f"Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                f"execute a different request.",
                type="idempotency_error",
            )
        if stored.status is None:
            raise StripeApiError(
                409,
                "There is currently another in-progress request using this idempotency key. Try again later.",
                type="idempotency_error",
                code="idempotency_key_in_use",
            )
        return _json(stored.status, stored.body, {**headers, "Idempotent-Replayed": "true"})
    state.idempotency[slot] = StoredAnswer(params=params)
    try:
        answer = await action(params, call)
    except BaseException:
        del state.idempotency[slot]  # validation errors are not stored, as at Stripe
        raise
    body = json.dumps(answer.body).encode()
    state.idempotency[slot].status, state.idempotency[slot].body = answer.status, body
    return Response(
        content=body, status_code=answer.status, media_type="application/json", headers=headers, background=answer.after
    )


def _expanded(state: DoubleState, obj: dict, request: Request) -> dict:
    """Honours `expand[]` for the id fields our code may want inline."""
    paths = parse_form(request.url.query or "").get("expand") or []
    tables = {"payment_intent": state.payment_intents, "latest_charge": state.charges, "charge": state.charges}
    result = copy.deepcopy(obj)
    for path in paths if isinstance(paths, list) else [paths]:
        node = result
        for name in str(path).split("."):
            if not isinstance(node, dict):
                break
            if isinstance(node.get(name), str) and name in tables and node[name] in tables[name]:
                node[name] = copy.deepcopy(tables[name][node[name]])
            node = node.get(name)
    return result


@post("/checkout/sessions")
async def api_create_session(request: Request) -> Response:
    async def action(params: dict, call: ApiCall) -> Answer:
        return Answer(200, create_checkout_session(_state(request), params))

    return await _mutating_call(request, action)


@get("/checkout/sessions/{session_id:str}")
async def api_get_session(request: Request, session_id: FromPath[str]) -> Response:
    state = _state(request)
    session = find_session(state, session_id)
    await state.deliver_new(expire_if_due(state, session, ApiCall(new_id("req_"))))
    return _json(200, _expanded(state, session, request))


@post("/checkout/sessions/{session_id:str}/expire")
async def api_expire_session(request: Request, session_id: FromPath[str]) -> Response:
    async def action(params: dict, call: ApiCall) -> Answer:
        state = _state(request)
        session = find_session(state, session_id)
        events = expire_if_due(state, session, call)
        if events:  # it had just run out: deliver that, then refuse as Stripe would
            await state.deliver_new(events)
        await state.deliver_new(expire_session(state, session, call))
        return Answer(200, session)

    return await _mutating_call(request, action)


def _getter(kind: str, table: str):
    async def handler(request: Request, object_id: FromPath[str]) -> Response:
        state = _state(request)
        obj = getattr(state, table).get(object_id)
        if obj is None:
            raise _missing(kind, object_id)
        return _json(200, _expanded(state, obj, request))

    return handler


api_get_payment_intent = get("/payment_intents/{object_id:str}", name="pi")(
    _getter("payment_intent", "payment_intents")
)
api_get_charge = get("/charges/{object_id:str}", name="ch")(_getter("charge", "charges"))
api_get_refund = get("/refunds/{object_id:str}", name="re")(_getter("refund", "refunds"))


@post("/refunds")
async def api_create_refund(request: Request) -> Response:
    async def action(params: dict, call: ApiCall) -> Answer:
        state = _state(request)
        refund = create_refund(state, params)
        after = None
        if state.settle_refunds == "immediately":  # the bank answers after we respond, as at Stripe

            async def settle() -> None:
                await state.deliver_new(settle_refund(state, refund["id"], "succeeded", call))

            after = BackgroundTask(settle)
        return Answer(200, refund, after)

    return await _mutating_call(request, action)


# ---------------------------------------------------------------- HTTP: hosted page


def _html(text: str, status: int = 200) -> Response:
    return Response(content=text, status_code=status, media_type="text/html; charset=utf-8")


def _closed_page(session: dict) -> Response | None:
    if session["status"] == "complete":
        return _html(
            pages.notice_page(
                "This payment is complete",
                "Thank you: your payment was received.",
                success_redirect(session),
                "Return to the site",
            )
        )
    if session["status"] == "expired":
        back = session.get("cancel_url")
        return _html(
            pages.notice_page(
                "This checkout has expired",
                "Nothing was charged. Go back and start the payment again.",
                back,
                "Go back" if back else None,
            ),
            410,
        )
    return None


async def _page_session(request: Request, session_id: str) -> dict | Response:
    state = _state(request)
    session = state.sessions.get(session_id)
    if session is None:
        return _html(pages.notice_page("Checkout not found", "This payment link is not valid."), 404)
    await state.deliver_new(expire_if_due(state, session, ApiCall(new_id("req_"))))
    return _closed_page(session) or session


@get("/pay/{session_id:str}")
async def pay_page(request: Request, session_id: FromPath[str]) -> Response:
    session = await _page_session(request, session_id)
    if isinstance(session, Response):
        return session
    state = _state(request)
    return _html(
        pages.checkout_page(session, state.line_items[session_id], action_url=f"{state.public_base}/pay/{session_id}")
    )


@post("/pay/{session_id:str}")
async def pay_page_submit(request: Request, session_id: FromPath[str]) -> Response:
    session = await _page_session(request, session_id)
    if isinstance(session, Response):
        return session
    state = _state(request)
    try:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    except Exception:
        form = {}

    def render(status: int, **extra: Any) -> Response:
        page = pages.checkout_page(
            session,
            state.line_items[session_id],
            action_url=f"{state.public_base}/pay/{session_id}",
            values=form,
            **extra,
        )
        return _html(page, status)

    card, errors = pages.validate_payment_form(form, dt.datetime.fromtimestamp(state.now(), dt.timezone.utc).date())
    if card is None:
        return render(400, errors=errors)
    try:
        events = pay_session(state, session, card, ApiCall(new_id("req_")))
    except CardDeclined as declined:
        return render(402, problem=declined.message)
    await state.deliver_new(events)
    return Response(content=b"", status_code=303, headers={"Location": success_redirect(session)})


# ---------------------------------------------------------------- HTTP: control endpoints (not Stripe's)


async def _json_body(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise StripeApiError(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise StripeApiError(400, "The body must be a JSON object.")
    return body


def _event_view(state: DoubleState, record: EventRecord) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "status": record.status,
        "attempts": record.attempts,
        "last_status_code": record.last_status_code,
        "last_error": record.last_error,
        "body": record.body.decode(),
        "signature": sign_payload(record.body, state.webhook_secret),
    }


@get("/events")
async def control_events(request: Request) -> Response:
    state = _state(request)
    pending_only = request.query_params.get("pending") in ("1", "true", "yes")
    return _json(200, [_event_view(state, r) for r in state.events if not pending_only or r.status != "delivered"])


@post("/events/{event_id:str}/deliver")
async def control_deliver(request: Request, event_id: FromPath[str]) -> Response:
    state = _state(request)
    record = next((r for r in state.events if r.id == event_id), None)
    if record is None:
        raise _missing("event", event_id)
    if not state.webhook_url:
        raise StripeApiError(400, "This double has no webhook_url: fetch events from /_double/events instead.")
    status_code = await state.deliver(record)
    return _json(
        200, {"id": record.id, "status": record.status, "status_code": status_code, "error": record.last_error}
    )


@post("/checkout/{session_id:str}/pay")
async def control_pay(request: Request, session_id: FromPath[str]) -> Response:
    state = _state(request)
    body = await _json_body(request)
    session = find_session(state, session_id)
    call = ApiCall(new_id("req_"))
    await state.deliver_new(expire_if_due(state, session, call))
    if session["status"] != "open":
        raise StripeApiError(400, f"This Checkout Session is {session['status']}, not open.", code="session_not_open")
    number, problem = pages.check_card_number(str(body.get("card", "4242424242424242")))
    email = str(body.get("email") or session.get("customer_email") or "payer@example.org")
    if problem:
        raise StripeApiError(400, problem, code="incorrect_number", param="card")
    card = pages.CardForm(email=email, number=number, exp_month=12, exp_year=dt.date.today().year + 5)
    try:
        events = pay_session(state, session, card, call)
    except CardDeclined as declined:
        raise StripeApiError(
            402, declined.message, type="card_error", code="card_declined", decline_code=declined.decline_code
        ) from None
    await state.deliver_new(events)
    return _json(200, session)


@post("/refunds/{refund_id:str}/settle")
async def control_settle(request: Request, refund_id: FromPath[str]) -> Response:
    state = _state(request)
    body = await _json_body(request)
    await state.deliver_new(settle_refund(state, refund_id, str(body.get("outcome", "")), ApiCall(new_id("req_"))))
    return _json(200, state.refunds[refund_id])


@post("/delivery")
async def control_delivery(request: Request) -> Response:
    state = _state(request)
    body = await _json_body(request)
    if not isinstance(body.get("hold"), bool):
        raise StripeApiError(400, 'Send {"hold": true} or {"hold": false}.', param="hold")
    state.hold = body["hold"]
    if not state.hold and body.get("flush"):  # optional: deliver what queued up, oldest first
        await state.deliver_new([r for r in state.events if r.status != "delivered"])
    return _json(200, {"hold": state.hold})


@post("/clock")
async def control_clock(request: Request) -> Response:
    """Moves the double's clock forward (like Stripe's test clocks) so expiry can be tested without waiting."""
    state = _state(request)
    body = await _json_body(request)
    advance = body.get("advance")
    if not isinstance(advance, int) or advance < 0:
        raise StripeApiError(400, "advance must be a whole number of seconds, 0 or more.", param="advance")
    state.clock_offset += advance
    return _json(200, {"now": state.now()})


def create_stripe_double(
    *,
    webhook_secret: str,
    webhook_url: str | None,
    public_base: str,
    api_key_prefix: str = "sk_test_",
    settle_refunds: SettleRefunds = "immediately",
) -> Litestar:
    """A Litestar app playing Stripe. `public_base` is where a browser reaches it (no trailing slash)."""
    if settle_refunds not in ("immediately", "manual"):
        raise ValueError("settle_refunds must be 'immediately' or 'manual'")
    state = DoubleState(
        webhook_secret=webhook_secret,
        webhook_url=webhook_url,
        public_base=public_base.rstrip("/"),
        api_key_prefix=api_key_prefix,
        settle_refunds=settle_refunds,
    )
    api = Router(
        "/v1",
        route_handlers=[
            api_create_session,
            api_get_session,
            api_expire_session,
            api_get_payment_intent,
            api_get_charge,
            api_get_refund,
            api_create_refund,
        ],
        before_request=require_api_key,
    )
    control = Router(
        "/_double",
        route_handlers=[control_events, control_deliver, control_pay, control_settle, control_delivery, control_clock],
    )
    return Litestar(
        route_handlers=[api, control, pay_page, pay_page_submit],
        state=State({"double": state}),
        exception_handlers={StripeApiError: _on_stripe_error, HTTPException: _on_http_error},
        openapi_config=None,
        logging_config=None,
    )


def mount_stripe_double(double: Litestar, path: str = "/_stripe") -> ASGIRouteHandler:
    """An ASGI mount handing everything under `path` to the double.

    Litestar passes a mounted app `scope["path"]` with the mount prefix cut off (and a "/" added) while
    `root_path` keeps the outer value. ASGI wants `path` to include `root_path`, and the double's own
    router strips `root_path` from `path`: so we move the prefix into `root_path` and put it back
    on `path`. (Forwarding the scope unchanged works too; this keeps request.url truthful.)
    """
    prefix = "/" + path.strip("/")

    @asgi(prefix, is_mount=True, copy_scope=True, name="stripe_double")
    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "").rstrip("/") + prefix
        scope["root_path"] = root
        scope["path"] = root + scope["path"]
        await double(scope, receive, send)

    return forward
