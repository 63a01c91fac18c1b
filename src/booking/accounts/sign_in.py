"""Signing in: with a password, or with a one-time link sent by email."""

from __future__ import annotations

import datetime as dt

from booking.accounts import rate_limit
from booking.accounts.passwords import hash_password, needs_rehash, verify_password
from booking.accounts.secrets_util import hash_token, new_token
from booking.accounts.tables import OneTimeToken, User
from booking.accounts.users import find_user_by_email, normalize_email
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import DomainError, InvalidInput
from booking.notifications.outbox import enqueue_email

SIGN_IN_LINK_LIFETIME = dt.timedelta(minutes=20)
PASSWORD_ATTEMPTS_PER_EMAIL = 10
PASSWORD_ATTEMPTS_PER_ADDRESS = 50
LINK_REQUESTS_PER_EMAIL = 5
LINK_REQUESTS_PER_ADDRESS = 20
WINDOW = dt.timedelta(minutes=15)


class SignInFailed(DomainError):
    code = "sign_in_failed"
    status_hint = 400
    title = "Sign-in failed"


class LinkInvalid(DomainError):
    code = "link_invalid"
    status_hint = 400
    title = "This link cannot be used"


async def sign_in_with_password(email: str, password: str, client_address: str) -> int:
    """Returns the user id; the same message whatever was wrong, so accounts cannot be probed."""
    email = normalize_email(email)
    if not email or not password:
        raise InvalidInput(
            {k: v for k, v in {"email": "Enter your email address." if not email else "",
                               "password": "Enter your password." if not password else ""}.items() if v}
        )
    await rate_limit.hit("sign_in_address", client_address, limit=PASSWORD_ATTEMPTS_PER_ADDRESS, window=WINDOW)
    await rate_limit.hit("sign_in_email", email, limit=PASSWORD_ATTEMPTS_PER_EMAIL, window=WINDOW)
    user = await find_user_by_email(email)
    password_hash = user["password_hash"] if user else None
    if not verify_password(password_hash, password) or not user["is_active"]:
        raise SignInFailed("That email and password do not match an active account.")
    if needs_rehash(password_hash):
        await User.update({User.password_hash: hash_password(password)}).where(User.id == user["id"])
    return user["id"]


async def issue_one_time_token(user_id: int, purpose: str, lifetime: dt.timedelta) -> str:
    token = new_token()
    now = utc_now()
    await OneTimeToken.insert(
        OneTimeToken(purpose=purpose, token_hash=hash_token(token), user=user_id, created_at=now, expires_at=now + lifetime)
    )
    return token


async def consume_one_time_token(token: str, purpose: str) -> int:
    """Marks the token used and returns its user id; must run in the caller's transaction."""
    now = utc_now()
    if not token or len(token) > 200:
        raise LinkInvalid("This link is not valid. Ask for a new one.")
    used = await OneTimeToken.update({OneTimeToken.used_at: now}).where(
        (OneTimeToken.token_hash == hash_token(token))
        & (OneTimeToken.purpose == purpose)
        & (OneTimeToken.used_at.is_null())
        & (OneTimeToken.expires_at > now)
    ).returning(OneTimeToken.user)
    if not used:
        raise LinkInvalid("This link has expired or was already used. Ask for a new one.")
    return used[0]["user"]


async def request_sign_in_link(email: str, client_address: str) -> None:
    """Always looks the same to the requester, whether or not the account exists."""
    email = normalize_email(email)
    if not email:
        raise InvalidInput({"email": "Enter your email address."})
    await rate_limit.hit("link_address", client_address, limit=LINK_REQUESTS_PER_ADDRESS, window=WINDOW)
    await rate_limit.hit("link_email", email, limit=LINK_REQUESTS_PER_EMAIL, window=WINDOW)
    user = await find_user_by_email(email)
    if user is None or not user["is_active"]:
        return
    async with write_transaction():
        token = await issue_one_time_token(user["id"], "sign_in", SIGN_IN_LINK_LIFETIME)
        await enqueue_email(
            user["email"],
            "sign_in_link",
            {"name": user["name"], "path": f"/sign-in/link/{token}", "minutes": int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60)},
        )


async def sign_in_with_link(token: str) -> int:
    async with write_transaction():
        user_id = await consume_one_time_token(token, "sign_in")
        user = await User.select(User.is_active).where(User.id == user_id).first()
        if not user or not user["is_active"]:
            raise LinkInvalid("This account is not active.")
    return user_id
