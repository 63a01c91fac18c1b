"""Signing in: with a password, or with a one-time link sent by email."""

from __future__ import annotations

import datetime as dt

from booking.accounts import rate_limit
from booking.accounts.passwords import hashed, needs_rehash, password_matches
from booking.accounts.rate_limit import Rule
from booking.accounts.secrets_util import hash_token, new_token
from booking.accounts.sign_in_providers import password_sign_in_is_off
from booking.accounts.tables import OneTimeToken, User
from booking.accounts.users import find_user_by_email, mark_email_confirmed, normalize_email
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import DomainError, InvalidInput
from booking.notifications.outbox import enqueue_email

SIGN_IN_LINK_LIFETIME = dt.timedelta(minutes=20)

# Password sign-in counts failures only (a success is refunded). Why these numbers:
# - one browser mistyping one account gets 5 tries at once, then waits 1 s, 2 s, 4 s ... (at most
#   15 min): a person never notices, a guesser gets about 15 tries per 15 minutes per address;
# - one address (a school's network, a training room) gets 30 failures at once across all its
#   accounts before it waits: a room of 60 teachers, a few mistyping, never reaches it;
# - one account gets at most 100 failures an hour from all addresses together (distributed guessing),
#   after which only browsers that signed in to it before may try;
# - a browser that signed in to the account before (known_devices) is held only to the first rule,
#   so other people's failures, on other addresses or its own network, never lock its owner out.
PASSWORD_PER_ACCOUNT_AND_ADDRESS = Rule("password_pair", window=dt.timedelta(minutes=15), free=5)
PASSWORD_PER_ADDRESS = Rule("password_address", window=dt.timedelta(minutes=15), free=30)
PASSWORD_PER_ACCOUNT = Rule("password_account", window=dt.timedelta(hours=1), free=100, ceiling=100)

# Emailed links (sign-in and forgotten password): every request sends mail, so every request counts.
LINK_PER_EMAIL_AND_ADDRESS = Rule(
    "link_pair", window=dt.timedelta(minutes=15), free=3, first_delay=dt.timedelta(seconds=30)
)
LINK_PER_ADDRESS = Rule("link_address", window=dt.timedelta(minutes=15), free=20)
LINK_PER_EMAIL = Rule("link_email", window=dt.timedelta(hours=1), free=10, ceiling=10)  # spares the inbox


def password_checks(email: str, client_address: str, known_device: bool) -> list[tuple[Rule, str]]:
    checks = [(PASSWORD_PER_ACCOUNT_AND_ADDRESS, f"{email} {client_address}")]
    if not known_device:
        checks += [(PASSWORD_PER_ADDRESS, client_address), (PASSWORD_PER_ACCOUNT, email)]
    return checks


def link_checks(kind: str, email: str, client_address: str, known_device: bool) -> list[tuple[Rule, str]]:
    """`kind` keeps sign-in links and password resets in counters of their own."""
    checks = [
        (LINK_PER_EMAIL_AND_ADDRESS, f"{kind} {email} {client_address}"),
        (LINK_PER_ADDRESS, f"{kind} {client_address}"),
    ]
    if not known_device:
        checks.append((LINK_PER_EMAIL, f"{kind} {email}"))
    return checks


class SignInFailed(DomainError):
    code = "sign_in_failed"
    status_hint = 400
    title = "Sign-in failed"


class PasswordSignInOff(DomainError):
    """The address belongs to a district that signs in only through its own provider (or an emailed link)."""

    code = "password_sign_in_off"
    status_hint = 403
    title = "Sign in with your district account"


PASSWORD_SIGN_IN_OFF_MESSAGE = (
    "Your district turned off password sign-in for its addresses. Sign in with your district account instead: "
    "start again at Sign in with your email and press Continue. Or email yourself a sign-in link."
)


class LinkInvalid(DomainError):
    code = "link_invalid"
    status_hint = 400
    title = "This link cannot be used"


async def sign_in_with_password(
    email: str, password: str, client_address: str, known_user_ids: tuple[int, ...] = ()
) -> int:
    """Returns the user id; the same message whatever was wrong, so accounts cannot be probed.

    `known_user_ids`: the accounts this browser signed in to before (its known-device cookie).
    """
    email = normalize_email(email)
    if not email or not password:
        raise InvalidInput(
            {
                k: v
                for k, v in {
                    "email": "Enter your email address." if not email else "",
                    "password": "Enter your password." if not password else "",
                }.items()
                if v
            }
        )
    user = await find_user_by_email(email)
    district_only = await password_sign_in_is_off(email)
    # Refused before the password is looked at, and not counted against the limits: it is not a guess.
    # The email-first page already tells anyone that this domain signs in with its district.
    # Administrators keep their password (to get in while the district's provider is down); when theirs
    # is wrong they get the same refusal, so the answer does not tell who is an administrator.
    if district_only and not (user and user["role"] == "admin"):
        raise PasswordSignInOff(PASSWORD_SIGN_IN_OFF_MESSAGE)
    checks = password_checks(email, client_address, known_device=bool(user) and user["id"] in known_user_ids)
    # Reserved before the (slow) password check, so concurrent guesses cannot all pass a limit.
    await rate_limit.reserve(checks)
    password_hash = user["password_hash"] if user else None
    accepted = False
    try:
        accepted = await password_matches(password_hash, password) and bool(user["is_active"])
    finally:
        # Settled whatever happens (an error counts as a failure): only failures stay counted.
        await rate_limit.settle(checks, failed=not accepted)
    if not accepted:
        if district_only:  # an administrator's wrong password: the same answer as everyone's
            raise PasswordSignInOff(PASSWORD_SIGN_IN_OFF_MESSAGE)
        raise SignInFailed("That email and password do not match an active account.")
    if needs_rehash(password_hash):
        new_hash = await hashed(password)
        await User.update({User.password_hash: new_hash}).where(User.id == user["id"])
    return user["id"]


async def issue_one_time_token(user_id: int, purpose: str, lifetime: dt.timedelta) -> str:
    token = new_token()
    now = utc_now()
    await OneTimeToken.insert(
        OneTimeToken(
            purpose=purpose, token_hash=hash_token(token), user=user_id, created_at=now, expires_at=now + lifetime
        )
    )
    return token


async def consume_one_time_token(token: str, purpose: str) -> int:
    """Marks the token used and returns its user id; must run in the caller's transaction."""
    now = utc_now()
    if not token or len(token) > 200:
        raise LinkInvalid("This link is not valid. Ask for a new one.")
    used = (
        await OneTimeToken.update({OneTimeToken.used_at: now})
        .where(
            (OneTimeToken.token_hash == hash_token(token))
            & (OneTimeToken.purpose == purpose)
            & (OneTimeToken.used_at.is_null())
            & (OneTimeToken.expires_at > now)
        )
        .returning(OneTimeToken.user)
    )
    if not used:
        raise LinkInvalid("This link has expired or was already used. Ask for a new one.")
    return used[0]["user"]


async def request_sign_in_link(email: str, client_address: str, known_user_ids: tuple[int, ...] = ()) -> None:
    """Always looks the same to the requester, whether or not the account exists."""
    email = normalize_email(email)
    if not email:
        raise InvalidInput({"email": "Enter your email address."})
    user = await find_user_by_email(email)
    known = bool(user) and user["id"] in known_user_ids
    await rate_limit.count(link_checks("sign_in", email, client_address, known_device=known))
    if user is None or not user["is_active"]:
        return
    async with write_transaction():
        token = await issue_one_time_token(user["id"], "sign_in", SIGN_IN_LINK_LIFETIME)
        await enqueue_email(
            user["email"],
            "sign_in_link",
            {
                "name": user["name"],
                "path": f"/sign-in/link/{token}",
                "minutes": int(SIGN_IN_LINK_LIFETIME.total_seconds() // 60),
            },
        )


async def sign_in_with_link(token: str) -> int:
    async with write_transaction():
        user_id = await consume_one_time_token(token, "sign_in")
        user = await User.select(User.is_active).where(User.id == user_id).first()
        if not user or not user["is_active"]:
            raise LinkInvalid("This account is not active.")
        await mark_email_confirmed(user_id, utc_now())  # the link went to this address: it is theirs
    return user_id
