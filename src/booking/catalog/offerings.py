"""Staff create offerings (with their program and sessions); everyone reads them."""

from __future__ import annotations

from booking.accounts.actor import STAFF_ROLES, Actor
from booking.accounts.tables import User
from booking.catalog.rows import OfferingColumns, OfferingRow, SessionRow
from booking.catalog.tables import Offering, OfferingFacilitator, OfferingSession, Program, Room
from booking.catalog.validation import OfferingInput, check_offering, encode_audiences
from booking.clock import utc_now
from booking.db import fetch_sql, in_transaction, insert_many, is_postgres, write_transaction
from booking.errors import InvalidInput, NotFound

SESSION_COLUMNS = (
    OfferingSession.id,
    OfferingSession.offering,
    OfferingSession.starts_at,
    OfferingSession.ends_at,
    OfferingSession.room,
    OfferingSession.online_url,
    OfferingSession.location_note,
    OfferingSession.status,
    OfferingSession.sequence,
    OfferingSession.room.name.as_alias("room_name"),
    OfferingSession.room.venue.name.as_alias("venue_name"),
    OfferingSession.room.venue.address.as_alias("venue_address"),
)


STAFF_ONLY = "Only SCOE program staff manage the catalog."


async def _check_rooms(data: OfferingInput) -> None:
    room_ids = {s.room_id for s in data.sessions if s.room_id is not None}
    if room_ids:
        found = {r["id"] for r in await Room.select(Room.id).where(Room.id.is_in(list(room_ids)))}
        if missing := room_ids - found:
            raise InvalidInput({"sessions.room_id": f"No room with id {sorted(missing)[0]}."})


async def check_facilitator_people(user_ids: list[int]) -> list[int]:
    """Facilitators chosen among the platform's people must be active staff (or admins)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    found = await User.select(User.id).where(
        User.id.is_in(wanted) & User.role.is_in(sorted(STAFF_ROLES)) & (User.is_active == True)
    )
    if len(found) != len(wanted):
        raise InvalidInput({"facilitator_ids": "Choose facilitators from the list of SCOE staff."})
    return wanted


async def create_offering(actor: Actor, data: OfferingInput, override_reason: str | None = None) -> int:
    """Create an offering with its program, sessions and facilitators.

    Sessions are checked for double-booked rooms and facilitators and for rooms that are too
    small (catalog.conflicts): refused with ScheduleConflict unless `override_reason` is given."""
    from booking.catalog import conflicts

    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_offering(data)
    await _check_rooms(data)
    facilitator_ids = await check_facilitator_people(data.facilitator_ids)
    ordered = sorted(data.sessions, key=lambda s: s.starts_at)
    async with write_transaction():
        slots = [conflicts.Slot(s.starts_at, s.ends_at, s.room_id, session_id=-(i + 1)) for i, s in enumerate(ordered)]
        await conflicts.lock_resources({s.room_id for s in ordered if s.room_id is not None}, set(facilitator_ids))
        warnings = await conflicts.warnings_for(
            offering_id=0, capacity=values["capacity"], slots=slots, facilitator_ids=set(facilitator_ids)
        )
        reason = conflicts.settle(warnings, override_reason)
        program_id = data.program_id
        if program_id is None:
            program = Program(
                title=values["title"],
                description_md=values["description_md"],
                audiences=encode_audiences(data.audiences),
                subject=data.subject.strip(),
                grade_band=data.grade_band,
            )
            await program.save()
            program_id = program.id
        elif not await Program.exists().where(Program.id == program_id):
            raise InvalidInput({"program_id": "No such program."})
        offering = Offering(program=program_id, **values)
        await offering.save()
        new_ids: dict[int | None, int] = {}
        if ordered:
            stored = await insert_many(
                OfferingSession,
                [
                    OfferingSession(
                        offering=offering.id,
                        starts_at=s.starts_at,
                        ends_at=s.ends_at,
                        room=s.room_id,
                        online_url=s.online_url.strip(),
                        location_note=s.location_note.strip(),
                    )
                    for s in ordered
                ],
                OfferingSession.id,
                OfferingSession.starts_at,
            )
            stored.sort(key=lambda row: (row["starts_at"], row["id"]))
            new_ids = {-(i + 1): row["id"] for i, row in enumerate(stored)}
        if facilitator_ids:
            await OfferingFacilitator.insert(
                *[OfferingFacilitator(offering=offering.id, user=u) for u in facilitator_ids]
            )
        await conflicts.record_overrides(actor, warnings, reason, new_ids)
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


async def get_offering(actor: Actor | None, offering_id: int) -> OfferingRow:
    row = await Offering.select(*OFFERING_COLUMNS).where((Offering.id == offering_id) & _visible_to(actor)).first()
    if row is None:
        raise NotFound("No such workshop.")
    row["sessions"] = await sessions_of([offering_id])
    return row


# SESSION_COLUMNS in SQL: every registration reads its offering's sessions, and the query builder cost
# several times the query (benchmarks/query_cost.py). tests/test_hot_path_sql.py keeps the two in step.
_SESSIONS_SQL = """
SELECT s.id AS id, s.offering AS offering, s.starts_at AS starts_at, s.ends_at AS ends_at, s.room AS room,
       s.online_url AS online_url, s.location_note AS location_note, s.status AS status, s.sequence AS sequence,
       room.name AS room_name, venue.name AS venue_name, venue.address AS venue_address
FROM offering_session s
LEFT JOIN room ON room.id = s.room
LEFT JOIN venue ON venue.id = room.venue
WHERE s.offering IN ({offerings}){scheduled}
ORDER BY s.starts_at, s.id
"""
_SESSIONS_PER_QUERY = 500  # well under both drivers' parameter limits


async def sessions_of(offering_ids: list[int], include_cancelled: bool = False) -> list[SessionRow]:
    """The offerings' sessions (scheduled ones only, unless `include_cancelled`), in time order."""
    ids = list(dict.fromkeys(offering_ids))
    scheduled = "" if include_cancelled else " AND s.status = 'scheduled'"
    rows: list[SessionRow] = []
    for start in range(0, len(ids), _SESSIONS_PER_QUERY):
        part = ids[start : start + _SESSIONS_PER_QUERY]
        sql = _SESSIONS_SQL.format(offerings=", ".join("{}" for _ in part), scheduled=scheduled)
        rows.extend(await fetch_sql(sql, *part))
    if len(ids) > _SESSIONS_PER_QUERY:
        rows.sort(key=lambda row: (row["starts_at"], row["id"]))
    return rows


async def list_offerings(actor: Actor | None, *, kind: str | None = None, limit: int = 200) -> list[OfferingRow]:
    query = Offering.select(*OFFERING_COLUMNS).where(_visible_to(actor))
    if kind:
        query = query.where(Offering.kind == kind)
    rows = await query.order_by(Offering.id).limit(limit)
    sessions = await sessions_of([r["id"] for r in rows])
    by_offering: dict[int, list[SessionRow]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    for row in rows:
        row["sessions"] = by_offering.get(row["id"], [])
    return rows


def price_for_district(offering: OfferingColumns, district: dict | None) -> int:
    """Member districts pay the member rate; non-members (and people without a district) the other one."""
    nonmember = offering.get("nonmember_price_cents")
    if nonmember is None:
        return offering["price_cents"]
    if district is not None and district.get("is_member"):
        return offering["price_cents"]
    return nonmember


def touch(offering_id: int):
    return Offering.update({Offering.updated_at: utc_now()}).where(Offering.id == offering_id)


async def lock_offering(offering_id: int) -> dict:
    """Lock the offering row (PostgreSQL) inside the open write transaction and return it."""
    if not in_transaction():
        raise RuntimeError("lock_offering() must run inside write_transaction()")
    # SELECT ... FOR UPDATE reads the row it locks (one query); SQLite's BEGIN IMMEDIATE already holds the database.
    rows = await fetch_sql(_LOCK_OFFERING_SQL[is_postgres()], offering_id)
    if not rows:
        raise NotFound("No such workshop.")
    return rows[0]


# Written out: it runs under the lock of every registration (see _SESSIONS_SQL).
_LOCK_OFFERING_SQL = {
    True: "SELECT * FROM offering WHERE id = {} FOR UPDATE",
    False: "SELECT * FROM offering WHERE id = {}",
}
