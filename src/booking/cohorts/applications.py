"""Applying to a cohort: a draft saved as often as wanted, then submitted once, and its status.

draft → submitted → under_review → accepted | waitlisted | declined; the applicant may withdraw
at any point before the program ends. Submitting checks every answer, the application period,
and how tuition will be paid, then asks the named supervisor to confirm support.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.accounts.users import validate_email, validate_name
from booking.catalog.offerings import get_offering, list_offerings
from booking.catalog.tables import Offering, Program
from booking.clock import format_local, utc_now
from booking.cohorts import supervisor
from booking.cohorts.application_lifecycle import ApplicationStatus, move_application
from booking.cohorts.counties import COUNTY_CHOICES, HOME_COUNTY
from booking.cohorts.instalments import allowed_counts
from booking.cohorts.questions import clean_answers, questions_for
from booking.cohorts.tables import TUITION_PAYERS, CohortApplication, CohortSettings
from booking.db import json_column, lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.fields import is_ascii_digits
from booking.notifications.outbox import enqueue_email

PO_NUMBER_MAX = 60
APPLICATION_COLUMNS = (
    *CohortApplication.all_columns(),
    CohortApplication.cohort.title.as_alias("cohort_title"),
    CohortApplication.cohort.program.as_alias("program"),
    CohortApplication.cohort.status.as_alias("cohort_status"),
    CohortApplication.cohort.price_cents.as_alias("tuition_cents"),
    CohortApplication.applicant.name.as_alias("applicant_name"),
    CohortApplication.applicant.email.as_alias("applicant_email"),
    CohortApplication.applicant.district.as_alias("applicant_district"),
    CohortApplication.applicant.district.name.as_alias("applicant_district_name"),
)


@dataclass
class ApplicationInput:
    answers: dict[str, str] = field(default_factory=dict)  # raw form fields "q<question id>" -> text
    county: str = ""
    supervisor_name: str = ""
    supervisor_email: str = ""
    payer: str = "participant"
    instalments: str = "1"
    po_number: str = ""


async def settings_for(offering_id: int) -> dict:
    row = await CohortSettings.select().where(CohortSettings.offering == offering_id).first()
    return row or {
        "offering": offering_id,
        "required_hours_tenths": 0,
        "instalment_options": "1",
        "first_payment_due": None,
    }


async def get_cohort(actor: Actor | None, cohort_id: int) -> dict:
    cohort = await get_offering(actor, cohort_id)
    if cohort["kind"] != "cohort":
        raise NotFound("No such cohort.")
    cohort["settings"] = await settings_for(cohort_id)
    cohort["program_title"] = await program_title(cohort["program"])
    return cohort


async def program_title(program_id: int | None) -> str:
    row = await Program.select(Program.title).where(Program.id == program_id).first() if program_id else None
    return row["title"] if row else ""


async def waitlist_position(application: dict) -> int | None:
    """Where a waitlisted application stands now (1 = next place that frees); None when not waitlisted."""
    if application["status"] != "waitlisted" or application["waitlist_rank"] is None:
        return None
    return await CohortApplication.count().where(
        (CohortApplication.cohort == application["cohort"])
        & (CohortApplication.status == "waitlisted")
        & (CohortApplication.waitlist_rank <= application["waitlist_rank"])
    )


def application_window(cohort: dict, now: dt.datetime) -> str | None:
    """Why applications are not taken now, or None when they are."""
    if cohort["status"] != "published":
        return "This cohort is not taking applications."
    opens, closes = cohort["registration_opens_at"], cohort["registration_closes_at"]
    if opens is not None and now < opens:
        return f"Applications open {format_local(opens)}."
    if closes is not None and now >= closes:
        return f"Applications closed {format_local(closes)}."
    return None


async def get_application(actor: Actor, application_id: int) -> dict:
    """The application with its cohort and applicant, for the applicant and for staff; NotFound for anyone else."""
    query = CohortApplication.select(*APPLICATION_COLUMNS).where(CohortApplication.id == application_id)
    if not actor.is_staff:
        query = query.where(CohortApplication.applicant == actor.id)
    application = await query.first()
    if application is None:
        raise NotFound("No such application.")
    application["answers"] = json_column(application["answers"])
    return application


async def my_applications(actor: Actor) -> list[dict]:
    rows = (
        await CohortApplication.select(*APPLICATION_COLUMNS)
        .where(CohortApplication.applicant == actor.id)
        .order_by(CohortApplication.id, ascending=False)
    )
    for row in rows:
        row["answers"] = json_column(row["answers"])
        row["waitlist_position"] = await waitlist_position(row)
    return rows


async def live_application(actor: Actor, cohort_id: int) -> dict | None:
    row = (
        await CohortApplication.select(CohortApplication.id)
        .where(
            (CohortApplication.cohort == cohort_id)
            & (CohortApplication.applicant == actor.id)
            & (CohortApplication.status != "withdrawn")
        )
        .first()
    )
    return await get_application(actor, row["id"]) if row else None


async def start_application(actor: Actor, cohort_id: int, now: dt.datetime | None = None) -> int:
    """The person's application to this cohort: the one they have, or a new draft."""
    now = now or utc_now()
    async with write_transaction():
        cohort = await get_cohort(actor, cohort_id)
        await lock_rows_for_update(User, User.id == actor.id)
        existing = await live_application(actor, cohort_id)
        if existing is not None:
            return existing["id"]
        closed = application_window(cohort, now)
        if closed:
            raise Conflict(closed, code="applications_closed")
        rows = await CohortApplication.insert(
            CohortApplication(
                cohort=cohort_id,
                applicant=actor.id,
                status="draft",
                created_at=now,
                updated_at=now,
            )
        ).returning(CohortApplication.id)
    return rows[0]["id"]


def _clean_form(
    data: ApplicationInput, questions: list[dict], cohort: dict, applicant: dict, *, complete: bool
) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    try:
        values["answers"] = clean_answers(questions, data.answers, complete=complete)
    except InvalidInput as error:
        errors.update(error.field_errors)
    county = " ".join((data.county or "").split())
    if county and county not in COUNTY_CHOICES:
        errors["county"] = "Choose your county of employment from the list."
    elif complete and not county:
        errors["county"] = "Choose the county where you work."
    values["county"] = county
    name = " ".join((data.supervisor_name or "").split())
    if name or complete:
        try:
            name = validate_name(name, "supervisor_name")
        except InvalidInput:
            errors["supervisor_name"] = (
                "Enter your supervisor's name."
                if not name
                else "Enter your supervisor's name (at most 200 characters)."
            )
    values["supervisor_name"] = name[:200]
    email = (data.supervisor_email or "").strip()
    if email or complete:
        try:
            email = validate_email(email, "supervisor_email")
            if email == applicant["applicant_email"]:
                errors["supervisor_email"] = "Give your supervisor's email address, not your own."
        except InvalidInput as error:
            errors.update(error.field_errors)
    values["supervisor_email"] = email[:254]
    payer = data.payer or "participant"
    if payer not in TUITION_PAYERS:
        errors["payer"] = "Choose who pays the tuition: you, or your district."
    elif payer == "district" and applicant["applicant_district"] is None:
        errors["payer"] = (
            "Your account has no district, so the tuition cannot be billed to one. Add your district on My account, or pay yourself."
        )
    values["payer"] = payer
    counts = allowed_counts(cohort["settings"]["instalment_options"])
    raw_count = (data.instalments or "1").strip()
    if not is_ascii_digits(raw_count) or len(raw_count) > 2 or int(raw_count) not in counts:
        errors["instalments"] = "Choose how many payments: " + ", ".join(str(count) for count in counts) + "."
        values["instalments"] = counts[0]
    else:
        values["instalments"] = int(raw_count)
    po_number = " ".join((data.po_number or "").split())
    if len(po_number) > PO_NUMBER_MAX:
        errors["po_number"] = f"A PO number has at most {PO_NUMBER_MAX} characters."
    values["po_number"] = po_number if payer == "district" else ""
    if errors:
        raise InvalidInput(errors)
    return values


async def _own_application(actor: Actor, application_id: int) -> dict:
    await lock_rows_for_update(CohortApplication, CohortApplication.id == application_id)
    application = await get_application(actor, application_id)
    if application["applicant"] != actor.id:
        raise NotFound("No such application.")
    return application


async def _store(application: dict, values: dict, now: dt.datetime) -> None:
    await CohortApplication.update(
        {
            CohortApplication.answers: json.dumps(values["answers"], sort_keys=True),
            CohortApplication.county: values["county"],
            CohortApplication.in_county: values["county"] == HOME_COUNTY,
            CohortApplication.supervisor_name: values["supervisor_name"],
            CohortApplication.supervisor_email: values["supervisor_email"],
            CohortApplication.payer: values["payer"],
            CohortApplication.instalments: values["instalments"],
            CohortApplication.po_number: values["po_number"],
            CohortApplication.district: application["applicant_district"] if values["payer"] == "district" else None,
            CohortApplication.updated_at: now,
        }
    ).where(CohortApplication.id == application["id"])


def _refuse_unless_draft(application: dict) -> None:
    if application["status"] != "draft":
        raise Conflict(
            "This application is already submitted; it can no longer be changed.", code="application_submitted"
        )


async def save_draft(actor: Actor, application_id: int, data: ApplicationInput, now: dt.datetime | None = None) -> None:
    """Keep what is filled in so far; only answers that are given are checked."""
    now = now or utc_now()
    async with write_transaction():
        application = await _own_application(actor, application_id)
        _refuse_unless_draft(application)
        cohort = await get_cohort(actor, application["cohort"])
        values = _clean_form(data, await questions_for(cohort["program"]), cohort, application, complete=False)
        await _store(application, values, now)


async def submit(actor: Actor, application_id: int, data: ApplicationInput, now: dt.datetime | None = None) -> dict:
    """Check everything, submit, and email the applicant and (for the confirmation link) the supervisor."""
    now = now or utc_now()
    async with write_transaction():
        application = await _own_application(actor, application_id)
        _refuse_unless_draft(application)
        cohort = await get_cohort(actor, application["cohort"])
        closed = application_window(cohort, now)
        if closed:
            raise Conflict(closed, code="applications_closed")
        values = _clean_form(data, await questions_for(cohort["program"]), cohort, application, complete=True)
        await _store(application, values, now)
        await move_application(application, ApplicationStatus.SUBMITTED, now, submitted_at=now)
        submitted = await get_application(actor, application_id)
        await supervisor.send_request(submitted, now)
        await enqueue_email(
            submitted["applicant_email"],
            "cohort_submitted",
            {
                "name": submitted["applicant_name"],
                "application": submitted,
            },
        )
    return submitted


RESEND_INTERVAL = dt.timedelta(minutes=10)


async def resend_supervisor_link(actor: Actor, application_id: int, now: dt.datetime | None = None) -> None:
    """A fresh link for a supervisor who lost or let the first one expire; the old one stops working."""
    now = now or utc_now()
    async with write_transaction():
        application = await _own_application(actor, application_id)
        if application["status"] in ("draft", "withdrawn", "declined"):
            raise Conflict("This application has no open request to your supervisor.", code="no_supervisor_request")
        if application["supervisor_response"]:
            raise Conflict("Your supervisor has already answered.", code="already_answered")
        sent = application["supervisor_link_sent_at"]
        if sent is not None and now - sent < RESEND_INTERVAL:
            raise Conflict(
                "A link was sent a few minutes ago; please give it ten minutes before sending another.",
                code="sent_recently",
            )
        await supervisor.send_request(application, now)


def cohort_is_running(cohort: dict) -> bool:
    return cohort["status"] in ("published", "completed")


async def open_cohorts(actor: Actor | None, now: dt.datetime | None = None) -> list[dict]:
    """Published cohorts, soonest first, each saying whether it takes applications now."""
    now = now or utc_now()
    cohorts = [c for c in await list_offerings(actor, kind="cohort") if c["status"] == "published"]
    for cohort in cohorts:
        cohort["closed_reason"] = application_window(cohort, now)
        cohort["settings"] = await settings_for(cohort["id"])
        cohort["program_title"] = await program_title(cohort["program"])
    cohorts.sort(key=lambda c: (c["sessions"][0]["starts_at"] if c["sessions"] else now, c["id"]))
    return cohorts


async def cohort_ids_in_program(program_id: int) -> list[int]:
    rows = await Offering.select(Offering.id).where((Offering.program == program_id) & (Offering.kind == "cohort"))
    return [row["id"] for row in rows]
