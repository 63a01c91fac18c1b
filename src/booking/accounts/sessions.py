"""Browser sessions kept server-side, so sign-out really ends them and every app server agrees."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import PERSON_COLUMNS_SQL, Actor
from booking.accounts.secrets_util import hash_token, new_token
from booking.accounts.tables import UserSession
from booking.clock import utc_now
from booking.db import fetch_sql, write_transaction

SESSION_LIFETIME = dt.timedelta(days=14)
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=5)

# Every page a signed-in person opens reads this; see PERSON_COLUMNS_SQL for why it is written out.
ACTOR_BY_SESSION_SQL = (
    f"SELECT session.id AS id, session.last_seen_at AS last_seen_at, {PERSON_COLUMNS_SQL} "
    'FROM user_session session JOIN app_user person ON person.id = session."user" '
    "WHERE session.token_hash = {} AND session.expires_at > {} LIMIT 1"
)


async def start_session(user_id: int, user_agent: str = "") -> str:
    """A brand-new session id at every sign-in (no fixation: an old id is never reused)."""
    token = new_token()
    now = utc_now()
    async with write_transaction():
        await UserSession.insert(
            UserSession(
                token_hash=hash_token(token),
                user=user_id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                last_seen_at=now,
                user_agent=user_agent[:300],
            )
        )
        await UserSession.delete().where((UserSession.user == user_id) & (UserSession.expires_at < now))
    return token


async def actor_for_session(token: str | None) -> Actor | None:
    if not token or len(token) > 200:
        return None
    now = utc_now()
    rows = await fetch_sql(ACTOR_BY_SESSION_SQL, hash_token(token), now)
    row = rows[0] if rows else None
    actor = Actor.from_joined(row) if row else None
    if actor is None:
        return None
    if now - row["last_seen_at"] > LAST_SEEN_RESOLUTION:
        async with write_transaction():  # queues with the other writers (SQLite: no busy-handler sleeps)
            await UserSession.update({UserSession.last_seen_at: now}).where(UserSession.id == row["id"])
    return actor


async def end_session(token: str | None) -> None:
    if token:
        async with write_transaction():
            await UserSession.delete().where(UserSession.token_hash == hash_token(token))


async def end_all_sessions(user_id: int) -> None:
    """After a password reset or deactivation, every signed-in browser is signed out."""
    async with write_transaction():
        await UserSession.delete().where(UserSession.user == user_id)


async def end_other_sessions(user_id: int, keep_token: str | None) -> None:
    """After a password change: every browser but the one that changed it is signed out."""
    kept = hash_token(keep_token) if keep_token else ""
    async with write_transaction():
        await UserSession.delete().where((UserSession.user == user_id) & (UserSession.token_hash != kept))
