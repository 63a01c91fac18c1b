"""Staff create offerings (with their program and sessions); everyone reads them."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering, OfferingSession, Program, Room
from booking.catalog.validation import OfferingInput, check_offering, encode_audiences
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Forbidden, InvalidInput, NotFound

SESSION_COLUMNS = (
    OfferingSession.id, OfferingSession.offering, OfferingSession.starts_at, OfferingSession.ends_at,
    OfferingSession.room, OfferingSession.online_url, OfferingSession.location_note, OfferingSession.status,
    OfferingSession.sequence,
    OfferingSession.room.name.as_alias("room_name"), OfferingSession.room.venue.name.as_alias("venue_name"),
    OfferingSession.room.venue.address.as_alias("venue_address"),
)


def require_staff(actor: Actor | None) -> None:
    if actor is None or not actor.is_staff:
        raise Forbidden("Only SCOE program staff manage the catalog.")


async def _check_rooms(data: OfferingInput) -> None:
    room_ids = {s.room_id for s in data.sessions if s.room_id is not None}
    if room_ids:
        found = {r["id"] for r in await Room.select(Room.id).where(Room.id.is_in(list(room_ids)))}
        if missing := room_ids - found:
            raise InvalidInput({"sessions.room_id": f"No room with id {sorted(missing)[0]}."})


async def create_offering(actor: Actor, data: OfferingInput) -> int:
    require_staff(actor)
    values = check_offering(data)
    await _check_rooms(data)
    async with write_transaction():
        program_id = data.program_id
        if program_id is None:
            program = Program(
                title=values["title"], description_md=values["description_md"],
                audiences=encode_audiences(data.audiences), subject=data.subject.strip(), grade_band=data.grade_band,
            )
            await program.save()
            program_id = program.id
        elif not await Program.exists().where(Program.id == program_id):
            raise InvalidInput({"program_id": "No such program."})
        offering = Offering(program=program_id, **values)
        await offering.save()
        if data.sessions:
            await OfferingSession.insert(*[
                OfferingSession(offering=offering.id, starts_at=s.starts_at, ends_at=s.ends_at, room=s.room_id,
                                online_url=s.online_url.strip(), location_note=s.location_note.strip())
                for s in sorted(data.sessions, key=lambda s: s.starts_at)
            ])
    return offering.id


def _visible_to(actor: Actor | None):
    """Drafts are for staff; everyone else sees what was published (and its later fate)."""
    if actor is not None and actor.is_staff:
        return Offering.id.is_not_null()
    return Offering.status.is_in(["published", "cancelled", "completed"])


OFFERING_COLUMNS = (
    Offering.all_columns(),
    Offering.program.audiences.as_alias("audiences"),
    Offering.program.subject.as_alias("subject"),
    Offering.program.grade_band.as_alias("grade_band"),
)


async def get_offering(actor: Actor | None, offering_id: int) -> dict:
    row = await Offering.select(*OFFERING_COLUMNS).where((Offering.id == offering_id) & _visible_to(actor)).first()
    if row is None:
        raise NotFound("No such workshop.")
    row["sessions"] = await sessions_of([offering_id])
    return row


async def sessions_of(offering_ids: list[int], include_cancelled: bool = False) -> list[dict]:
    if not offering_ids:
        return []
    query = OfferingSession.select(*SESSION_COLUMNS).where(OfferingSession.offering.is_in(offering_ids))
    if not include_cancelled:
        query = query.where(OfferingSession.status == "scheduled")
    return await query.order_by(OfferingSession.starts_at)


async def list_offerings(actor: Actor | None, *, kind: str | None = None, limit: int = 200) -> list[dict]:
    query = Offering.select(*OFFERING_COLUMNS).where(_visible_to(actor))
    if kind:
        query = query.where(Offering.kind == kind)
    rows = await query.order_by(Offering.id).limit(limit)
    sessions = await sessions_of([r["id"] for r in rows])
    by_offering: dict[int, list[dict]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    for row in rows:
        row["sessions"] = by_offering.get(row["id"], [])
    return rows


def price_for_district(offering: dict, district: dict | None) -> int:
    """Member districts pay the member rate; non-members (and people without a district) the other one."""
    nonmember = offering.get("nonmember_price_cents")
    if nonmember is None:
        return offering["price_cents"]
    if district is not None and district.get("is_member"):
        return offering["price_cents"]
    return nonmember


def touch(offering_id: int):
    return Offering.update({Offering.updated_at: utc_now()}).where(Offering.id == offering_id)
