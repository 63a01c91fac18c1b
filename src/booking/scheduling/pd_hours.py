"""PD hours: the offering's attendance rule, and awarding hours and certificates on completion.

The rule, decided here once:
* only sessions that are `scheduled` count (a cancelled session is nobody's absence);
* only `present` attends: `excused` records why someone was away, it earns no hours;
* "all_sessions": present at every scheduled session;
* "min_hours": the attended sessions' durations add up to at least `min_attendance_tenths`;
* either way, someone never present at all is never awarded (a rule of 0 hours included).

`complete_offering` (booking.workflows.complete_offering) marks the offering completed and (re)computes every registration: it is
idempotent, so staff run it again after correcting attendance; attendance marked on a
completed offering recomputes that one person at once. A certificate keeps its code as long
as it stays earned, so a certificate already printed stays verifiable.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import cast

from booking.catalog.offerings import sessions_of
from booking.clock import format_local
from booking.errors import Conflict, NotFound
from booking.scheduling import history
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import Attendance, Registration

SECONDS_PER_TENTH_HOUR = 360
# No 0/O, 1/I/L or U: a code read off a printed certificate is typed without guessing.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 5  # 30^20 ≈ 2^98 codes: unguessable, and short enough to type


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; a larger one in a URL is simply unknown


def check_ids(*ids: int | None) -> None:
    """404 for an id no row can have (PostgreSQL would refuse to compare it: a 500)."""
    for value in ids:
        if value is not None and not 0 < value <= MAX_ID:
            raise NotFound("Not found.")


def new_certificate_code() -> str:
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS)]
    return "-".join(groups)


@dataclass(frozen=True)
class RuleResult:
    met: bool
    sessions_present: int
    sessions_total: int
    attended_seconds: int

    @property
    def attended_tenths(self) -> int:
        return self.attended_seconds // SECONDS_PER_TENTH_HOUR


def session_seconds(session: dict) -> int:
    return int((session["ends_at"] - session["starts_at"]).total_seconds())


def evaluate(offering: dict, sessions: list[dict], marks: dict[int, str]) -> RuleResult:
    """Does attendance `marks` ({session id: status}) meet the offering's rule?"""
    scheduled = [s for s in sessions if s.get("status", "scheduled") == "scheduled"]
    present = [s for s in scheduled if marks.get(s["id"]) == "present"]
    seconds = sum(session_seconds(s) for s in present)
    if not present:
        met = False
    elif offering["attendance_rule"] == "min_hours":
        met = seconds >= (offering["min_attendance_tenths"] or 0) * SECONDS_PER_TENTH_HOUR
    elif offering["attendance_rule"] == "all_sessions":
        met = len(present) == len(scheduled)
    else:
        met = False  # an unknown rule awards nothing rather than everything
    return RuleResult(met=met, sessions_present=len(present), sessions_total=len(scheduled), attended_seconds=seconds)


def describe_rule(offering: dict) -> str:
    if offering["attendance_rule"] == "min_hours":
        hours = f"{(offering['min_attendance_tenths'] or 0) / 10:g}"
        return f"Present for at least {hours} hours of sessions"
    return "Present at every session"


async def marks_for_offering(offering_id: int) -> dict[int, dict[int, str]]:
    """{registration id: {session id: status}} for every attendance mark of the offering."""
    rows = (
        await Attendance.select(Attendance.registration, Attendance.session, Attendance.status)
        .where(Attendance.session.offering == offering_id)
        .order_by(Attendance.id)
    )
    marks: dict[int, dict[int, str]] = {}
    for row in rows:
        marks.setdefault(row["registration"], {})[row["session"]] = row["status"]
    return marks


def _award_values(registration: RegistrationRow, offering: dict, result: RuleResult | None, now: dt.datetime) -> dict:
    if registration["status"] == S.CONFIRMED and result is not None and result.met:
        return {
            "pd_hours_awarded_tenths": offering["pd_hours_tenths"],
            "completed_at": registration["completed_at"] or now,
            "certificate_code": registration["certificate_code"] or new_certificate_code(),
        }
    return {"pd_hours_awarded_tenths": None, "completed_at": None, "certificate_code": None}


async def _apply_award(
    registration: RegistrationRow, offering: dict, result: RuleResult | None, now: dt.datetime, actor_id: int | None
) -> bool:
    """Store the outcome for one registration; True when it holds an award afterwards."""
    if offering.get("kind") == "cohort":  # staff record a cohort's completion per participant (cohorts.completion)
        return registration["completed_at"] is not None
    values = _award_values(registration, offering, result, now)
    changed = any(registration[name] != value for name, value in values.items())
    if changed:
        await Registration.update(
            {
                Registration.pd_hours_awarded_tenths: values["pd_hours_awarded_tenths"],
                Registration.completed_at: values["completed_at"],
                Registration.certificate_code: values["certificate_code"],
            }
        ).where(Registration.id == registration["id"])
        was_awarded = registration["completed_at"] is not None
        now_awarded = values["completed_at"] is not None
        if now_awarded:
            note = f"{values['pd_hours_awarded_tenths'] / 10:g} PD hours"
            await history.record(
                registration["id"],
                "pd_hours_awarded",
                from_status=registration["status"],
                to_status=registration["status"],
                actor_id=actor_id,
                note=note,
            )
        elif was_awarded:
            await history.record(
                registration["id"],
                "pd_hours_withdrawn",
                from_status=registration["status"],
                to_status=registration["status"],
                actor_id=actor_id,
                note="The attendance rule is no longer met.",
            )
    return values["completed_at"] is not None


async def recompute_registration(offering: dict, registration_id: int, now: dt.datetime, actor_id: int | None) -> bool:
    """Inside the offering's locked transaction: recompute one person's award."""
    registration = cast(RegistrationRow, await Registration.select().where(Registration.id == registration_id).first())
    sessions = await sessions_of([offering["id"]])
    marks = (await marks_for_offering(offering["id"])).get(registration_id, {})
    return await _apply_award(registration, offering, evaluate(offering, sessions, marks), now, actor_id)


@dataclass(frozen=True)
class CompletionSummary:
    awarded: int
    not_awarded: int  # confirmed, but the attendance rule is not met
    waitlist_closed: int = 0  # people who were still waiting, told the list is closed


class AttendanceUnmarked(Conflict):
    """Completing would judge people on attendance nobody took: staff confirm first, seeing who it is."""

    code = "attendance_unmarked"

    def __init__(self, unmarked: list[dict]):
        self.unmarked = unmarked  # {"name", "sessions": [local time texts]} per person
        names = ", ".join(person["name"] for person in unmarked)
        super().__init__(
            f"Attendance is not marked for {len(unmarked)} "
            f"{'person' if len(unmarked) == 1 else 'people'}: {names}. "
            "Mark it first, or confirm that you complete the workshop anyway (they are not awarded PD hours "
            "for the sessions not marked).",
            code=self.code,
        )


WAITLIST_CLOSED_REASON = "The workshop took place; its waiting list is closed."


async def unmarked_attendance(offering_id: int, sessions: list[dict], now: dt.datetime) -> list[dict]:
    """Confirmed people with a session that has started but has no attendance mark for them, in name order."""
    started = [session for session in sessions if session["starts_at"] <= now]
    if not started:
        return []
    people = await Registration.select(Registration.id, Registration.attendee.name.as_alias("name")).where(
        (Registration.offering == offering_id) & (Registration.status == S.CONFIRMED.value)
    )
    marks = await marks_for_offering(offering_id)
    unmarked = []
    for person in people:
        missing = [format_local(s["starts_at"]) for s in started if s["id"] not in marks.get(person["id"], {})]
        if missing:
            unmarked.append({"registration": person["id"], "name": person["name"], "sessions": missing})
    return sorted(unmarked, key=lambda person: (person["name"], person["registration"]))
