"""A browser that signed in to an account before ("known device").

After a successful sign-in the browser keeps a signed, httponly cookie naming the accounts it
signed in to. Such a browser is held only to the limits of its own failures for that account
(booking.accounts.sign_in), so strangers guessing the account's password from other addresses,
or from the same school network, cannot lock its owner out.
"""

from __future__ import annotations

import hashlib
import hmac

COOKIE_NAME = "booking_device"
LIFETIME_DAYS = 365
MAX_ACCOUNTS = 10  # a shared classroom computer remembers its last few people, no more


def _signature(payload: str, secret: str) -> str:
    return hmac.new(f"known-device:{secret}".encode(), payload.encode(), hashlib.sha256).hexdigest()


def read(value: str | None, secret: str) -> tuple[int, ...]:
    """The account ids a cookie vouches for; nothing for a missing, malformed or forged one."""
    if not value or len(value) > 400 or "." not in value:
        return ()
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _signature(payload, secret)):
        return ()
    try:
        return tuple(int(part) for part in payload.split("-") if part)
    except ValueError:
        return ()


def remember(value: str | None, user_id: int, secret: str) -> str:
    """The cookie value after `user_id` signed in on this browser (most recent last)."""
    ids = [known for known in read(value, secret) if known != user_id] + [user_id]
    payload = "-".join(str(known) for known in ids[-MAX_ACCOUNTS:])
    return f"{payload}.{_signature(payload, secret)}"
