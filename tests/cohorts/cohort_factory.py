"""Cohorts for tests, made through the real use cases: a published cohort with questions and sessions."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering
from booking.catalog.tables import Offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from booking.cohorts.applications import ApplicationInput, start_application, submit
from booking.cohorts.questions import QuestionInput, add_question, answer_field
from booking.cohorts.tables import CohortSettings
from tests.factories import make_user


def saturday(weeks_from_now: int, hour: int = 8) -> dt.datetime:
    today = dt.datetime.now(LOCAL_TZ).date()
    day = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 7 * weeks_from_now)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ)


async def make_cohort(
    staff: Actor,
    *,
    title: str = "Preliminary Administrative Services Credential, Cohort 24",
    capacity: int = 3,
    sessions: int = 4,
    tuition_cents: int = 480_000,
    instalment_options: str = "1,4",
    required_hours: int = 20,
    first_payment_due: dt.date | None = None,
    opens: dt.datetime | None = None,
    closes: dt.datetime | None = None,
) -> dict:
    """A published cohort with Saturday sessions a month apart and the program's four usual questions."""
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title=title,
            kind="cohort",
            capacity=capacity,
            price_cents=tuition_cents,
            status="published",
            registration_opens_at=opens,
            registration_closes_at=closes,
            sessions=[
                SessionInput(saturday(4 * n + 2), saturday(4 * n + 2) + dt.timedelta(hours=7)) for n in range(sessions)
            ],
        ),
    )
    await CohortSettings.insert(
        CohortSettings(
            offering=offering_id,
            required_hours_tenths=required_hours * 10,
            instalment_options=instalment_options,
            first_payment_due=first_payment_due,
        )
    )
    program = (await Offering.select(Offering.program).where(Offering.id == offering_id).first())["program"]
    questions = {
        "credential": await add_question(
            staff,
            program,
            QuestionInput(
                "Which credential do you hold?",
                "choice",
                "Multiple Subject\nSingle Subject\nEducation Specialist\nPupil Personnel Services",
            ),
        ),
        "years": await add_question(staff, program, QuestionInput("Years of experience in education", "number")),
        "position": await add_question(staff, program, QuestionInput("Current position", "text")),
        "clear": await add_question(
            staff, program, QuestionInput("Is your credential clear?", "yes_no", required=False)
        ),
    }
    return {"id": offering_id, "program": program, "questions": questions}


def complete_form(
    cohort: dict,
    *,
    county: str = "Sacramento",
    supervisor_email: str = "principal@school.example",
    payer: str = "participant",
    instalments: str = "1",
    po_number: str = "",
    credential: str = "Multiple Subject",
    years: str = "6",
) -> ApplicationInput:
    q = cohort["questions"]
    return ApplicationInput(
        answers={
            answer_field(q["credential"]): credential,
            answer_field(q["years"]): years,
            answer_field(q["position"]): "Assistant principal",
            answer_field(q["clear"]): "yes",
        },
        county=county,
        supervisor_name="Pat Principal",
        supervisor_email=supervisor_email,
        payer=payer,
        instalments=instalments,
        po_number=po_number,
    )


async def submitted_applicant(cohort: dict, *, district: str | None = "EGUSD", **form) -> tuple[Actor, dict]:
    person = Actor.from_row(await make_user("attendee", district=district))
    application_id = await start_application(person, cohort["id"])
    application = await submit(person, application_id, complete_form(cohort, **form))
    return person, application
