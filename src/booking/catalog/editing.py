"""Staff change offerings: details, capacity, publishing, copying to a new date, cancelling.

Every operation locks the offering row first (catalog.offerings.lock_offering), so it is
serialised with registrations and cancellations of the same offering on both engines: the
seats taken are counted under that lock, and capacity can never drop below them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog import conflicts
from booking.catalog.offerings import STAFF_ONLY, check_facilitator_people, lock_offering, sessions_of
from booking.catalog.sessions import facilitator_ids_of, people_to_tell
from booking.catalog.tables import Offering, OfferingFacilitator, OfferingSession, Program
from booking.catalog.validation import MAX_CAPACITY, OfferingInput, check_offering, encode_audiences, shift_local_days
from booking.clock import LOCAL_TZ, utc_now
from booking.db import insert_many, write_transaction
from booking.errors import Conflict, InvalidInput
from booking.scheduling.capacity import SeatCounts, seat_counts_for
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Registration, RegistrationEvent
from booking.scheduling.waitlist import promote_waitlist

EDITABLE_STATUSES = ("draft", "published", "completed")  # "cancelled" only through booking.workflows.cancel_offering


@dataclass(frozen=True)
class CapacityChange:
    old: int
    new: int
    promoted: int


def _check_capacity_value(capacity: object) -> int:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput({"capacity": f"Capacity must be a whole number from 1 to {MAX_CAPACITY:,}."})
    return capacity


def _refuse_below_taken(new_capacity: int, counts: SeatCounts) -> None:
    if new_capacity < counts.taken:
        held = f" and {counts.held} held for people finishing payment or approval" if counts.held else ""
        raise InvalidInput(
            {
                "capacity": (
                    f"Capacity cannot go below the {counts.taken} seats taken ({counts.confirmed} confirmed{held}). "
                    "Cancel registrations first if the room really shrank."
                )
            }
        )


async def _capacity_warnings(offering: dict, new_capacity: int, now: dt.datetime) -> list[conflicts.ScheduleWarning]:
    """Under the offering's lock: refuse below the seats taken; warn of rooms smaller than a rise."""
    if new_capacity == offering["capacity"]:
        return []
    counts = await seat_counts_for({**offering, "capacity": new_capacity}, now)
    _refuse_below_taken(new_capacity, counts)
    if new_capacity < offering["capacity"]:
        return []
    sessions = await sessions_of([offering["id"]])
    slots = [conflicts.Slot(s["starts_at"], s["ends_at"], s["room"], session_id=s["id"]) for s in sessions if s["room"]]
    return await conflicts.warnings_for(
        offering_id=offering["id"],
        capacity=new_capacity,
        slots=slots,
        facilitator_ids=set(),
        check_rooms=False,
        check_facilitators=False,
    )


async def _after_capacity_change(offering: dict, new_capacity: int, now: dt.datetime) -> CapacityChange:
    """Once the new capacity is stored: a rise gives the free seats to the waiting list at once."""
    promoted: list[int] = []
    if new_capacity > offering["capacity"]:
        promoted = await promote_waitlist({**offering, "capacity": new_capacity}, now)
        if offering["kind"] == "cohort":
            # A cohort's waiting list is of applications: they are accepted (and enrolled) in order.
            # Up a layer (cohorts sits above catalog): known and listed in pyproject's import-linter contract until
            # the capacity change moves to booking.workflows; inside the function because cohorts imports catalog.
            from booking.cohorts.review import fill_from_waitlist

            promoted += await fill_from_waitlist({**offering, "capacity": new_capacity}, now)
    return CapacityChange(offering["capacity"], new_capacity, len(promoted))


async def change_capacity(
    actor: Actor,
    offering_id: int,
    new_capacity: int,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> CapacityChange:
    """Never below the seats taken (confirmed + live holds); a rise promotes the waiting list at once."""
    Actor.require(actor, "staff", STAFF_ONLY)
    new_capacity = _check_capacity_value(new_capacity)
    now = now or utc_now()
    async with write_transaction():
        offering = await lock_offering(offering_id)
        if offering["status"] == "cancelled":
            raise Conflict("This workshop is cancelled; its capacity no longer matters.", code="offering_closed")
        warnings = await _capacity_warnings(offering, new_capacity, now)
        reason = conflicts.settle(warnings, override_reason)
        if new_capacity != offering["capacity"]:
            await Offering.update({Offering.capacity: new_capacity, Offering.updated_at: now}).where(
                Offering.id == offering_id
            )
        await conflicts.record_overrides(actor, warnings, reason)
        return await _after_capacity_change(offering, new_capacity, now)


async def _check_status_change(offering: dict, new_status: str, has_sessions: bool, now: dt.datetime) -> None:
    old = offering["status"]
    if new_status == old:
        return
    if old == "cancelled":
        raise Conflict(
            "A cancelled workshop cannot be reopened. Copy it to a new date instead.", code="offering_closed"
        )
    if new_status == "cancelled":
        raise InvalidInput(
            {"status": "Use “Cancel this workshop” so everyone registered is told and refunds are handled."}
        )
    if new_status not in EDITABLE_STATUSES:
        raise InvalidInput({"status": "Choose draft, published or completed."})
    if new_status == "published" and not has_sessions:
        raise InvalidInput({"status": "Add at least one session before publishing."})
    if new_status == "draft":
        people = await people_to_tell(offering["id"], now)
        if people:
            raise Conflict(
                f"{len(people)} {'person is' if len(people) == 1 else 'people are'} registered or waiting. "
                "A workshop with registrations cannot go back to draft; cancel it instead.",
                code="has_registrations",
            )


async def update_offering(
    actor: Actor,
    offering_id: int,
    data: OfferingInput,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> CapacityChange:
    """Save the offering's details (sessions are edited one by one, see catalog.sessions).

    Audiences, subject and grade band belong to the program, so they change for every run of it.
    A capacity change follows change_capacity's rules; newly added facilitators are checked for
    double-booking against this offering's sessions."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    if data.sessions:
        raise InvalidInput({"sessions": "Add and change sessions one at a time."})
    facilitator_ids = await check_facilitator_people(data.facilitator_ids)
    async with write_transaction():
        offering = await lock_offering(offering_id)
        if offering["status"] == "cancelled":
            raise Conflict(
                "This workshop is cancelled; it can no longer be edited. Copy it to a new date instead.",
                code="offering_closed",
            )
        sessions = await sessions_of([offering_id])
        values = check_offering(data, has_sessions=bool(sessions))
        if values["kind"] != offering["kind"]:
            raise InvalidInput({"kind": "The kind of an offering cannot change."})
        await _check_status_change(offering, values["status"], bool(sessions), now)
        before = await facilitator_ids_of(offering_id)
        added = set(facilitator_ids) - before
        await conflicts.lock_resources(set(), added)
        warnings: list[conflicts.ScheduleWarning] = []
        if added and sessions:
            slots = [conflicts.Slot(s["starts_at"], s["ends_at"], s["room"], session_id=s["id"]) for s in sessions]
            warnings += await conflicts.warnings_for(
                offering_id=offering_id,
                capacity=values["capacity"],
                slots=slots,
                facilitator_ids=added,
                check_rooms=False,
                check_room_size=False,
            )
        warnings += await _capacity_warnings(offering, values["capacity"], now)
        reason = conflicts.settle(warnings, override_reason)
        await Offering.update({**{getattr(Offering, k): v for k, v in values.items()}, Offering.updated_at: now}).where(
            Offering.id == offering_id
        )
        await Program.update(
            {
                Program.audiences: encode_audiences(data.audiences),
                Program.subject: data.subject.strip(),
                Program.grade_band: data.grade_band,
            }
        ).where(Program.id == offering["program"])
        if set(facilitator_ids) != before:
            await OfferingFacilitator.delete().where(OfferingFacilitator.offering == offering_id)
            if facilitator_ids:
                await OfferingFacilitator.insert(
                    *[OfferingFacilitator(offering=offering_id, user=u) for u in facilitator_ids]
                )
        await conflicts.record_overrides(actor, warnings, reason)
        return await _after_capacity_change(offering, values["capacity"], now)


async def set_status(actor: Actor, offering_id: int, status: str, now: dt.datetime | None = None) -> None:
    """Publish (draft → published) or unpublish (published → draft, only without registrations)."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    async with write_transaction():
        offering = await lock_offering(offering_id)
        sessions = await sessions_of([offering_id])
        await _check_status_change(offering, status, bool(sessions), now)
        await Offering.update({Offering.status: status, Offering.updated_at: now}).where(Offering.id == offering_id)


async def copy_offering(
    actor: Actor,
    offering_id: int,
    first_date: dt.date,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """A new draft run of the same program: same fields, sessions moved so the first falls on
    `first_date`, each keeping its Sacramento wall-clock time across daylight-saving changes."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    if not isinstance(first_date, dt.date):
        raise InvalidInput({"first_date": "Enter a date, like 2027-03-15."})
    async with write_transaction():
        source = await lock_offering(offering_id)
        sessions = await sessions_of([offering_id])
        if not sessions:
            raise InvalidInput({"first_date": "This workshop has no sessions to copy; add one first."})
        days = (first_date - sessions[0]["starts_at"].astimezone(LOCAL_TZ).date()).days
        shifted = [
            {**s, "starts_at": shift_local_days(s["starts_at"], days), "ends_at": shift_local_days(s["ends_at"], days)}
            for s in sessions
        ]
        facilitators = await facilitator_ids_of(offering_id)
        await conflicts.lock_resources({s["room"] for s in shifted if s["room"]}, facilitators)
        slots = [
            conflicts.Slot(s["starts_at"], s["ends_at"], s["room"], session_id=-(i + 1)) for i, s in enumerate(shifted)
        ]
        warnings = await conflicts.warnings_for(
            offering_id=0, capacity=source["capacity"], slots=slots, facilitator_ids=facilitators
        )
        reason = conflicts.settle(warnings, override_reason)
        copied = {key: value for key, value in source.items() if key not in ("id", "created_at", "updated_at")}
        for key in ("registration_opens_at", "registration_closes_at", "cancellation_deadline"):
            if copied[key] is not None:
                copied[key] = shift_local_days(copied[key], days)
        copied.update(status="draft", copied_from=offering_id, created_at=now, updated_at=now)
        rows = await Offering.insert(Offering(**copied)).returning(Offering.id)
        new_id = rows[0]["id"]
        stored = await insert_many(
            OfferingSession,
            [
                OfferingSession(
                    offering=new_id,
                    starts_at=s["starts_at"],
                    ends_at=s["ends_at"],
                    room=s["room"],
                    online_url=s["online_url"],
                    location_note=s["location_note"],
                )
                for s in shifted
            ],
            OfferingSession.id,
            OfferingSession.starts_at,
        )
        stored.sort(key=lambda row: (row["starts_at"], row["id"]))
        if facilitators:
            await OfferingFacilitator.insert(
                *[OfferingFacilitator(offering=new_id, user=u) for u in sorted(facilitators)]
            )
        await conflicts.record_overrides(actor, warnings, reason, {-(i + 1): row["id"] for i, row in enumerate(stored)})
    return new_id


async def refunds_due(offering_id: int) -> int:
    """Paid registrations of this offering marked for a refund when it was cancelled."""
    return await RegistrationEvent.count().where(
        (RegistrationEvent.kind == "refund_due") & (RegistrationEvent.registration.offering == offering_id)
    )


async def paid_registrations(offering_id: int) -> int:
    """Live registrations with money paid: each would need a refund if the workshop were cancelled."""
    return await Registration.count().where(
        (Registration.offering == offering_id)
        & (Registration.status != S.CANCELLED.value)
        & (Registration.amount_paid_cents > 0)
    )
