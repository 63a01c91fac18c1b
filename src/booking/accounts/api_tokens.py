"""API tokens for integrations: shown once, stored hashed, revocable."""

from __future__ import annotations

from booking.accounts.actor import PERSON_COLUMNS_SQL, Actor
from booking.accounts.secrets_util import hash_token, new_token
from booking.accounts.tables import ApiToken, User
from booking.clock import utc_now
from booking.db import fetch_sql, write_transaction
from booking.errors import InvalidInput, NotFound

TOKEN_PREFIX = "bk_"
MAX_ACTIVE_TOKENS = 20

# Every API request reads this; see PERSON_COLUMNS_SQL for why it is written out.
ACTOR_BY_TOKEN_SQL = (
    f"SELECT token.id AS id, token.last_used_at AS last_used_at, {PERSON_COLUMNS_SQL} "
    'FROM api_token token JOIN app_user person ON person.id = token."user" '
    "WHERE token.token_hash = {} AND token.revoked_at IS NULL LIMIT 1"
)


async def create_api_token(user_id: int, label: str = "") -> str:
    label = " ".join(label.split())
    if len(label) > 100:
        raise InvalidInput({"label": "Use at most 100 characters."})
    token = new_token(TOKEN_PREFIX)
    async with write_transaction():
        active = await ApiToken.count().where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
        if active >= MAX_ACTIVE_TOKENS:
            raise InvalidInput({"label": f"You already have {MAX_ACTIVE_TOKENS} tokens; revoke one first."})
        await ApiToken.insert(
            ApiToken(user=user_id, label=label or "API token", token_prefix=token[:10], token_hash=hash_token(token))
        )
    return token


async def list_api_tokens(actor: Actor) -> list[dict]:
    return (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.label,
            ApiToken.token_prefix,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.user == actor.id)
        .order_by(ApiToken.created_at, ascending=False)
    )


async def revoke_api_token(actor: Actor, token_id: int) -> None:
    async with write_transaction():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: utc_now()})
            .where((ApiToken.id == token_id) & (ApiToken.user == actor.id) & ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
        if not revoked:
            raise NotFound("No such active token on your account.")


async def revoke_all_api_tokens(user_id: int) -> int:
    """After a password change: an integration keeps no access the old password gave it."""
    async with write_transaction():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: utc_now()})
            .where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
        )
    return len(revoked)


async def actor_for_api_token(token: str) -> Actor | None:
    """The token's owner, or None for an unknown, revoked or deactivated one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    rows = await fetch_sql(ACTOR_BY_TOKEN_SQL, hash_token(token))
    row = rows[0] if rows else None
    actor = Actor.from_joined(row) if row else None
    if actor is None:
        return None
    now = utc_now()
    if row["last_used_at"] is None or (now - row["last_used_at"]).total_seconds() > 300:
        async with write_transaction():  # queues with the other writers (SQLite: no busy-handler sleeps)
            await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return actor


async def user_id_for_email(email: str) -> int:
    row = await User.select(User.id).where(User.email == email.strip().lower()).first()
    if row is None:
        raise NotFound(f"No account with the email {email!r}.")
    return row["id"]
