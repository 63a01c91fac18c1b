"""Make-up work for a missed cohort session: staff assign it, check it is done, or remove it.

Only a session the participant missed (absent or excused) can be made up, for at most the session's
own length (all make-ups of one session together). Its hours count toward the program once staff
mark it done. Every write holds the cohort's lock, the same one attendance marks take, so a mark
corrected at the same moment cannot slip between the check and the write.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from booking.accounts.actor import Actor
from booking.catalog.tables import OfferingSession
from booking.clock import to_local, utc_now
from booking.cohorts.progress import MISSED, application_for_registration, hours_text, session_tenths
from booking.cohorts.questions import STAFF_ONLY
from booking.cohorts.tables import MakeupAssignment
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.fields import is_plain_number, parse_date, parse_decimal
from booking.scheduling import history
from booking.scheduling.attendance import session_label
from booking.scheduling.pd_hours import check_ids
from booking.scheduling.tables import Attendance, Registration
from booking.scheduling.waitlist import lock_offering

MAX_DESCRIPTION = 2000
LATEST_DUE = dt.timedelta(days=2 * 366)  # a due date years away is a typo


def parse_hours(value: str | int | None, field_name: str = "hours") -> int:
    """ "3", "1.5" -> tenths (30, 15); whole tenths only, more than 0."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise InvalidInput({field_name: "Enter the hours the make-up work is worth, like 3 or 1.5."})
    if not is_plain_number(text):
        raise InvalidInput({field_name: "Enter the hours as a number, like 3 or 1.5."})
    if Decimal(text) <= 0:
        raise InvalidInput({field_name: "Enter more than 0 hours."})
    hours = parse_decimal(
        text, field_name, minimum=0, maximum=1_000, places=1, message="That is more hours than any session lasts."
    )
    return int(hours * 10)


def parse_due(value: dt.date | str | None, field_name: str = "due_on") -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput({field_name: "Give the due date, like 2027-03-15."})
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip()
    if not text:
        raise InvalidInput({field_name: "Give the date the make-up work is due."})
    return parse_date(text, field_name, message="Enter the due date as a date, like 2027-03-15.")


async def locked_seat(registration_id: int, cohort_id: int | None) -> tuple[dict, dict]:
    """The confirmed cohort seat, locked (with its cohort), and its participant's name."""
    application = await application_for_registration(cohort_id, registration_id)
    cohort = await lock_offering(application["cohort"])
    registration = (
        await Registration.select(
            Registration.id,
            Registration.status,
            Registration.offering,
            Registration.attendee.name.as_alias("name"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    if registration is None or registration["offering"] != cohort["id"]:
        raise NotFound("No such participant in this cohort.")
    if registration["status"] != "confirmed":
        raise Conflict(f"{registration['name']} no longer has a place in this cohort.", code="not_confirmed")
    return registration, cohort


async def assign_makeup(
    actor: Actor,
    registration_id: int,
    session_id: int | None,
    description: str,
    hours: str | int | None,
    due_on: dt.date | str | None,
    *,
    cohort_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Assign make-up work for a session the participant missed; returns its id."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(registration_id, session_id, cohort_id)
    now = now or utc_now()
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = "Describe the make-up work, for example the reading and the reflection to write."
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description under {MAX_DESCRIPTION:,} characters."
    tenths = due = None
    try:
        tenths = parse_hours(hours)
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        due = parse_due(due_on)
    except InvalidInput as error:
        errors.update(error.field_errors)
    if session_id is None:
        errors["session"] = "Choose the missed session the work makes up for."
    async with write_transaction():
        registration, cohort = await locked_seat(registration_id, cohort_id)
        if session_id is not None:
            session = (
                await OfferingSession.select()
                .where(
                    (OfferingSession.id == session_id)
                    & (OfferingSession.offering == cohort["id"])
                    & (OfferingSession.status == "scheduled")
                )
                .first()
            )
            if session is None:
                errors["session"] = "Choose a session of this cohort."
            else:
                mark = (
                    await Attendance.select(Attendance.status)
                    .where((Attendance.session == session_id) & (Attendance.registration == registration_id))
                    .order_by(Attendance.id, ascending=False)
                    .first()
                )
                status = mark["status"] if mark else None
                label = session_label(session)
                if status == "present":
                    errors["session"] = (
                        f"{registration['name']} attended the session of {label}. "
                        "Make-up work is only for a session they missed."
                    )
                elif status not in MISSED:
                    errors["session"] = (
                        f"The session of {label} has no attendance mark for {registration['name']} yet. "
                        "Mark them absent or excused on the attendance sheet first."
                    )
                else:
                    length = session_tenths(session)
                    assigned = sum(
                        row["hours_tenths"]
                        for row in await MakeupAssignment.select(MakeupAssignment.hours_tenths).where(
                            (MakeupAssignment.registration == registration_id)
                            & (MakeupAssignment.session == session_id)
                        )
                    )
                    room = length - assigned
                    if tenths is not None and tenths > room:
                        if assigned:
                            errors["hours"] = (
                                f"At most {hours_text(max(room, 0))} hours: the session lasted "
                                f"{hours_text(length)} hours and {hours_text(assigned)} are already assigned."
                            )
                        else:
                            errors["hours"] = f"At most {hours_text(length)} hours, the length of the session."
                    session_day = to_local(session["starts_at"]).date()
                    if due is not None and due < session_day:
                        errors["due_on"] = f"The due date cannot be before the session ({session_day:%B %-d, %Y})."
                    elif due is not None and due > session_day + LATEST_DUE:
                        errors["due_on"] = "Give a due date within two years of the session."
        if errors:  # in the form's order: session, description, hours, due date
            raise InvalidInput(
                {key: errors[key] for key in ("session", "description", "hours", "due_on") if key in errors}
            )
        rows = await MakeupAssignment.insert(
            MakeupAssignment(
                registration=registration_id,
                session=session_id,
                description=description,
                hours_tenths=tenths,
                due_on=due,
                created_by=actor.id,
                created_at=now,
            )
        ).returning(MakeupAssignment.id)
        await history.record(
            registration_id,
            "makeup_assigned",
            actor_id=actor.id,
            note=f"{hours_text(tenths)} hours for the session of {label}, due {due.isoformat()}",
        )
    return rows[0]["id"]


async def _locked_makeup(makeup_id: int, registration_id: int | None, cohort_id: int | None) -> tuple[dict, dict]:
    check_ids(makeup_id, registration_id, cohort_id)
    row = (
        await MakeupAssignment.select(MakeupAssignment.id, MakeupAssignment.registration)
        .where(MakeupAssignment.id == makeup_id)
        .first()
    )
    if row is None or (registration_id is not None and row["registration"] != registration_id):
        raise NotFound("No such make-up assignment.")
    registration, _ = await locked_seat(row["registration"], cohort_id)
    makeup = await MakeupAssignment.select().where(MakeupAssignment.id == makeup_id).first()
    if makeup is None:  # removed while we waited for the lock
        raise NotFound("No such make-up assignment.")
    return makeup, registration


async def complete_makeup(
    actor: Actor,
    makeup_id: int,
    *,
    registration_id: int | None = None,
    cohort_id: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Staff checked the work: its hours count toward the program from now on."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    async with write_transaction():
        makeup, registration = await _locked_makeup(makeup_id, registration_id, cohort_id)
        if makeup["completed_at"] is not None:
            raise Conflict("This make-up work is already marked done.", code="makeup_done")
        mark = (
            await Attendance.select(Attendance.status)
            .where((Attendance.session == makeup["session"]) & (Attendance.registration == makeup["registration"]))
            .order_by(Attendance.id, ascending=False)
            .first()
        )
        if mark is None or mark["status"] not in MISSED:
            raise Conflict(
                f"{registration['name']} is no longer marked as missing that session, so make-up work "
                "for it would count twice. Remove this make-up instead.",
                code="session_not_missed",
            )
        await MakeupAssignment.update(
            {MakeupAssignment.completed_at: now, MakeupAssignment.verified_by: actor.id}
        ).where(MakeupAssignment.id == makeup_id)
        await history.record(
            makeup["registration"],
            "makeup_completed",
            actor_id=actor.id,
            note=f"{hours_text(makeup['hours_tenths'])} hours of make-up work done: {makeup['description'][:200]}",
        )


async def remove_makeup(
    actor: Actor, makeup_id: int, *, registration_id: int | None = None, cohort_id: int | None = None
) -> None:
    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        makeup, _ = await _locked_makeup(makeup_id, registration_id, cohort_id)
        await MakeupAssignment.delete().where(MakeupAssignment.id == makeup_id)
        state = "done" if makeup["completed_at"] is not None else "not done"
        await history.record(
            makeup["registration"],
            "makeup_removed",
            actor_id=actor.id,
            note=f"{hours_text(makeup['hours_tenths'])} hours ({state}): {makeup['description'][:200]}",
        )
