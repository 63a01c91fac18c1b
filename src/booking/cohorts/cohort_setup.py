"""Staff set cohorts up and review their applications: the use cases behind /staff/cohorts and
/staff/programs/{id}/questions.

A cohort is created as a draft offering of kind "cohort" with its CohortSettings row in one
transaction; its sessions are then added (and it is published) on the workshops' own staff page.
Forms arrive as typed text (CohortInput, SettingsInput) and are checked here, every problem at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import create_offering, sessions_of
from booking.catalog.tables import Offering, Program
from booking.catalog.validation import (
    MAX_CAPACITY,
    OfferingInput,
    parse_local_date,
    parse_local_datetime,
)
from booking.clock import utc_now
from booking.cohorts import review
from booking.cohorts.applications import get_application, settings_for, waitlist_position
from booking.cohorts.documents import documents_of
from booking.cohorts.instalments import allowed_counts, instalments_of
from booking.cohorts.questions import STAFF_ONLY, choice_list, questions_for
from booking.cohorts.tables import OPEN_FOR_REVIEW, CohortApplication, CohortSettings
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import InvalidInput, NotFound, collect_field_errors
from booking.fields import is_plain_number, parse_decimal
from booking.money import parse_price
from booking.scheduling.capacity import seat_counts

PAYMENT_CHOICES = (1, 2, 4, 10)  # numbers of payments staff may allow
MAX_REQUIRED_HOURS = 2000
NEW_PROGRAM = "new"


# --- Forms as typed -------------------------------------------------------------------------


@dataclass
class SettingsInput:
    required_hours: str = "0"
    payment_options: list[str] = field(default_factory=lambda: ["1"])  # "1", "2", "4", "10"
    first_payment_due: str = ""  # YYYY-MM-DD; empty: due when the applicant is accepted


@dataclass
class CohortInput:
    title: str = ""
    program: str = NEW_PROGRAM  # an existing program's id, or "new"
    new_program: str = ""  # the new program's name
    description: str = ""
    capacity: str = ""
    tuition: str = ""  # dollars, as typed
    opens: str = ""  # datetime-local, Pacific time; empty: open as soon as it is published
    closes: str = ""
    settings: SettingsInput = field(default_factory=SettingsInput)


def _required_hours(value: str) -> int:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(
            {"required_hours": "Enter the hours a participant needs to complete the program; 0 if none."}
        )
    if not is_plain_number(text):
        raise InvalidInput({"required_hours": "Enter hours as a number, like 120 or 42.5."})
    hours = parse_decimal(
        text,
        "required_hours",
        minimum=0,
        maximum=MAX_REQUIRED_HOURS,
        places=1,
        message=f"Enter between 0 and {MAX_REQUIRED_HOURS:,} hours.",
    )
    return int(hours * 10)


def _payment_options(values: list[str]) -> str:
    allowed = {str(n) for n in PAYMENT_CHOICES}
    chosen = {(v or "").strip() for v in values}
    if not chosen or not chosen <= allowed:
        raise InvalidInput(
            {"payment_options": "Choose how tuition may be paid: in 1, 2, 4 or 10 payments (one or more)."}
        )
    return ",".join(str(n) for n in sorted(int(v) for v in chosen))


def _first_payment_due(value: str) -> dt.date | None:
    if not (value or "").strip():
        return None
    day = parse_local_date(value, "first_payment_due")
    if not 2000 <= day.year <= 2100:
        raise InvalidInput({"first_payment_due": "Enter a date between 2000 and 2100, like 2027-09-01."})
    return day


def check_settings(data: SettingsInput) -> dict:
    """The settings' column values; InvalidInput with every problem at once."""
    errors: dict[str, str] = {}
    values = {
        "required_hours_tenths": collect_field_errors(errors, _required_hours, data.required_hours),
        "instalment_options": collect_field_errors(errors, _payment_options, data.payment_options),
        "first_payment_due": collect_field_errors(errors, _first_payment_due, data.first_payment_due),
    }
    if errors:
        raise InvalidInput(errors)
    return values


def _tuition(value: str) -> int:
    """Dollars as typed -> cents, with the catalog's parser; its messages said for tuition."""
    try:
        cents = parse_price(value, "tuition")
    except InvalidInput as error:
        message = error.field_errors["tuition"]
        if "negative" in message:
            message = "Tuition cannot be negative; enter 0 if there is none."
        elif "decimal" not in message:
            message = "Enter the tuition in dollars, like 4800 or 4,800.00; at most $100,000."
        raise InvalidInput({"tuition": message}) from None
    if cents is None:
        raise InvalidInput({"tuition": "Enter the tuition in dollars, like 4800; 0 if there is none."})
    return cents


def _whole_number(value: str) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 7 or not 1 <= int(text) <= MAX_CAPACITY:
        raise InvalidInput(
            {"capacity": f"Enter the number of places as a whole number from 1 to {MAX_CAPACITY:,}, like 65."}
        )
    return int(text)


def check_cohort(data: CohortInput) -> dict:
    """Everything on the new-cohort form, parsed and checked; InvalidInput with every problem at once."""
    errors: dict[str, str] = {}
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = (
            "Give the cohort a title, for example: Preliminary Administrative Services Credential, Cohort 25."
        )
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    program = (data.program or "").strip()
    program_id = None
    new_program = " ".join((data.new_program or "").split())
    if program == NEW_PROGRAM or not program:
        if not new_program:
            errors["new_program"] = "Name the new program, or choose an existing one."
        elif len(new_program) > 200:
            errors["new_program"] = "Keep the program's name under 200 characters."
    elif program.isascii() and program.isdigit() and len(program) < 12:
        program_id = int(program)
    else:
        errors["program"] = "Choose a program from the list."
    description = (data.description or "").strip()
    if len(description) > 20_000:
        errors["description"] = "The description is too long (20,000 characters at most)."
    capacity = collect_field_errors(errors, _whole_number, data.capacity)
    tuition = collect_field_errors(errors, _tuition, data.tuition)
    opens = collect_field_errors(errors, parse_local_datetime, data.opens, "opens")
    closes = collect_field_errors(errors, parse_local_datetime, data.closes, "closes")
    if closes is None and "closes" not in errors:
        errors["closes"] = "Enter when applications close."
    if opens and closes and closes <= opens:
        errors["closes"] = "Applications must close after they open."
    try:
        settings = check_settings(data.settings)
    except InvalidInput as error:
        errors.update(error.field_errors)
        settings = {}
    if errors:
        raise InvalidInput(errors)
    return {
        "title": title,
        "program_id": program_id,
        "new_program": new_program,
        "description": description,
        "capacity": capacity,
        "tuition_cents": tuition,
        "opens": opens,
        "closes": closes,
        "settings": settings,
    }


# --- Programs and cohorts ------------------------------------------------------------------


async def cohort_programs() -> list[dict]:
    """Programs that run cohorts (workshops have a program each too; those are not offered here)."""
    ids = {row["program"] for row in await Offering.select(Offering.program).where(Offering.kind == "cohort")}
    if not ids:
        return []
    return await Program.select(Program.id, Program.title).where(Program.id.is_in(sorted(ids))).order_by(Program.title)


async def create_cohort(actor: Actor, data: CohortInput) -> int:
    """A draft cohort (an offering of kind "cohort") and its settings, in one transaction."""
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_cohort(data)
    async with write_transaction():
        program_id = values["program_id"]
        if program_id is None:
            existing = {p["title"].casefold(): p["id"] for p in await cohort_programs()}
            if values["new_program"].casefold() in existing:
                raise InvalidInput({"new_program": "A program with this name exists already: choose it from the list."})
            rows = await Program.insert(
                Program(title=values["new_program"], description_md=values["description"])
            ).returning(Program.id)
            program_id = rows[0]["id"]
        elif program_id not in {p["id"] for p in await cohort_programs()}:
            raise InvalidInput({"program": "Choose a program from the list."})
        offering_id = await create_offering(
            actor,
            OfferingInput(
                title=values["title"],
                kind="cohort",
                status="draft",
                program_id=program_id,
                capacity=values["capacity"],
                price_cents=values["tuition_cents"],
                description_md=values["description"],
                registration_opens_at=values["opens"],
                registration_closes_at=values["closes"],
            ),
        )
        await CohortSettings.insert(CohortSettings(offering=offering_id, **values["settings"]))
    return offering_id


async def cohort_for_staff(actor: Actor, cohort_id: int) -> dict:
    """The cohort with its program's title and its settings; NotFound for anything that is not a cohort."""
    Actor.require(actor, "staff", STAFF_ONLY)
    cohort = (
        await Offering.select(*Offering.all_columns(), Offering.program.title.as_alias("program_title"))
        .where((Offering.id == cohort_id) & (Offering.kind == "cohort"))
        .first()
    )
    if cohort is None:
        raise NotFound("No such cohort.")
    cohort["settings"] = await settings_for(cohort_id)
    return cohort


def settings_form_values(settings: dict) -> SettingsInput:
    due = settings["first_payment_due"]
    return SettingsInput(
        required_hours=f"{settings['required_hours_tenths'] / 10:g}",
        payment_options=[str(n) for n in allowed_counts(settings["instalment_options"])],
        first_payment_due=due.isoformat() if due else "",
    )


async def update_cohort_settings(actor: Actor, cohort_id: int, data: SettingsInput) -> None:
    """Required hours and how tuition may be paid. Applicants who already chose a number of payments keep it."""
    Actor.require(actor, "staff", STAFF_ONLY)
    values = check_settings(data)
    async with write_transaction():
        await lock_rows_for_update(Offering, (Offering.id == cohort_id) & (Offering.kind == "cohort"))
        await cohort_for_staff(actor, cohort_id)
        if await CohortSettings.exists().where(CohortSettings.offering == cohort_id):
            await CohortSettings.update({getattr(CohortSettings, name): value for name, value in values.items()}).where(
                CohortSettings.offering == cohort_id
            )
        else:
            await CohortSettings.insert(CohortSettings(offering=cohort_id, **values))


async def staff_cohorts(actor: Actor, now: dt.datetime | None = None) -> list[dict]:
    """Every cohort, drafts too, newest first: places taken, applications waiting, application period."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    rows = (
        await Offering.select(*Offering.all_columns(), Offering.program.title.as_alias("program_title"))
        .where(Offering.kind == "cohort")
        .order_by(Offering.id, ascending=False)
    )
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    counts = await seat_counts(rows, now)
    waiting: dict[int, int] = {}
    for application in await CohortApplication.select(CohortApplication.cohort).where(
        CohortApplication.cohort.is_in(ids) & CohortApplication.status.is_in(list(OPEN_FOR_REVIEW))
    ):
        waiting[application["cohort"]] = waiting.get(application["cohort"], 0) + 1
    sessions: dict[int, list[dict]] = {}
    for session in await sessions_of(ids):
        sessions.setdefault(session["offering"], []).append(session)
    for row in rows:
        row["counts"] = counts[row["id"]]
        row["waiting_decision"] = waiting.get(row["id"], 0)
        row["session_count"] = len(sessions.get(row["id"], []))
        own = sessions.get(row["id"], [])
        row["first_starts_at"] = own[0]["starts_at"] if own else None
    return rows


# --- Questions ------------------------------------------------------------------------------


async def program_questions(actor: Actor, program_id: int) -> dict:
    """A cohort program's questions: those asked now in order, and those retired."""
    Actor.require(actor, "staff", STAFF_ONLY)
    program = await Program.select(Program.id, Program.title).where(Program.id == program_id).first()
    cohorts = (
        await Offering.select(Offering.id, Offering.title, Offering.status)
        .where((Offering.program == program_id) & (Offering.kind == "cohort"))
        .order_by(Offering.id, ascending=False)
    )
    if program is None or not cohorts:
        raise NotFound("No such cohort program.")
    questions = await questions_for(program_id, include_retired=True)
    for question in questions:
        question["choice_list"] = choice_list(question)
    return {
        "program": program,
        "cohorts": cohorts,
        "active": [q for q in questions if q["is_active"]],
        "retired": [q for q in questions if not q["is_active"]],
    }


# --- Review ---------------------------------------------------------------------------------


def _filters(raw: dict[str, str], questions: list[dict]) -> tuple[review.QueueFilters, dict[str, str], dict[str, str]]:
    """Query parameters -> QueueFilters, the values to show back, and what is wrong with them."""
    values = {
        name: (raw.get(name) or default).strip()
        for name, default in (("status", "open"), ("county", "any"), ("supervisor", "any"))
    }
    errors: dict[str, str] = {}
    answers: dict[int, str] = {}
    at_least: dict[int, float] = {}
    for question in questions:
        name = f"q{question['id']}"
        value = (raw.get(name) or "").strip()
        values[name] = value
        if not value:
            continue
        if question["kind"] == "yes_no":
            if value not in ("yes", "no"):
                errors[name] = "Choose yes, no, or any answer."
            answers[question["id"]] = value
        elif question["kind"] == "choice":
            if value not in choice_list(question):
                errors[name] = "Choose one of the listed answers."
            answers[question["id"]] = value
        elif question["kind"] == "number":
            number = collect_field_errors(
                errors,
                parse_decimal,
                value,
                name,
                minimum=0,
                maximum=100_000,
                places=2,
                message="Enter the smallest number to show, like 5.",
            )
            if number is not None:
                at_least[question["id"]] = float(number)
    filters = review.QueueFilters(
        status=values["status"],
        county=values["county"],
        supervisor=values["supervisor"],
        answers=answers,
        at_least=at_least,
    )
    return filters, values, errors


def filter_questions(questions: list[dict]) -> list[dict]:
    """The questions the queue can be filtered by, each with the answers to choose from."""
    result = []
    for question in questions:
        if question["kind"] == "yes_no":
            result.append({**question, "options": [("", "Any answer"), ("yes", "Yes"), ("no", "No")]})
        elif question["kind"] == "choice":
            result.append({**question, "options": [("", "Any answer"), *((c, c) for c in choice_list(question))]})
        elif question["kind"] == "number":
            result.append({**question, "options": []})
    return result


async def review_page(actor: Actor, cohort_id: int, raw: dict[str, str], now: dt.datetime | None = None) -> dict:
    """The review queue with its summary; `errors` (and no rows) when a filter cannot be right."""
    Actor.require(actor, "staff", STAFF_ONLY)
    summary = await review.cohort_summary(actor, cohort_id, now)
    questions = filter_questions(summary["questions"])
    filters, values, errors = _filters(raw, questions)
    rows: list[dict] = []
    if not errors:
        try:
            rows = await review.review_queue(actor, cohort_id, filters)
        except InvalidInput as error:
            errors = error.field_errors
    return {
        "summary": summary,
        "cohort": await cohort_for_staff(actor, cohort_id),
        "rows": rows,
        "filters": values,
        "errors": errors,
        "filter_questions": questions,
    }


async def application_detail(actor: Actor, cohort_id: int, application_id: int, now: dt.datetime | None = None) -> dict:
    """Everything staff need to decide on one application of this cohort."""
    Actor.require(actor, "staff", STAFF_ONLY)
    application = await get_application(actor, application_id)
    if application["cohort"] != cohort_id:
        raise NotFound("No such application in this cohort.")
    questions = await questions_for(application["program"], include_retired=True)
    answered = application["answers"]
    answers = [
        {
            "prompt": q["prompt"],
            "answer": answered.get(str(q["id"]), ""),
            "retired": not q["is_active"],
            "kind": q["kind"],
        }
        for q in questions
        if q["is_active"] or str(q["id"]) in answered
    ]
    decided_by = None
    if application["decided_by"]:
        person = await User.select(User.name).where(User.id == application["decided_by"]).first()
        decided_by = person["name"] if person else None
    summary = await review.cohort_summary(actor, cohort_id, now)
    return {
        "application": application,
        "answers": answers,
        "documents": await documents_of(application_id),
        "instalments": await instalments_of(application_id),
        "decided_by_name": decided_by,
        "waitlist_position": await waitlist_position(application),
        "summary": summary,
        "cohort": await cohort_for_staff(actor, cohort_id),
    }


async def decide(
    actor: Actor, cohort_id: int, application_id: int, decision: str, message: str = "", now: dt.datetime | None = None
) -> None:
    """Accept, waitlist, decline, or start reviewing an application of this cohort (review does the work)."""
    Actor.require(actor, "staff", STAFF_ONLY)
    application = await get_application(actor, application_id)
    if application["cohort"] != cohort_id:
        raise NotFound("No such application in this cohort.")
    if decision == "accept":
        await review.accept(actor, application_id, message, now)
    elif decision == "waitlist":
        await review.waitlist(actor, application_id, message, now)
    elif decision == "decline":
        await review.decline(actor, application_id, message, now)
    elif decision == "start_review":
        await review.start_review(actor, application_id, now)
    else:
        raise NotFound("No such decision.")
