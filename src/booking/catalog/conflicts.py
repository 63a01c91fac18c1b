"""Scheduling checks: a room booked twice, a facilitator in two places, a room too small.

Each check yields a `ScheduleWarning` naming the other workshop. A use case refuses with
`ScheduleConflict` (a Conflict carrying the warnings) unless staff chose to schedule anyway
with a reason; that decision is then stored as a `ScheduleOverride` per warning and session.

The checks run inside the use case's write transaction after `lock_resources()`: on
PostgreSQL the rooms and facilitators involved are row-locked (FOR NO KEY UPDATE, which does
not block inserts that merely reference them), so two people booking the same room at the
same moment are serialised; SQLite's BEGIN IMMEDIATE already serialises every writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.tables import OfferingFacilitator, OfferingSession, Room, ScheduleOverride
from booking.clock import format_local
from booking.db import in_transaction, insert_many, is_postgres
from booking.errors import Conflict, InvalidInput

ROOM_DOUBLE_BOOKED = "room_double_booked"
FACILITATOR_DOUBLE_BOOKED = "facilitator_double_booked"
ROOM_TOO_SMALL = "room_too_small"
WARNING_LABELS = {
    ROOM_DOUBLE_BOOKED: "Room already booked",
    FACILITATOR_DOUBLE_BOOKED: "Facilitator already booked",
    ROOM_TOO_SMALL: "Room too small",
}
REASON_MAX = 500


@dataclass(frozen=True)
class ScheduleWarning:
    code: str
    detail: str
    session_id: int | None = None  # the session of ours it concerns; None: the one being created


class ScheduleConflict(Conflict):
    """Refused because of scheduling warnings; staff may retry with `override_reason`."""

    code = "schedule_conflict"
    title = "Scheduling conflict"

    def __init__(self, warnings: list[ScheduleWarning], reason_error: str | None = None):
        self.warnings = list(warnings)
        self.reason_error = reason_error
        details = " ".join(w.detail for w in self.warnings)
        super().__init__(
            f"This cannot be scheduled as it is. {details} "
            "To schedule it anyway, tick “Schedule anyway” and give a reason."
        )


@dataclass(frozen=True)
class Slot:
    """A time and place to check: one session, new or moved."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: int | None
    session_id: int | None = None  # an existing session (excluded from its own checks)


def _when(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    return f"{format_local(starts_at)} to {format_local(ends_at, '%-I:%M %p')}"


async def lock_resources(room_ids: set[int], user_ids: set[int]) -> None:
    """Serialise schedulers of the same rooms and facilitators (PostgreSQL; SQLite is already serial).

    Call inside write_transaction(), after locking the offering (the house's lock order:
    offering, then rooms by id, then people by id)."""
    if not in_transaction():
        raise RuntimeError("lock_resources() must run inside write_transaction()")
    if not is_postgres():
        return
    if room_ids:
        await Room.select(Room.id).where(Room.id.is_in(sorted(room_ids))).order_by(Room.id).lock_rows("NO KEY UPDATE")
    if user_ids:
        await User.select(User.id).where(User.id.is_in(sorted(user_ids))).order_by(User.id).lock_rows("NO KEY UPDATE")


async def rooms_by_id(room_ids: set[int]) -> dict[int, dict]:
    if not room_ids:
        return {}
    rows = await Room.select(Room.id, Room.name, Room.capacity, Room.venue.name.as_alias("venue_name")).where(
        Room.id.is_in(sorted(room_ids))
    )
    return {row["id"]: row for row in rows}


def room_label(room: dict) -> str:
    return f"{room['venue_name']}, {room['name']}"


async def _overlapping_in_room(slot: Slot) -> list[dict]:
    query = OfferingSession.select(
        OfferingSession.id,
        OfferingSession.starts_at,
        OfferingSession.ends_at,
        OfferingSession.offering,
        OfferingSession.offering.title.as_alias("title"),
    ).where(
        (OfferingSession.room == slot.room_id)
        & (OfferingSession.status == "scheduled")
        & (OfferingSession.offering.status != "cancelled")
        & (OfferingSession.starts_at < slot.ends_at)
        & (OfferingSession.ends_at > slot.starts_at)
    )
    if slot.session_id is not None and slot.session_id > 0:
        query = query.where(OfferingSession.id != slot.session_id)
    return await query.order_by(OfferingSession.starts_at)


async def _facilitator_sessions(user_ids: set[int], slots: list[Slot]) -> list[dict]:
    """Scheduled sessions of live offerings facilitated by any of `user_ids`, within the slots' span."""
    if not user_ids or not slots:
        return []
    links = await OfferingFacilitator.select(OfferingFacilitator.offering, OfferingFacilitator.user).where(
        OfferingFacilitator.user.is_in(sorted(user_ids))
    )
    people_by_offering: dict[int, set[int]] = {}
    for link in links:
        people_by_offering.setdefault(link["offering"], set()).add(link["user"])
    if not people_by_offering:
        return []
    sessions = (
        await OfferingSession.select(
            OfferingSession.id,
            OfferingSession.starts_at,
            OfferingSession.ends_at,
            OfferingSession.offering,
            OfferingSession.offering.title.as_alias("title"),
        )
        .where(
            OfferingSession.offering.is_in(sorted(people_by_offering))
            & (OfferingSession.status == "scheduled")
            & (OfferingSession.offering.status != "cancelled")
            & (OfferingSession.starts_at < max(s.ends_at for s in slots))
            & (OfferingSession.ends_at > min(s.starts_at for s in slots))
        )
        .order_by(OfferingSession.starts_at)
    )
    for session in sessions:
        session["people"] = people_by_offering[session["offering"]]
    return sessions


async def warnings_for(
    *,
    offering_id: int,
    capacity: int,
    slots: list[Slot],
    facilitator_ids: set[int],
    check_rooms: bool = True,
    check_facilitators: bool = True,
    check_room_size: bool = True,
) -> list[ScheduleWarning]:
    """Every warning for scheduling `slots` of one offering (capacity, facilitators as given).

    Several new slots of one operation (a copy creates them all at once) are also checked
    against each other for the room. A new slot's `session_id` is None or a negative index,
    replaced by the stored session's id when overrides are recorded.
    """
    warnings: list[ScheduleWarning] = []
    rooms = await rooms_by_id({s.room_id for s in slots if s.room_id is not None})
    for index, slot in enumerate(slots):
        if slot.room_id is None:
            continue
        room = rooms.get(slot.room_id)
        if room is None:
            raise InvalidInput({"room_id": "Choose a room from the list."})
        if check_rooms:
            for other in await _overlapping_in_room(slot):
                warnings.append(
                    ScheduleWarning(
                        ROOM_DOUBLE_BOOKED,
                        (
                            f"{room_label(room)} is already booked {_when(other['starts_at'], other['ends_at'])} "
                            f"for “{other['title']}” (workshop #{other['offering']})."
                        ),
                        slot.session_id,
                    )
                )
            for other_index, other in enumerate(slots):
                if (
                    other_index < index
                    and other.room_id == slot.room_id
                    and other.starts_at < slot.ends_at
                    and slot.starts_at < other.ends_at
                ):
                    warnings.append(
                        ScheduleWarning(
                            ROOM_DOUBLE_BOOKED,
                            (
                                f"{room_label(room)} would be booked twice by this workshop, "
                                f"{_when(other.starts_at, other.ends_at)} and {_when(slot.starts_at, slot.ends_at)}."
                            ),
                            slot.session_id,
                        )
                    )
        if check_room_size and room["capacity"] < capacity:
            warnings.append(
                ScheduleWarning(
                    ROOM_TOO_SMALL,
                    (
                        f"{room_label(room)} seats {room['capacity']}, fewer than this workshop's capacity of {capacity}."
                    ),
                    slot.session_id,
                )
            )
    if check_facilitators and facilitator_ids:
        names = {
            u["id"]: u["name"]
            for u in await User.select(User.id, User.name).where(User.id.is_in(sorted(facilitator_ids)))
        }
        busy = await _facilitator_sessions(facilitator_ids, slots)
        own_ids = {s.session_id for s in slots if s.session_id is not None and s.session_id > 0}
        for slot in slots:
            for other in busy:
                if other["id"] == slot.session_id or not (
                    other["starts_at"] < slot.ends_at and slot.starts_at < other["ends_at"]
                ):
                    continue
                if other["offering"] == offering_id and other["id"] in own_ids:
                    continue  # two of our own sessions being checked together: reported once by room checks
                for person in sorted(other["people"] & facilitator_ids):
                    warnings.append(
                        ScheduleWarning(
                            FACILITATOR_DOUBLE_BOOKED,
                            (
                                f"{names.get(person, 'A facilitator')} is already facilitating “{other['title']}” "
                                f"(workshop #{other['offering']}) {_when(other['starts_at'], other['ends_at'])}."
                            ),
                            slot.session_id,
                        )
                    )
    return warnings


def settle(warnings: list[ScheduleWarning], override_reason: str | None) -> str | None:
    """No warnings: go ahead. Warnings: refuse, unless staff gave a reason to schedule anyway.

    `override_reason` None means "Schedule anyway" was not ticked. Returns the cleaned reason."""
    if not warnings:
        return None
    if override_reason is None:
        raise ScheduleConflict(warnings)
    reason = " ".join(override_reason.split())
    if not reason:
        raise ScheduleConflict(warnings, reason_error="Say why it should be scheduled anyway; the reason is recorded.")
    if len(reason) > REASON_MAX:
        raise ScheduleConflict(warnings, reason_error=f"Use at most {REASON_MAX} characters for the reason.")
    return reason


async def record_overrides(
    actor: Actor,
    warnings: list[ScheduleWarning],
    reason: str | None,
    new_session_ids: dict[int | None, int] | None = None,
) -> None:
    """Store one ScheduleOverride per warning. `new_session_ids` maps a warning's session_id
    placeholder (None, or a negative index for several new sessions) to the created session."""
    if not warnings or reason is None:
        return
    rows = []
    for warning in warnings:
        session_id = warning.session_id
        if new_session_ids and session_id in new_session_ids:
            session_id = new_session_ids[session_id]
        if session_id is None or session_id < 0:
            raise RuntimeError("a schedule override must name a stored session")
        rows.append(
            ScheduleOverride(
                session=session_id,
                warning_code=warning.code,
                detail=warning.detail[:500],
                reason=reason,
                decided_by=actor.id,
            )
        )
    await insert_many(ScheduleOverride, rows)


def for_session(warnings: list[ScheduleWarning], session_id: int | None) -> list[ScheduleWarning]:
    return [replace(w, session_id=session_id) for w in warnings]


async def overrides_of(offering_id: int) -> list[dict]:
    """What staff scheduled despite a warning, newest first, for the offering's page."""
    return (
        await ScheduleOverride.select(
            ScheduleOverride.id,
            ScheduleOverride.warning_code,
            ScheduleOverride.detail,
            ScheduleOverride.reason,
            ScheduleOverride.decided_at,
            ScheduleOverride.session,
            ScheduleOverride.session.starts_at.as_alias("session_starts_at"),
            ScheduleOverride.decided_by.name.as_alias("decided_by_name"),
        )
        .where(ScheduleOverride.session.offering == offering_id)
        .order_by(ScheduleOverride.id, ascending=False)
    )
