"""Fieldwork, coaching and mentoring hours: staff record them from the participant's signed log.

Tier I counts fieldwork, Tier II coaching, Induction mentoring, Intern pre-service hours: work done
outside the Saturday sessions that counts toward the program's required hours (cohorts.progress).
One entry is one day's work: 0.1 to 24 hours, at most one decimal, on a date not in the future and
not more than two years before the cohort's first session. Once completion is recorded the hours
are settled (the completion letter and PD hours state them), so entries can no longer be added or
removed. Every write holds the cohort's lock, the one completion takes, and is kept in the
registration's history.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.clock import to_local, utc_now
from booking.cohorts.instalments import add_months
from booking.cohorts.makeups import locked_seat, parse_hours
from booking.cohorts.progress import hours_text
from booking.cohorts.questions import STAFF_ONLY
from booking.cohorts.tables import FieldworkEntry
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.fields import parse_date
from booking.scheduling import history
from booking.scheduling.pd_hours import check_ids
from booking.scheduling.tables import Registration

MAX_DESCRIPTION = 300
MAX_TENTHS = 240  # 24 hours: one entry is one day's work
EARLIEST_MONTHS = 24  # before the cohort's first session
FIELDS = ("worked_on", "hours", "description")  # the form's order


def parse_fieldwork_hours(value: str | int | None) -> int:
    """ "2.5" -> 25 tenths; from 0.1 to 24, at most one decimal."""
    if not str(value if value is not None else "").strip():
        raise InvalidInput({"hours": "Enter the hours worked, like 2 or 1.5."})
    tenths = parse_hours(value, "hours")  # the make-up work's parser: a number, more than 0, one decimal at most
    if tenths > MAX_TENTHS:
        raise InvalidInput({"hours": "Enter at most 24 hours: record each day's work as its own entry."})
    return tenths


def parse_worked_on(value: dt.date | str | None) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput({"worked_on": "Give the date of the work, like 2027-03-15."})
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip()
    if not text:
        raise InvalidInput({"worked_on": "Give the date the work was done."})
    return parse_date(text, "worked_on", message="Enter the date as a date, like 2027-03-15.")


def clean_description(value: str | None) -> str:
    description = " ".join((value or "").split())
    if not description:
        raise InvalidInput({"description": "Say what was done, for example: mentoring meeting on lesson planning."})
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            {"description": f"Keep the description to {MAX_DESCRIPTION} characters (it has {len(description)})."}
        )
    return description


def _checked(errors: dict[str, str], parse, value):
    """parse(value), or None with its field's error added to `errors` (every field is checked at once)."""
    try:
        return parse(value)
    except InvalidInput as error:
        errors.update(error.field_errors)
        return None


async def _refuse_after_completion(registration_id: int, name: str) -> None:
    current = await Registration.select(Registration.completed_at).where(Registration.id == registration_id).first()
    if current and current["completed_at"] is not None:
        raise Conflict(
            f"Completion is already recorded for {name}, on {to_local(current['completed_at']):%B %-d, %Y}, "
            "with the hours counted then. Fieldwork hours can no longer be added or removed.",
            code="already_completed",
        )


async def record_fieldwork(
    actor: Actor,
    registration_id: int,
    worked_on: dt.date | str | None,
    hours: str | int | None,
    description: str | None,
    *,
    cohort_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record hours of fieldwork, coaching or mentoring for a participant; returns the entry's id."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(registration_id, cohort_id)
    now = now or utc_now()
    errors: dict[str, str] = {}
    day = _checked(errors, parse_worked_on, worked_on)
    tenths = _checked(errors, parse_fieldwork_hours, hours)
    text = _checked(errors, clean_description, description)
    async with write_transaction():
        registration, cohort = await locked_seat(registration_id, cohort_id)
        await _refuse_after_completion(registration_id, registration["name"])
        if day is not None:
            today = to_local(now).date()
            sessions = await sessions_of([cohort["id"]])
            start = to_local(sessions[0]["starts_at"]).date() if sessions else today
            earliest = add_months(start, -EARLIEST_MONTHS)
            if day > today:
                errors["worked_on"] = f"The date cannot be in the future (today is {today:%B %-d, %Y})."
            elif day < earliest:
                errors["worked_on"] = (
                    f"The date cannot be more than two years before the cohort's first session: "
                    f"{earliest:%B %-d, %Y} at the earliest."
                )
        if errors:
            raise InvalidInput({key: errors[key] for key in FIELDS if key in errors})
        rows = await FieldworkEntry.insert(
            FieldworkEntry(
                registration=registration_id,
                worked_on=day,
                hours_tenths=tenths,
                description=text,
                recorded_by=actor.id,
                recorded_at=now,
            )
        ).returning(FieldworkEntry.id)
        await history.record(
            registration_id,
            "fieldwork_recorded",
            actor_id=actor.id,
            note=f"{hours_text(tenths)} hours on {day.isoformat()}: {text}",
        )
    return rows[0]["id"]


async def remove_fieldwork(
    actor: Actor, entry_id: int, *, registration_id: int | None = None, cohort_id: int | None = None
) -> None:
    """Remove an entry recorded by mistake; refused once completion is recorded."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(entry_id, registration_id, cohort_id)
    async with write_transaction():
        row = await FieldworkEntry.select(FieldworkEntry.registration).where(FieldworkEntry.id == entry_id).first()
        if row is None or (registration_id is not None and row["registration"] != registration_id):
            raise NotFound("No such fieldwork entry.")
        registration, _ = await locked_seat(row["registration"], cohort_id)
        entry = await FieldworkEntry.select().where(FieldworkEntry.id == entry_id).first()
        if entry is None:  # removed while we waited for the lock
            raise NotFound("No such fieldwork entry.")
        await _refuse_after_completion(entry["registration"], registration["name"])
        await FieldworkEntry.delete().where(FieldworkEntry.id == entry_id)
        await history.record(
            entry["registration"],
            "fieldwork_removed",
            actor_id=actor.id,
            note=f"{hours_text(entry['hours_tenths'])} hours on {entry['worked_on'].isoformat()}: "
            f"{entry['description']}",
        )
