"""A person moves to a new email address only by opening a link sent to that address.

Why: an address on an account is how we recognise its owner — a sign-in link or a password reset goes there,
and the district's sign-in joins an account by it. Were it taken as typed, anyone could put a teacher's
district address on an account of theirs before the teacher ever arrived, and be joined to the teacher's
district identity. So the profile only *asks* for the change: the address changes, and counts as proven
(`User.email_confirmed_at`), when the link sent to it is used; the old address is told when that happens.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.secrets_util import hash_token, new_token
from booking.accounts.sign_in import LinkInvalid
from booking.accounts.tables import EmailChange, User
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict
from booking.notifications.outbox import enqueue_email

LINK_LIFETIME = dt.timedelta(hours=24)
CONFIRM_PATH = "/account/email/confirm/"


async def request_email_change(user_id: int, new_email: str, now: dt.datetime | None = None) -> str:
    """Sends the link to `new_email` (already validated); an earlier request still waiting is replaced.
    Returns the link's path (it also goes out by email, which is the only way the person learns it)."""
    now = now or utc_now()
    async with write_transaction():
        if await User.exists().where((User.email == new_email) & (User.id != user_id)):
            raise Conflict("Another account already uses that email address.", code="email_taken")
        user = await User.select(User.name).where(User.id == user_id).first()
        await EmailChange.delete().where((EmailChange.user == user_id) & EmailChange.used_at.is_null())
        token = new_token()
        await EmailChange.insert(
            EmailChange(
                user=user_id,
                new_email=new_email,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        await enqueue_email(
            new_email,
            "email_change_confirm",
            {
                "name": user["name"],
                "path": CONFIRM_PATH + token,
                "new_email": new_email,
                "hours": int(LINK_LIFETIME.total_seconds() // 3600),
            },
        )
    return CONFIRM_PATH + token


async def pending_email_change(user_id: int, now: dt.datetime | None = None) -> dict | None:
    """The address waiting for its link to be opened, if any: shown on the person's account page."""
    return (
        await EmailChange.select(EmailChange.new_email, EmailChange.created_at, EmailChange.expires_at)
        .where(
            (EmailChange.user == user_id)
            & EmailChange.used_at.is_null()
            & (EmailChange.expires_at > (now or utc_now()))
        )
        .first()
    )


async def cancel_email_change(user_id: int) -> None:
    async with write_transaction():
        await EmailChange.delete().where((EmailChange.user == user_id) & EmailChange.used_at.is_null())


async def confirm_email_change(token: str, now: dt.datetime | None = None) -> dict:
    """Uses the link: the account's address becomes the new one, proven. Returns {"user", "email"}."""
    now = now or utc_now()
    if not token or len(token) > 200:
        raise LinkInvalid("This link is not valid. Change your address again from your account page.")
    async with write_transaction():
        used = (
            await EmailChange.update({EmailChange.used_at: now})
            .where(
                (EmailChange.token_hash == hash_token(token))
                & EmailChange.used_at.is_null()
                & (EmailChange.expires_at > now)
            )
            .returning(EmailChange.user, EmailChange.new_email)
        )
        if not used:
            raise LinkInvalid(
                "This link has expired, was already used, or was replaced by a newer one. "
                "Change your address again from your account page."
            )
        user_id, new_email = used[0]["user"], used[0]["new_email"]
        await lock_rows_for_update(User, User.id == user_id)
        user = await User.select(User.email, User.name, User.is_active).where(User.id == user_id).first()
        if user is None or not user["is_active"]:
            raise LinkInvalid("This account is not active.")
        if await User.exists().where((User.email == new_email) & (User.id != user_id)):
            # Someone took the address between the request and the link (an administrator, a coordinator).
            raise Conflict("Another account now uses that email address, so yours was not changed.", code="email_taken")
        await User.update({User.email: new_email, User.email_confirmed_at: now}).where(User.id == user_id)
        if user["email"] != new_email:
            await enqueue_email(user["email"], "email_changed", {"name": user["name"], "new_email": new_email})
    return {"user": user_id, "email": new_email}
