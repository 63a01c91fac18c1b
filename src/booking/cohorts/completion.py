"""Recording that a participant completed the program: a date, the hours counted, a verifiable code.

Refused when the required hours are not met, unless staff give a reason to record it anyway; the
reason is kept in the registration's history. The code is a certificate code like the workshops'
(scheduling.pd_hours), so the public page /certificates/{code} verifies the completion letter.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.catalog.validation import parse_local_date
from booking.clock import to_local, utc_now
from booking.cohorts.applications import settings_for
from booking.cohorts.makeups import locked_seat
from booking.cohorts.progress import (
    COMPLETION_EVENT,
    fieldwork_of,
    hours_text,
    makeups_of,
    marks_of,
    noon_pacific,
    tally,
)
from booking.cohorts.questions import STAFF_ONLY
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput
from booking.scheduling import history
from booking.scheduling.pd_hours import check_ids, new_certificate_code
from booking.scheduling.tables import Registration

MAX_REASON = 500


def parse_completion_date(value: dt.date | str | None) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput({"completed_on": "Give the completion date, like 2027-06-05."})
    if isinstance(value, dt.date):
        return value
    if not (value or "").strip():
        raise InvalidInput({"completed_on": "Give the date the participant completed the program."})
    try:
        return parse_local_date(value, "completed_on")
    except InvalidInput:
        raise InvalidInput({"completed_on": "Enter the completion date as a date, like 2027-06-05."}) from None


class HoursShort(Conflict):
    """The required hours are not met and no reason to record completion anyway was given."""

    code = "hours_short"

    def __init__(self, message: str, missing_tenths: int):
        super().__init__(message, code="hours_short")
        self.missing_tenths = missing_tenths


async def record_completion(
    actor: Actor,
    registration_id: int,
    completed_on: dt.date | str | None,
    override_reason: str = "",
    *,
    cohort_id: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Record the completion; returns the verification code."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(registration_id, cohort_id)
    now = now or utc_now()
    reason = " ".join((override_reason or "").split())
    if len(reason) > MAX_REASON:
        raise InvalidInput({"override_reason": f"Keep the reason under {MAX_REASON} characters."})
    day = parse_completion_date(completed_on)
    async with write_transaction():
        registration, cohort = await locked_seat(registration_id, cohort_id)
        current = await Registration.select(Registration.completed_at).where(Registration.id == registration_id).first()
        if current["completed_at"] is not None:
            raise Conflict(
                f"Completion is already recorded for {registration['name']}, on "
                f"{to_local(current['completed_at']):%B %-d, %Y}.",
                code="already_completed",
            )
        sessions = await sessions_of([cohort["id"]])
        if not sessions:
            raise Conflict("This cohort has no sessions, so nobody can have completed it.", code="no_sessions")
        today, first_day = to_local(now).date(), to_local(sessions[0]["starts_at"]).date()
        if day > today:
            raise InvalidInput(
                {"completed_on": f"The completion date cannot be in the future (today is {today:%B %-d, %Y})."}
            )
        if day < first_day:
            raise InvalidInput(
                {"completed_on": f"The completion date cannot be before the first session, {first_day:%B %-d, %Y}."}
            )
        settings = await settings_for(cohort["id"])
        counted = tally(
            sessions,
            await marks_of(registration_id),
            await makeups_of([registration_id]),
            settings["required_hours_tenths"],
            await fieldwork_of([registration_id]),
        )
        note = (
            f"Completed on {day.isoformat()} with {hours_text(counted.counted_tenths)} "
            f"of {hours_text(counted.required_tenths)} hours"
        )
        if counted.fieldwork_tenths:
            note += f" ({hours_text(counted.fieldwork_tenths)} of them fieldwork and coaching)"

        if not counted.met:
            missing = counted.remaining_tenths
            if not reason:
                raise HoursShort(
                    f"{registration['name']} has {hours_text(counted.counted_tenths)} of the "
                    f"{hours_text(counted.required_tenths)} required hours: {hours_text(missing)} "
                    f"{'hour is' if missing == 10 else 'hours are'} missing. Assign make-up work, record fieldwork and "
                    "coaching hours, or give the reason to record completion anyway.",
                    missing,
                )
            note += f"; recorded short of {hours_text(missing)} hours because: {reason}"
        elif reason:
            note += f"; note: {reason}"
        code = new_certificate_code()
        await Registration.update(
            {
                Registration.completed_at: noon_pacific(day),
                Registration.pd_hours_awarded_tenths: counted.counted_tenths,
                Registration.certificate_code: code,
            }
        ).where(Registration.id == registration_id)
        await history.record(
            registration_id,
            COMPLETION_EVENT,
            from_status="confirmed",
            to_status="confirmed",
            actor_id=actor.id,
            note=note,
        )
    return code
