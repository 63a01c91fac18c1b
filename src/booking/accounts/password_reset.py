"""Forgotten passwords (by emailed link) and changing one's own password."""

from __future__ import annotations

import datetime as dt

from booking.accounts import rate_limit
from booking.accounts.api_tokens import revoke_all_api_tokens
from booking.accounts.passwords import hashed, password_matches, validate_new_password
from booking.accounts.sessions import end_all_sessions, end_other_sessions
from booking.accounts.sign_in import (
    PASSWORD_SIGN_IN_OFF_MESSAGE,
    PasswordSignInOff,
    consume_one_time_token,
    issue_one_time_token,
    link_checks,
)
from booking.accounts.sign_in_providers import password_sign_in_is_off
from booking.accounts.tables import User
from booking.accounts.users import find_user_by_email, mark_email_confirmed, normalize_email
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import InvalidInput
from booking.notifications.outbox import enqueue_email

RESET_LINK_LIFETIME = dt.timedelta(hours=1)


async def request_password_reset(email: str, client_address: str, known_user_ids: tuple[int, ...] = ()) -> None:
    email = normalize_email(email)
    if not email:
        raise InvalidInput({"email": "Enter your email address."})
    if await password_sign_in_is_off(email):
        # A password these addresses cannot use is not worth an email. Administrators included: exempting them
        # here would tell anyone which addresses are administrators'; they can sign in with an emailed link.
        raise PasswordSignInOff(PASSWORD_SIGN_IN_OFF_MESSAGE)
    user = await find_user_by_email(email)
    known = bool(user) and user["id"] in known_user_ids
    await rate_limit.count(link_checks("password_reset", email, client_address, known_device=known))
    if user is None or not user["is_active"]:
        return
    async with write_transaction():
        token = await issue_one_time_token(user["id"], "password_reset", RESET_LINK_LIFETIME)
        await enqueue_email(user["email"], "password_reset", {"name": user["name"], "path": f"/password/reset/{token}"})


async def reset_password(token: str, new_password: str, confirmation: str) -> int:
    validate_new_password(new_password)
    if new_password != confirmation:
        raise InvalidInput({"confirmation": "The two passwords are not the same."})
    new_hash = await hashed(new_password)  # before the transaction: a hash must not hold the database
    async with write_transaction():
        user_id = await consume_one_time_token(token, "password_reset")
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        await mark_email_confirmed(user_id, utc_now())  # the reset link went to this address: it is theirs
        await end_all_sessions(user_id)
        await revoke_all_api_tokens(user_id)
        user = await User.select(User.email, User.name).where(User.id == user_id).first()
        await enqueue_email(user["email"], "password_changed", {"name": user["name"]})
    return user_id


async def change_password(
    user_id: int, current_password: str, new_password: str, confirmation: str, keep_session_token: str | None = None
) -> None:
    """Also signs out every other browser of this person and revokes their API tokens: whoever
    learnt the old password (or a session or token it gave) loses access with it."""
    user = await User.select(User.password_hash, User.email, User.name).where(User.id == user_id).first()
    if user["password_hash"] and not await password_matches(user["password_hash"], current_password):
        raise InvalidInput({"current_password": "That is not your current password."})
    validate_new_password(new_password, field="new_password")
    if new_password != confirmation:
        raise InvalidInput({"confirmation": "The two passwords are not the same."})
    new_hash = await hashed(new_password)
    async with write_transaction():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)
        await end_other_sessions(user_id, keep_session_token)
        await revoke_all_api_tokens(user_id)
        await enqueue_email(user["email"], "password_changed", {"name": user["name"]})
