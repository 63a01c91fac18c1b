"""A participant's year in a cohort: attendance, make-up work, hours toward the requirement, tuition.

Hours are integers in tenths of an hour (7.5 hours = 75), never floats. The rule, decided here once:
* a session's hours are its length (only scheduled sessions: a cancelled one is nobody's absence);
* a session counts in full when the participant was present;
* a missed session (absent or excused) counts only through make-up work staff have verified as done,
  never more than the session's own length; an excused absence without make-up work adds nothing;
* make-up work stops counting if the session's mark is corrected to present (it would count twice);
* fieldwork, coaching and mentoring hours staff record from the participant's signed log (FieldworkEntry)
  count in full, on top of the sessions: programs require more hours than their sessions last.

The participant sees their own progress; staff see everyone's. Anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.offerings import sessions_of
from booking.catalog.tables import Program
from booking.clock import LOCAL_TZ, to_local, utc_now
from booking.cohorts.applications import get_application, settings_for
from booking.cohorts.instalments import instalments_of
from booking.cohorts.questions import STAFF_ONLY
from booking.cohorts.review import cohort_row
from booking.cohorts.tables import CohortApplication, FieldworkEntry, MakeupAssignment
from booking.errors import NotFound
from booking.scheduling.attendance import session_label
from booking.scheduling.pd_hours import SECONDS_PER_TENTH_HOUR, check_ids
from booking.scheduling.tables import Attendance, Registration, RegistrationEvent
from booking.scheduling.transcript import verification_url

MISSED = ("absent", "excused")
MARK_WORDS = {"present": "Attended", "absent": "Missed", "excused": "Excused", None: "Not marked yet"}
INSTALMENT_STATUS_WORDS = {"owed": "Owed", "invoiced": "Invoiced", "paid": "Paid", "cancelled": "Cancelled"}
COMPLETION_EVENT = "cohort_completed"


def hours_text(tenths: int) -> str:
    """75 -> "7.5", 1200 -> "120": integer arithmetic only."""
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}" if tenths % 10 == 0 else f"{sign}{tenths // 10}.{tenths % 10}"


def hours_phrase(tenths: int) -> str:
    return f"{hours_text(tenths)} {'hour' if tenths == 10 else 'hours'}"


def session_tenths(session: dict) -> int:
    return int((session["ends_at"] - session["starts_at"]).total_seconds()) // SECONDS_PER_TENTH_HOUR


def local_day(moment: dt.datetime) -> dt.date:
    return to_local(moment).date()


def day_text(day: dt.date | None) -> str:
    return f"{day:%B %-d, %Y}" if day else ""


def noon_pacific(day: dt.date) -> dt.datetime:
    """A completion date is stored as noon in Sacramento, so it reads back as the same date everywhere."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class Tally:
    """Hours toward the requirement, in tenths."""

    scheduled_tenths: int
    attended_tenths: int
    makeup_tenths: int
    required_tenths: int
    fieldwork_tenths: int = 0  # fieldwork, coaching, mentoring: hours outside the sessions

    @property
    def in_sessions_tenths(self) -> int:
        """Hours earned through the sessions: attended, or made up."""
        return self.attended_tenths + self.makeup_tenths

    @property
    def counted_tenths(self) -> int:
        return self.attended_tenths + self.makeup_tenths + self.fieldwork_tenths

    @property
    def remaining_tenths(self) -> int:
        return max(0, self.required_tenths - self.counted_tenths)

    @property
    def met(self) -> bool:
        return self.counted_tenths >= self.required_tenths

    @property
    def percent(self) -> int:
        if self.required_tenths <= 0:
            return 100
        return min(100, self.counted_tenths * 100 // self.required_tenths)


def makeup_counts(makeup: dict, marks: dict[int, str], lengths: dict[int, int]) -> bool:
    return (
        makeup["completed_at"] is not None and makeup["session"] in lengths and marks.get(makeup["session"]) in MISSED
    )


def tally(
    sessions: list[dict],
    marks: dict[int, str],
    makeups: list[dict],
    required_tenths: int,
    fieldwork: list[dict] | tuple[dict, ...] = (),
) -> Tally:
    """`marks`: {session id: present | absent | excused}; `makeups`: the registration's make-up assignments;
    `fieldwork`: its fieldwork entries (each counts its `hours_tenths` in full)."""
    lengths = {s["id"]: session_tenths(s) for s in sessions}
    attended = sum(length for session_id, length in lengths.items() if marks.get(session_id) == "present")
    made_up: dict[int, int] = {}
    for makeup in makeups:
        if makeup_counts(makeup, marks, lengths):
            made_up[makeup["session"]] = made_up.get(makeup["session"], 0) + makeup["hours_tenths"]
    makeup_total = sum(min(tenths, lengths[session_id]) for session_id, tenths in made_up.items())
    return Tally(
        scheduled_tenths=sum(lengths.values()),
        attended_tenths=attended,
        makeup_tenths=makeup_total,
        required_tenths=max(0, required_tenths or 0),
        fieldwork_tenths=sum(max(0, entry["hours_tenths"]) for entry in fieldwork),
    )


async def marks_of(registration_id: int) -> dict[int, str]:
    rows = (
        await Attendance.select(Attendance.session, Attendance.status)
        .where(Attendance.registration == registration_id)
        .order_by(Attendance.id)
    )
    return {row["session"]: row["status"] for row in rows}


MAKEUP_COLUMNS = (
    *MakeupAssignment.all_columns(),
    MakeupAssignment.verified_by.name.as_alias("verified_by_name"),
)


async def makeups_of(registration_ids: list[int]) -> list[dict]:
    if not registration_ids:
        return []
    return (
        await MakeupAssignment.select(*MAKEUP_COLUMNS)
        .where(MakeupAssignment.registration.is_in(registration_ids))
        .order_by(MakeupAssignment.id)
    )


FIELDWORK_COLUMNS = (
    FieldworkEntry.id,
    FieldworkEntry.registration,
    FieldworkEntry.worked_on,
    FieldworkEntry.hours_tenths,
    FieldworkEntry.description,
    FieldworkEntry.recorded_by,
    FieldworkEntry.recorded_at,
    FieldworkEntry.recorded_by.name.as_alias("recorded_by_name"),
)


async def fieldwork_of(registration_ids: list[int]) -> list[dict]:
    """The registrations' fieldwork entries, oldest work first: one query for any number of people."""
    if not registration_ids:
        return []
    return (
        await FieldworkEntry.select(*FIELDWORK_COLUMNS)
        .where(FieldworkEntry.registration.is_in(registration_ids))
        .order_by(FieldworkEntry.worked_on, FieldworkEntry.id)
    )


def fieldwork_row(entry: dict) -> dict:
    return {
        **entry,
        "day_label": day_text(entry["worked_on"]),
        "hours_label": hours_phrase(entry["hours_tenths"]),
        "recorded_label": day_text(local_day(entry["recorded_at"])) if entry["recorded_at"] else "",
    }


def session_state(mark: str | None, makeups: list[dict], starts_at: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    """(a word for the mark, a css state) in the participant's language."""
    if mark is None:
        return ("Upcoming", "upcoming") if starts_at > now else ("Not marked yet", "unmarked")
    if mark == "present":
        return "Attended", "present"
    word = MARK_WORDS[mark]
    if makeups and all(m["completed_at"] is not None for m in makeups):
        return f"{word} — made up", "made-up"
    if makeups:
        return f"{word} — make-up assigned", "makeup"
    return word, mark


def makeup_row(makeup: dict, session: dict | None, counted: bool, today: dt.date) -> dict:
    done = makeup["completed_at"] is not None
    overdue = not done and makeup["due_on"] is not None and makeup["due_on"] < today
    return {
        **makeup,
        "session_label": session_label(session) if session else "A session no longer on the schedule",
        "due_label": day_text(makeup["due_on"]),
        "done": done,
        "overdue": overdue,
        "counted": counted,
        "done_label": day_text(local_day(makeup["completed_at"])) if done else "",
        "status_label": ("Done" if counted else "Done (not counted)") if done else ("Overdue" if overdue else "To do"),
    }


def build_rows(
    sessions: list[dict], marks: dict[int, str], makeups: list[dict], now: dt.datetime
) -> tuple[list[dict], list[dict]]:
    lengths = {s["id"]: session_tenths(s) for s in sessions}
    by_session: dict[int, list[dict]] = {}
    for makeup in makeups:
        by_session.setdefault(makeup["session"], []).append(makeup)
    today = to_local(now).date()
    rows = []
    for number, session in enumerate(sessions, start=1):
        mark = marks.get(session["id"])
        own = by_session.get(session["id"], []) if mark in MISSED else []
        word, state = session_state(mark, own, session["starts_at"], now)
        made_up = sum(m["hours_tenths"] for m in own if m["completed_at"] is not None)
        counted = lengths[session["id"]] if mark == "present" else min(made_up, lengths[session["id"]])
        rows.append(
            {
                **session,
                "number": number,
                "label": session_label(session),
                "day": local_day(session["starts_at"]),
                "length_tenths": lengths[session["id"]],
                "mark": mark,
                "mark_word": word,
                "state": state,
                "counted_tenths": counted,
                "missed": mark in MISSED,
                "makeups": own,
                "started": session["starts_at"] <= now,
            }
        )
    by_id = {s["id"]: s for s in sessions}
    makeup_rows = [makeup_row(m, by_id.get(m["session"]), makeup_counts(m, marks, lengths), today) for m in makeups]
    return rows, makeup_rows


async def _program_title(program_id: int) -> str:
    row = await Program.select(Program.title).where(Program.id == program_id).first()
    return row["title"] if row else ""


async def _tuition(application_id: int) -> dict:
    instalments = await instalments_of(application_id)
    district_ids = sorted({row["district"] for row in instalments if row["district"]})
    names = (
        {
            row["id"]: row["name"]
            for row in await District.select(District.id, District.name).where(District.id.is_in(district_ids))
        }
        if district_ids
        else {}
    )
    rows = []
    for row in instalments:
        if row["payer"] == "district":
            who = names.get(row["district"], "Your district")
            if row["po_number"]:
                who += f" (PO {row['po_number']})"
        else:
            who = "You"
        rows.append(
            {
                **row,
                "who_pays": who,
                "due_label": day_text(row["due_on"]),
                "status_label": INSTALMENT_STATUS_WORDS.get(row["status"], row["status"]),
            }
        )
    live = [row for row in rows if row["status"] != "cancelled"]
    return {
        "instalments": rows,
        "total_cents": sum(row["amount_cents"] for row in live),
        "paid_cents": sum(row["amount_cents"] for row in live if row["status"] == "paid"),
        "owed_cents": sum(row["amount_cents"] for row in live if row["status"] in ("owed", "invoiced")),
    }


async def completion_note(registration_id: int) -> dict | None:
    """The recorded completion's event: who recorded it and, when short of hours, why."""
    return (
        await RegistrationEvent.select(
            RegistrationEvent.note,
            RegistrationEvent.at,
            RegistrationEvent.actor.name.as_alias("actor_name"),
        )
        .where((RegistrationEvent.registration == registration_id) & (RegistrationEvent.kind == COMPLETION_EVENT))
        .order_by(RegistrationEvent.id, ascending=False)
        .first()
    )


@dataclass
class Progress:
    application: dict
    registration: dict
    cohort: dict
    program_title: str
    sessions: list[dict]
    makeups: list[dict]
    tally: Tally
    tuition: dict
    completed_on: dt.date | None
    verification_url: str | None
    letter_url: str | None
    completion_event: dict | None = None
    fieldwork: list[dict] = field(
        default_factory=list
    )  # fieldwork_row()s: day_label, hours_label, description, recorded_by_name

    @property
    def first_day(self) -> dt.date | None:
        return self.sessions[0]["day"] if self.sessions else None

    @property
    def last_day(self) -> dt.date | None:
        return self.sessions[-1]["day"] if self.sessions else None

    @property
    def dates_label(self) -> str:
        if not self.sessions:
            return ""
        return f"{day_text(self.first_day)} – {day_text(self.last_day)}"

    @property
    def completed_label(self) -> str:
        return day_text(self.completed_on)

    @property
    def instalments(self) -> list[dict]:
        return self.tuition["instalments"]

    @property
    def missed_sessions(self) -> list[dict]:
        return [row for row in self.sessions if row["missed"]]

    @property
    def absences(self) -> int:
        return sum(1 for row in self.sessions if row["mark"] == "absent")

    @property
    def excused(self) -> int:
        return sum(1 for row in self.sessions if row["mark"] == "excused")

    @property
    def open_makeups(self) -> list[dict]:
        return [m for m in self.makeups if not m["done"]]


async def _progress_for(application: dict, now: dt.datetime) -> Progress:
    registration = await Registration.select().where(Registration.id == application["registration"]).first()
    if registration is None:
        raise NotFound("No such participant.")
    cohort = await cohort_row(application["cohort"])
    settings = await settings_for(cohort["id"])
    sessions = await sessions_of([cohort["id"]])
    marks = await marks_of(registration["id"])
    makeups = await makeups_of([registration["id"]])
    fieldwork = await fieldwork_of([registration["id"]])
    rows, makeup_rows = build_rows(sessions, marks, makeups, now)
    completed = registration["completed_at"] is not None and registration["certificate_code"] is not None
    return Progress(
        application=application,
        registration=registration,
        cohort=cohort,
        program_title=await _program_title(cohort["program"]),
        sessions=rows,
        makeups=makeup_rows,
        tally=tally(sessions, marks, makeups, settings["required_hours_tenths"], fieldwork),
        tuition=await _tuition(application["id"]),
        completed_on=local_day(registration["completed_at"]) if completed else None,
        verification_url=verification_url(registration["certificate_code"]) if completed else None,
        letter_url=f"/my/applications/{application['id']}/completion-letter.pdf" if completed else None,
        completion_event=await completion_note(registration["id"]) if completed else None,
        fieldwork=[fieldwork_row(entry) for entry in fieldwork],
    )


async def participant_progress(
    actor: Actor, application: int | dict, now: dt.datetime | None = None
) -> Progress | None:
    """The participant's progress on an accepted application (theirs, or anyone's for staff).

    None while the application has no place in the cohort (not accepted); NotFound for someone else's.
    """
    application_id = application["id"] if isinstance(application, dict) else application
    check_ids(application_id)
    row = await get_application(actor, application_id)
    if row["status"] != "accepted" or row["registration"] is None:
        return None
    return await _progress_for(row, now or utc_now())


async def application_for_registration(cohort_id: int | None, registration_id: int) -> dict:
    """Staff: the accepted application behind a cohort seat (NotFound for anything else)."""
    check_ids(cohort_id, registration_id)
    query = CohortApplication.select(CohortApplication.id, CohortApplication.cohort).where(
        (CohortApplication.registration == registration_id) & (CohortApplication.status == "accepted")
    )
    if cohort_id is not None:
        query = query.where(CohortApplication.cohort == cohort_id)
    row = await query.first()
    if row is None:
        raise NotFound("No such participant in this cohort.")
    return row


async def staff_participant_progress(
    actor: Actor, cohort_id: int, registration_id: int, now: dt.datetime | None = None
) -> Progress:
    Actor.require(actor, "staff", STAFF_ONLY)
    row = await application_for_registration(cohort_id, registration_id)
    return await _progress_for(await get_application(actor, row["id"]), now or utc_now())


@dataclass
class CohortProgress:
    cohort: dict
    program_title: str
    sessions: list[dict]
    required_tenths: int
    participants: list[dict]

    @property
    def completed_count(self) -> int:
        return sum(1 for p in self.participants if p["completed_on"] is not None)

    @property
    def met_count(self) -> int:
        return sum(1 for p in self.participants if p["tally"].met)

    @property
    def scheduled_tenths(self) -> int:
        return sum(session_tenths(s) for s in self.sessions)


async def cohort_progress(actor: Actor, cohort_id: int, now: dt.datetime | None = None) -> CohortProgress:
    """Staff: every participant (accepted) with hours counted, absences, open make-ups and completion."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(cohort_id)
    now = now or utc_now()
    cohort = await cohort_row(cohort_id)
    settings = await settings_for(cohort_id)
    sessions = await sessions_of([cohort_id])
    people = await CohortApplication.select(
        CohortApplication.id,
        CohortApplication.registration,
        CohortApplication.applicant.name.as_alias("name"),
        CohortApplication.applicant.email.as_alias("email"),
        CohortApplication.applicant.district.name.as_alias("district_name"),
    ).where(
        (CohortApplication.cohort == cohort_id)
        & (CohortApplication.status == "accepted")
        & CohortApplication.registration.is_not_null()
    )
    registration_ids = [p["registration"] for p in people]
    registrations = (
        {
            r["id"]: r
            for r in await Registration.select(
                Registration.id,
                Registration.completed_at,
                Registration.certificate_code,
                Registration.pd_hours_awarded_tenths,
            ).where(Registration.id.is_in(registration_ids))
        }
        if registration_ids
        else {}
    )
    marks: dict[int, dict[int, str]] = {}
    if registration_ids:
        for row in (
            await Attendance.select(Attendance.registration, Attendance.session, Attendance.status)
            .where(Attendance.registration.is_in(registration_ids))
            .order_by(Attendance.id)
        ):
            marks.setdefault(row["registration"], {})[row["session"]] = row["status"]
    makeups: dict[int, list[dict]] = {}
    for makeup in await makeups_of(registration_ids):
        makeups.setdefault(makeup["registration"], []).append(makeup)
    fieldwork: dict[int, list[dict]] = {}
    for entry in await fieldwork_of(registration_ids):
        fieldwork.setdefault(entry["registration"], []).append(entry)
    today = to_local(now).date()
    participants = []
    for person in people:
        registration = registrations[person["registration"]]
        own_marks, own_makeups = marks.get(person["registration"], {}), makeups.get(person["registration"], [])
        statuses = list(own_marks.get(s["id"]) for s in sessions)
        open_makeups = [m for m in own_makeups if m["completed_at"] is None]
        completed = registration["completed_at"] is not None and registration["certificate_code"] is not None
        participants.append(
            {
                **person,
                "registration_id": person["registration"],
                "application_id": person["id"],
                "tally": tally(
                    sessions,
                    own_marks,
                    own_makeups,
                    settings["required_hours_tenths"],
                    fieldwork.get(person["registration"], []),
                ),
                "fieldwork_entries": len(fieldwork.get(person["registration"], [])),
                "absent": statuses.count("absent"),
                "excused": statuses.count("excused"),
                "open_makeups": len(open_makeups),
                "overdue_makeups": sum(1 for m in open_makeups if m["due_on"] is not None and m["due_on"] < today),
                "completed_on": local_day(registration["completed_at"]) if completed else None,
                "completed_label": day_text(local_day(registration["completed_at"])) if completed else "",
            }
        )
    participants.sort(key=lambda p: (p["name"].casefold(), p["registration_id"]))
    return CohortProgress(
        cohort=cohort,
        program_title=await _program_title(cohort["program"]),
        sessions=sessions,
        required_tenths=settings["required_hours_tenths"],
        participants=participants,
    )
