"""Demo cohorts for `make run`: a Tier I cohort taking applications and a Teacher Induction cohort under way.

Every state shows: Taylor Teacher's submitted Tier I application (Sacramento County, so reviewed
first), and Riley New-Teacher accepted into Induction months ago, with sessions attended, missed
and excused, make-up work done and still due, weekly mentoring hours logged toward the requirement,
and tuition billed to the district in two payments.
Idempotent: programs and cohorts are keyed by title, applications by cohort and applicant.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.conflicts import ScheduleConflict
from booking.catalog.offerings import create_offering, sessions_of
from booking.catalog.tables import Offering, Program, Room
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ, utc_now
from booking.cohorts import review
from booking.cohorts.applications import ApplicationInput, start_application, submit
from booking.cohorts.fieldwork import record_fieldwork
from booking.cohorts.instalments import add_months
from booking.cohorts.makeups import assign_makeup, complete_makeup
from booking.cohorts.questions import QuestionInput, add_question, answer_field, questions_for
from booking.cohorts.tables import CohortApplication, CohortSettings, FieldworkEntry
from booking.demo_calendar import open_day
from booking.scheduling.attendance import mark_attendance

TIER_I_PROGRAM = "Preliminary Administrative Services Credential (Tier I)"
TIER_I_COHORT = "Preliminary Administrative Services Credential (Tier I): Saturday Cohort"
INDUCTION_PROGRAM = "Teacher Induction"
INDUCTION_COHORT = "Teacher Induction: Two-Year Cohort"

TIER_I_QUESTIONS = [
    QuestionInput(
        "Which California credential do you hold?",
        "choice",
        "Multiple Subject\nSingle Subject\nEducation Specialist\nPupil Personnel Services\n"
        "Career Technical Education\nOther",
    ),
    QuestionInput("How many years of full-time experience in education do you have?", "number"),
    QuestionInput("What is your current position?", "text"),
    QuestionInput("Is your credential clear?", "yes_no"),
]
INDUCTION_QUESTIONS = [
    QuestionInput(
        "Which preliminary credential do you hold?", "choice", "Multiple Subject\nSingle Subject\nEducation Specialist"
    ),
    QuestionInput("At which school do you teach?", "text"),
]


def first_saturday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ)


def monthly_saturdays(start: dt.date, count: int, skip_months: tuple[int, ...] = ()) -> list[dt.date]:
    days, month = [], dt.date(start.year, start.month, 1)
    while len(days) < count:
        if month.month not in skip_months:
            days.append(open_day(first_saturday(month.year, month.month), step_days=7))
        month = add_months(month, 1)
    return days


async def _program(title: str, summary: str, audiences: str) -> int:
    row = await Program.select(Program.id).where(Program.title == title).first()
    if row:
        return row["id"]
    program = Program(title=title, summary=summary, description_md=summary, audiences=audiences, subject="Leadership")
    await program.save()
    return program.id


async def _questions(staff: Actor, program_id: int, questions: list[QuestionInput]) -> list[dict]:
    if not await questions_for(program_id, include_retired=True):
        for question in questions:
            await add_question(staff, program_id, question)
    return await questions_for(program_id)


async def _cohort(staff: Actor, data: OfferingInput, *, required_hours: int, options: str, first_due: dt.date) -> int:
    row = await Offering.select(Offering.id).where((Offering.title == data.title) & (Offering.kind == "cohort")).first()
    if row is None:
        try:
            offering_id = await create_offering(staff, data)
        except ScheduleConflict:  # a demo workshop happens to share the room that day
            offering_id = await create_offering(staff, data, override_reason="Demo schedule: rooms shared on purpose")
    else:
        offering_id = row["id"]
    if not await CohortSettings.exists().where(CohortSettings.offering == offering_id):
        await CohortSettings.insert(
            CohortSettings(
                offering=offering_id,
                required_hours_tenths=required_hours * 10,
                instalment_options=options,
                first_payment_due=first_due,
            )
        )
    return offering_id


async def _room(name: str) -> int | None:
    row = await Room.select(Room.id).where(Room.name == name).first()
    return row["id"] if row else None


async def load_demo_cohorts() -> None:
    staff_row = await User.select().where(User.email == "staff@scoe.example").first()
    if staff_row is None:
        return
    staff = Actor.from_row(staff_row)
    now = utc_now()
    today = now.astimezone(LOCAL_TZ).date()

    # Tier I: Saturdays monthly from next month through the spring, taking applications now.
    start = add_months(dt.date(today.year, today.month, 1), 1)
    months_to_may = (5 - start.month) % 12 + 1
    tier_days = monthly_saturdays(start, max(6, months_to_may))
    sierra = await _room("Sierra Room")
    tier_program = await _program(
        TIER_I_PROGRAM,
        "A one-year cohort program with Saturday classes, fieldwork and a final project, leading to "
        "the Preliminary Administrative Services Credential.",
        ",administrator,teacher,",
    )
    closes = max(at(tier_days[0], 8) - dt.timedelta(days=1), now + dt.timedelta(days=10))
    tier_id = await _cohort(
        staff,
        OfferingInput(
            title=TIER_I_COHORT,
            kind="cohort",
            program_id=tier_program,
            capacity=60,
            price_cents=480_000,
            status="published",
            description_md="Saturday classes at the SCOE Conference Center, fieldwork at your own site and a final project. "
            "Applicants employed in Sacramento County are reviewed first.",
            facilitators="School of Education faculty",
            registration_opens_at=now - dt.timedelta(days=14),
            registration_closes_at=closes,
            sessions=[SessionInput(at(day, 8), at(day, 16), sierra) for day in tier_days],
        ),
        required_hours=120,
        options="1,4,10",
        first_due=tier_days[0],
    )
    tier_questions = await _questions(staff, tier_program, TIER_I_QUESTIONS)

    # Teacher Induction: two years of monthly Saturday seminars, under way since three months ago.
    induction_start = add_months(dt.date(today.year, today.month, 1), -3)
    induction_days = monthly_saturdays(induction_start, 18, skip_months=(6, 7))
    mather = await _room("Mather Room")
    induction_program = await _program(
        INDUCTION_PROGRAM,
        "Two years of mentoring and monthly seminars for teachers in their first years, leading to "
        "the clear teaching credential.",
        ",teacher,",
    )
    opened = at(induction_days[0], 8) - dt.timedelta(days=90)
    induction_id = await _cohort(
        staff,
        OfferingInput(
            title=INDUCTION_COHORT,
            kind="cohort",
            program_id=induction_program,
            capacity=30,
            price_cents=240_000,
            status="published",
            description_md="Monthly Saturday seminars and weekly mentoring at your school site.",
            facilitators="Induction mentors",
            registration_opens_at=opened,
            registration_closes_at=at(induction_days[0], 8) - dt.timedelta(days=14),
            sessions=[SessionInput(at(day, 9), at(day, 12), mather) for day in induction_days],
        ),
        required_hours=48,
        options="1,2",
        first_due=induction_days[0],
    )
    induction_questions = await _questions(staff, induction_program, INDUCTION_QUESTIONS)

    teacher = await User.select().where(User.email == "teacher@egusd.example").first()
    if teacher and not await CohortApplication.exists().where(
        (CohortApplication.cohort == tier_id) & (CohortApplication.applicant == teacher["id"])
    ):
        person = Actor.from_row(teacher)
        application_id = await start_application(person, tier_id, now=now)
        given = ("Multiple Subject", "9", "Grade 5 teacher and site math lead", "yes")
        answers = dict(zip((answer_field(q["id"]) for q in tier_questions), given))
        await submit(
            person,
            application_id,
            ApplicationInput(
                answers=answers,
                county="Sacramento",
                supervisor_name="Dana Principal",
                supervisor_email="principal.florin@egusd.example",
                payer="participant",
                instalments="4",
            ),
            now=now,
        )

    newcomer = await User.select().where(User.email == "newteacher@sanjuan.example").first()
    if newcomer and not await CohortApplication.exists().where(
        (CohortApplication.cohort == induction_id) & (CohortApplication.applicant == newcomer["id"])
    ):
        await _enrolled_with_attendance(staff, Actor.from_row(newcomer), induction_id, induction_questions, opened)
    if newcomer:
        await _mentoring_log(staff, induction_id, newcomer["id"])


async def _enrolled_with_attendance(
    staff: Actor, person: Actor, cohort_id: int, questions: list[dict], opened: dt.datetime
) -> None:
    """Applied and accepted before the cohort began; since then attended, missed and was excused."""
    applied = opened + dt.timedelta(days=5)
    application_id = await start_application(person, cohort_id, now=applied)
    answers = dict(zip((answer_field(q["id"]) for q in questions), ("Multiple Subject", "Del Paso Manor Elementary")))
    await submit(
        person,
        application_id,
        ApplicationInput(
            answers=answers,
            county="Sacramento",
            supervisor_name="Chris Principal",
            supervisor_email="principal.delpaso@sanjuan.example",
            payer="district",
            instalments="2",
            po_number="PO-IND-2026-117",
        ),
        now=applied,
    )
    await review.accept(
        staff,
        application_id,
        "Welcome to Teacher Induction. Your mentor will contact you.",
        now=applied + dt.timedelta(days=10),
    )
    registration_id = (
        await CohortApplication.select(CohortApplication.registration)
        .where(CohortApplication.id == application_id)
        .first()
    )["registration"]
    now = utc_now()
    past = [s for s in await sessions_of([cohort_id]) if s["starts_at"] < now]
    marks = ["present", "absent", "excused"] + ["present"] * max(0, len(past) - 3)
    for session, status in zip(past, marks):
        await mark_attendance(staff, cohort_id, session["id"], registration_id, status, now=session["ends_at"])
    if len(past) >= 3:
        missed, excused = past[1], past[2]
        missed_day = missed["starts_at"].astimezone(LOCAL_TZ).date()
        done = await assign_makeup(
            staff,
            registration_id,
            missed["id"],
            "Watch the seminar recording and write a one-page reflection on classroom routines.",
            "3",
            missed_day + dt.timedelta(days=14),
            now=missed["ends_at"] + dt.timedelta(days=2),
        )
        await complete_makeup(staff, done, now=missed["ends_at"] + dt.timedelta(days=12))
        await assign_makeup(
            staff,
            registration_id,
            excused["id"],
            "Read the assigned chapter on formative assessment and discuss it with your mentor.",
            "2",
            now.astimezone(LOCAL_TZ).date() + dt.timedelta(days=14),
        )


MENTORING = [
    ("1.5", "Weekly mentoring meeting: classroom routines and the first weeks of school."),
    ("1", "Mentor observed a math lesson; debrief on checking for understanding."),
    ("2", "Co-planned a unit on fractions with the mentor."),
    ("1.5", "Weekly mentoring meeting: family conferences and communication."),
    ("2.5", "Observed a colleague's class with the mentor and reflected on small-group instruction."),
    ("1", "Mentoring meeting: goals for the Individual Learning Plan."),
]


async def _mentoring_log(staff: Actor, cohort_id: int, person_id: int) -> None:
    """Mentoring hours from the participant's signed log, every other week since the first seminar (once)."""
    row = (
        await CohortApplication.select(CohortApplication.registration)
        .where(
            (CohortApplication.cohort == cohort_id)
            & (CohortApplication.applicant == person_id)
            & (CohortApplication.status == "accepted")
        )
        .first()
    )
    if row is None or row["registration"] is None:
        return
    if await FieldworkEntry.exists().where(FieldworkEntry.registration == row["registration"]):
        return
    sessions = await sessions_of([cohort_id])
    if not sessions:
        return
    today = utc_now().astimezone(LOCAL_TZ).date()
    first = sessions[0]["starts_at"].astimezone(LOCAL_TZ).date()
    for week, (hours, description) in enumerate(MENTORING):
        day = first + dt.timedelta(days=4 + 14 * week)  # the Wednesday after, then every other week
        if day > today:
            break
        await record_fieldwork(staff, row["registration"], day, hours, description, cohort_id=cohort_id)
