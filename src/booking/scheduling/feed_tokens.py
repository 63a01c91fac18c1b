"""Private calendar feeds: create, show, regenerate and revoke their secret addresses.

A feed's token is HMAC-SHA256(BOOKING_SECRET_KEY, nonce): the page can show the address again
(people add it on a second device), the database alone cannot produce it, and rotating the secret
key retires every address at once. Only SHA-256(token) is looked up.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from booking.accounts.actor import Actor
from booking.catalog.tables import Program, Room, Venue
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Forbidden, InvalidInput, NotFound
from booking.scheduling.tables import FEED_SCOPES, CalendarFeed
from booking.settings import current_settings

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
STAFF_SCOPES = ("venue", "room", "program")
MAX_STAFF_FEEDS = 50


def token_for(nonce: str) -> str:
    digest = hmac.new(
        current_settings().secret_key.encode(), f"calendar-feed:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    nonce = secrets.token_hex(16)
    return nonce, token_hash(token_for(nonce))


@dataclass(frozen=True)
class FeedLinks:
    """Every way to subscribe to one feed."""

    https: str
    webcal: str
    google: str
    outlook: str
    office365: str

    @classmethod
    def for_token(cls, token: str, name: str) -> FeedLinks:
        https = f"{current_settings().base_url}/calendar/{token}.ics"
        scheme, rest = https.split("://", 1)
        webcal = f"webcal://{rest}"
        encoded_name = quote(name, safe="")
        return cls(
            https=https,
            webcal=webcal,
            google=f"https://calendar.google.com/calendar/render?cid={quote(webcal, safe='')}",
            outlook=f"https://outlook.live.com/calendar/0/addfromweb?url={quote(https, safe='')}&name={encoded_name}",
            office365=f"https://outlook.office.com/calendar/0/addfromweb?url={quote(https, safe='')}&name={encoded_name}",
        )


def is_secure_base_url() -> bool:
    return urlsplit(current_settings().base_url).scheme == "https"


async def scope_name(scope: str, scope_id: int | None) -> str:
    """What the feed is called in people's calendar lists."""
    if scope == "person":
        return "SCOE professional learning"
    if scope == "venue":
        row = await Venue.select(Venue.name).where(Venue.id == scope_id).first()
        return f"SCOE: {row['name']}" if row else "SCOE venue"
    if scope == "room":
        row = await Room.select(Room.name, Room.venue.name.as_alias("venue_name")).where(Room.id == scope_id).first()
        return f"SCOE: {row['venue_name']}, {row['name']}" if row else "SCOE room"
    row = await Program.select(Program.title).where(Program.id == scope_id).first()
    return f"SCOE program: {row['title']}" if row else "SCOE program"


async def _require_scope_exists(scope: str, scope_id: int | None) -> None:
    table = {"venue": Venue, "room": Room, "program": Program}.get(scope)
    if table is None:
        return
    if scope_id is None or not await table.exists().where(table.id == scope_id):
        raise InvalidInput({"scope_id": f"Choose a {scope} from the list."})


def _check_scope(actor: Actor, scope: str) -> None:
    if scope not in FEED_SCOPES:
        raise InvalidInput({"scope": "Choose what the calendar shows: a venue, a room or a program."})
    if scope in STAFF_SCOPES and not actor.is_staff:
        raise Forbidden("Venue, room and program calendars are for SCOE staff.")


async def active_feed(owner_id: int, scope: str = "person", scope_id: int | None = None) -> dict | None:
    query = CalendarFeed.select().where(
        (CalendarFeed.owner == owner_id) & (CalendarFeed.scope == scope) & CalendarFeed.revoked_at.is_null()
    )
    query = query.where(CalendarFeed.scope_id.is_null() if scope_id is None else CalendarFeed.scope_id == scope_id)
    return await query.first()


async def create_feed(
    actor: Actor, scope: str = "person", scope_id: int | None = None, now: dt.datetime | None = None
) -> dict:
    """The actor's live feed for this scope, made if there is none (asking twice returns the same one)."""
    _check_scope(actor, scope)
    scope_id = None if scope == "person" else scope_id
    await _require_scope_exists(scope, scope_id)
    async with write_transaction():
        await lock_rows_for_update(CalendarFeed, CalendarFeed.owner == actor.id)
        existing = await active_feed(actor.id, scope, scope_id)
        if existing is not None:
            return existing
        if scope in STAFF_SCOPES:
            count = await CalendarFeed.count().where(
                (CalendarFeed.owner == actor.id) & CalendarFeed.revoked_at.is_null()
            )
            if count >= MAX_STAFF_FEEDS:
                raise InvalidInput(
                    {"scope": f"You already have {MAX_STAFF_FEEDS} calendars; revoke one you no longer use."}
                )
        nonce, hashed = _new_secret()
        rows = await CalendarFeed.insert(
            CalendarFeed(
                owner=actor.id,
                scope=scope,
                scope_id=scope_id,
                nonce=nonce,
                token_hash=hashed,
                created_at=now or utc_now(),
            )
        ).returning(*CalendarFeed.all_columns())
    return rows[0]


async def _own_live_feed(actor: Actor, feed_id: int) -> dict:
    await lock_rows_for_update(CalendarFeed, CalendarFeed.id == feed_id)
    feed = (
        await CalendarFeed.select()
        .where((CalendarFeed.id == feed_id) & (CalendarFeed.owner == actor.id) & CalendarFeed.revoked_at.is_null())
        .first()
    )
    if feed is None:
        raise NotFound("No such calendar feed.")
    return feed


async def regenerate_feed(actor: Actor, feed_id: int) -> dict:
    """A new address for the same feed; the old one stops working at once."""
    async with write_transaction():
        await _own_live_feed(actor, feed_id)
        nonce, hashed = _new_secret()
        await CalendarFeed.update({CalendarFeed.nonce: nonce, CalendarFeed.token_hash: hashed}).where(
            CalendarFeed.id == feed_id
        )
    return await CalendarFeed.select().where(CalendarFeed.id == feed_id).first()


async def revoke_feed(actor: Actor, feed_id: int, now: dt.datetime | None = None) -> None:
    async with write_transaction():
        await _own_live_feed(actor, feed_id)
        await CalendarFeed.update({CalendarFeed.revoked_at: now or utc_now()}).where(CalendarFeed.id == feed_id)


async def feeds_of(actor: Actor) -> list[dict]:
    """The actor's live feeds, each with its name and subscription links."""
    rows = (
        await CalendarFeed.select()
        .where((CalendarFeed.owner == actor.id) & CalendarFeed.revoked_at.is_null())
        .order_by(CalendarFeed.id)
    )
    for row in rows:
        row["name"] = await scope_name(row["scope"], row["scope_id"])
        row["links"] = FeedLinks.for_token(token_for(row["nonce"]), row["name"])
    return rows


async def feed_for_token(token: str) -> dict:
    """The live feed behind a token, with its owner; NotFound (and nothing more) otherwise."""
    if not TOKEN_PATTERN.match(token or ""):
        raise NotFound("No such calendar.")
    feed = (
        await CalendarFeed.select(
            *CalendarFeed.all_columns(),
            CalendarFeed.owner.role.as_alias("owner_role"),
            CalendarFeed.owner.is_active.as_alias("owner_active"),
            CalendarFeed.owner.name.as_alias("owner_name"),
        )
        .where((CalendarFeed.token_hash == token_hash(token)) & CalendarFeed.revoked_at.is_null())
        .first()
    )
    # The token must still be the one the current secret key derives (a rotated key retires it).
    if feed is None or not feed["owner_active"] or not hmac.compare_digest(token_for(feed["nonce"]), token):
        raise NotFound("No such calendar.")
    if feed["scope"] in STAFF_SCOPES and feed["owner_role"] not in ("staff", "admin"):
        raise NotFound("No such calendar.")
    return feed
