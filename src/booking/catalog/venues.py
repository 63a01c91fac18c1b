"""Venues (a building or campus) and their rooms, each with the number of seats it holds."""

from __future__ import annotations

from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog.offerings import STAFF_ONLY
from booking.catalog.tables import OfferingSession, Room, Venue
from booking.db import contains_text, is_unique_violation, write_transaction
from booking.errors import InvalidInput, NotFound

ROOM_CAPACITY_MAX = 5_000


@dataclass
class VenueInput:
    name: str
    address: str = ""


@dataclass
class RoomInput:
    name: str
    capacity: str | int


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def check_venue(data: VenueInput) -> dict:
    errors = {}
    name, address = _clean(data.name), _clean(data.address)
    if not name:
        errors["name"] = "Give the venue a name, like “SCOE Mather campus”."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."
    if len(address) > 300:
        errors["address"] = "Use at most 300 characters."
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "address": address}


def check_room(data: RoomInput) -> dict:
    errors = {}
    name = _clean(data.name)
    if not name:
        errors["room_name"] = "Give the room a name, like “Room 101”."
    elif len(name) > 100:
        errors["room_name"] = "Use at most 100 characters."
    capacity = data.capacity
    if isinstance(capacity, str):
        digits = capacity.strip()
        capacity = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 7 else None
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= ROOM_CAPACITY_MAX:
        errors["room_capacity"] = f"Seats must be a whole number from 1 to {ROOM_CAPACITY_MAX:,}."
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "capacity": capacity}


async def list_venues(actor: Actor, text: str = "") -> list[dict]:
    Actor.require(actor, "staff", STAFF_ONLY)
    query = Venue.select().order_by(Venue.name)
    if text.strip():
        query = query.where(contains_text(Venue.name, text.strip()))
    venues = await query
    rooms = await Room.select().where(Room.venue.is_in([v["id"] for v in venues])).order_by(Room.name) if venues else []
    by_venue: dict[int, list[dict]] = {}
    for room in rooms:
        by_venue.setdefault(room["venue"], []).append(room)
    for venue in venues:
        venue["rooms"] = by_venue.get(venue["id"], [])
    return venues


async def get_venue(actor: Actor, venue_id: int) -> dict:
    Actor.require(actor, "staff", STAFF_ONLY)
    venue = await Venue.select().where(Venue.id == venue_id).first()
    if venue is None:
        raise NotFound("No such venue.")
    venue["rooms"] = await Room.select().where(Room.venue == venue_id).order_by(Room.name)
    in_use = (
        await OfferingSession.select(OfferingSession.room).where(
            OfferingSession.room.is_in([r["id"] for r in venue["rooms"]]) & (OfferingSession.status == "scheduled")
        )
        if venue["rooms"]
        else []
    )
    counts: dict[int, int] = {}
    for row in in_use:
        counts[row["room"]] = counts.get(row["room"], 0) + 1
    for room in venue["rooms"]:
        room["sessions"] = counts.get(room["id"], 0)
    return venue


async def room_choices() -> list[dict]:
    """Every room of an active venue, for session forms: id, label, venue and seats."""
    rows = (
        await Room.select(Room.id, Room.name, Room.capacity, Room.venue.name.as_alias("venue_name"))
        .where(Room.venue.is_active == True)
        .order_by(Room.venue.name)
        .order_by(Room.name)
    )
    return rows


async def create_venue(actor: Actor, data: VenueInput) -> int:
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_venue(data)
    taken = {"name": "A venue with that name exists already."}
    try:
        async with write_transaction():
            if await Venue.exists().where(Venue.name == values["name"]):
                raise InvalidInput(taken)
            rows = await Venue.insert(Venue(**values)).returning(Venue.id)
    except Exception as error:
        if not is_unique_violation(error):  # a concurrent insert of the same name: the unique index refused ours
            raise
        raise InvalidInput(taken) from None
    return rows[0]["id"]


async def update_venue(actor: Actor, venue_id: int, data: VenueInput, is_active: bool = True) -> None:
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_venue(data)
    taken = {"name": "A venue with that name exists already."}
    try:
        async with write_transaction():
            await get_venue(actor, venue_id)
            if await Venue.exists().where((Venue.name == values["name"]) & (Venue.id != venue_id)):
                raise InvalidInput(taken)
            await Venue.update(
                {Venue.name: values["name"], Venue.address: values["address"], Venue.is_active: is_active}
            ).where(Venue.id == venue_id)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        raise InvalidInput(taken) from None


async def add_room(actor: Actor, venue_id: int, data: RoomInput) -> int:
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_room(data)
    async with write_transaction():
        await get_venue(actor, venue_id)
        if await Room.exists().where((Room.venue == venue_id) & (Room.name == values["name"])):
            raise InvalidInput({"room_name": "This venue has a room of that name already."})
        rows = await Room.insert(Room(venue=venue_id, **values)).returning(Room.id)
    return rows[0]["id"]


async def update_room(actor: Actor, venue_id: int, room_id: int, data: RoomInput) -> None:
    """Rename a room or change its seats. Sessions already scheduled there are not re-checked."""
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_room(data)
    async with write_transaction():
        room = await Room.select().where((Room.id == room_id) & (Room.venue == venue_id)).first()
        if room is None:
            raise NotFound("No such room in this venue.")
        if await Room.exists().where((Room.venue == venue_id) & (Room.name == values["name"]) & (Room.id != room_id)):
            raise InvalidInput({"room_name": "This venue has a room of that name already."})
        await Room.update({Room.name: values["name"], Room.capacity: values["capacity"]}).where(Room.id == room_id)
