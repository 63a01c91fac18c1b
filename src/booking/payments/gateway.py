"""The Stripe client, configured once from the settings.

With BOOKING_STRIPE_SECRET_KEY the platform talks to Stripe (or to BOOKING_STRIPE_API_BASE).
Without it, in development, it talks to the local Stripe double mounted at /_stripe on this
very server: the same SDK calls and signed webhooks, so `make run` shows a card payment end to end.
In production without a key, card payment is simply not offered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import weakref
from dataclasses import dataclass

import stripe

from booking.settings import Settings, current_settings

DOUBLE_MOUNT = "/_stripe"
DOUBLE_API_KEY = "sk_test_local_double"


@dataclass(frozen=True)
class StripeConfig:
    api_key: str
    api_base: str | None  # None: Stripe's own address
    webhook_secret: str | None
    uses_local_double: bool


def double_webhook_secret(settings: Settings) -> str:
    """A development-only signing secret shared by the app and the double it mounts."""
    digest = hmac.new(settings.secret_key.encode(), b"local-stripe-double-webhooks", hashlib.sha256).hexdigest()
    return f"whsec_{digest[:40]}"


def stripe_config(settings: Settings | None = None) -> StripeConfig | None:
    settings = settings or current_settings()
    if settings.stripe_secret_key:
        return StripeConfig(settings.stripe_secret_key, settings.stripe_api_base, settings.stripe_webhook_secret, False)
    if settings.is_production:
        return None
    return StripeConfig(
        DOUBLE_API_KEY,
        settings.stripe_api_base or settings.base_url + DOUBLE_MOUNT,
        settings.stripe_webhook_secret or double_webhook_secret(settings),
        settings.stripe_api_base is None,
    )


def card_payments_available() -> bool:
    return stripe_config() is not None


# httpx's async connection pool belongs to the event loop that opened it: one client per loop.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[StripeConfig, stripe.StripeClient]] = (
    weakref.WeakKeyDictionary()
)


def stripe_client() -> stripe.StripeClient:
    config = stripe_config()
    if config is None:
        raise RuntimeError("card payments are not configured")
    loop = asyncio.get_running_loop()
    cached = _clients.get(loop)
    if cached is not None and cached[0] == config:
        return cached[1]
    base = {"api": config.api_base} if config.api_base else None
    client = stripe.StripeClient(
        config.api_key, base_addresses=base, http_client=stripe.HTTPXClient(timeout=20), max_network_retries=2
    )
    _clients[loop] = (config, client)
    return client
