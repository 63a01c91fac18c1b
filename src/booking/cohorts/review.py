"""Staff review: the queue (Sacramento County first), and accepting, waitlisting or declining.

Accepting takes a place under the cohort's lock, so concurrent acceptances never exceed its
capacity: the accepted applicant gets a confirmed registration (the workshops' own), which puts
every session in their calendars and on the attendance sheets, and their tuition instalments.
A place freed by a withdrawal goes to the first person on the waiting list, at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.catalog.tables import Offering
from booking.clock import LOCAL_TZ, utc_now
from booking.cohorts.application_lifecycle import ApplicationStatus, may_move, move_application
from booking.cohorts.applications import APPLICATION_COLUMNS, get_application, settings_for
from booking.cohorts.instalments import cancel_owed_instalments, create_instalments
from booking.cohorts.questions import STAFF_ONLY, questions_for
from booking.cohorts.tables import OPEN_FOR_REVIEW, CohortApplication
from booking.db import json_column, lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.notifications.outbox import enqueue_email
from booking.scheduling.capacity import seat_counts_for
from booking.scheduling.notices import notify_attendee
from booking.scheduling.registration_lifecycle import RegistrationStatus, insert_registration, transition
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering

MAX_MESSAGE = 2000
DECIDABLE = (*OPEN_FOR_REVIEW, "waitlisted")
WITHDRAWABLE = ("draft", "submitted", "under_review", "waitlisted", "accepted")


@dataclass
class QueueFilters:
    status: str = "open"  # open (submitted + under review) | a status | all
    county: str = "any"  # any | in (Sacramento County) | out
    supervisor: str = "any"  # any | confirmed | waiting | declined
    answers: dict[int, str] | None = None  # question id -> exact answer (choice, yes/no)
    at_least: dict[int, float] | None = None  # question id -> smallest number accepted (number questions)


STATUS_FILTERS = ("open", "all", "submitted", "under_review", "accepted", "waitlisted", "declined", "withdrawn")


def _check_filters(filters: QueueFilters) -> None:
    errors = {}
    if filters.status not in STATUS_FILTERS:
        errors["status"] = "Choose a status from the list."
    if filters.county not in ("any", "in", "out"):
        errors["county"] = "Choose Sacramento County, elsewhere, or any county."
    if filters.supervisor not in ("any", "confirmed", "waiting", "declined"):
        errors["supervisor"] = "Choose a supervisor answer from the list."
    if errors:
        raise InvalidInput(errors)


async def review_queue(actor: Actor, cohort_id: int, filters: QueueFilters | None = None) -> list[dict]:
    """Applications in review order: Sacramento County first, then by submission time (drafts never)."""
    Actor.require(actor, "staff", STAFF_ONLY)
    filters = filters or QueueFilters()
    _check_filters(filters)
    query = CohortApplication.select(*APPLICATION_COLUMNS).where(
        (CohortApplication.cohort == cohort_id) & (CohortApplication.status != "draft")
    )
    if filters.status == "open":
        query = query.where(CohortApplication.status.is_in(list(OPEN_FOR_REVIEW)))
    elif filters.status != "all":
        query = query.where(CohortApplication.status == filters.status)
    if filters.county != "any":
        query = query.where(CohortApplication.in_county == (filters.county == "in"))
    if filters.supervisor != "any":
        response = {"confirmed": "confirmed", "waiting": "", "declined": "declined"}[filters.supervisor]
        query = query.where(CohortApplication.supervisor_response == response)
    rows = (
        await query.order_by(CohortApplication.in_county, ascending=False)
        .order_by(CohortApplication.submitted_at)
        .order_by(CohortApplication.id)
    )
    wanted = {str(key): value for key, value in (filters.answers or {}).items() if value}
    minimums = {str(key): value for key, value in (filters.at_least or {}).items() if value is not None}
    result = []
    for row in rows:
        row["answers"] = json_column(row["answers"])
        if all(row["answers"].get(key) == value for key, value in wanted.items()) and all(
            _number(row["answers"].get(key)) >= minimum for key, minimum in minimums.items()
        ):
            result.append(row)
    return result


def _number(answer: str | None) -> float:
    try:
        return float(answer) if answer else float("-inf")
    except ValueError:
        return float("-inf")


def _message(message: str) -> str:
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidInput({"message": f"Keep the message under {MAX_MESSAGE:,} characters."})
    return message


async def _locked(application_id: int) -> dict:
    await lock_rows_for_update(CohortApplication, CohortApplication.id == application_id)
    row = await CohortApplication.select(*APPLICATION_COLUMNS).where(CohortApplication.id == application_id).first()
    if row is None:
        raise NotFound("No such application.")
    return row


async def _locked_with_cohort(application_id: int) -> tuple[dict, dict]:
    """The cohort's row, then the application's: every use case that takes both locks them in this
    order, so an acceptance, a withdrawal and the waiting list filling the freed place never wait on
    each other in a circle (PostgreSQL would abort one of them as a deadlock)."""
    row = await CohortApplication.select(CohortApplication.cohort).where(CohortApplication.id == application_id).first()
    if row is None:
        raise NotFound("No such application.")
    cohort = await lock_offering(row["cohort"])
    return await _locked(application_id), cohort


def _require_decidable(application: dict) -> None:
    if application["status"] not in DECIDABLE:
        raise Conflict(
            f"This application is {application['status'].replace('_', ' ')}; it cannot be decided now.",
            code="not_decidable",
        )


async def start_review(actor: Actor, application_id: int, now: dt.datetime | None = None) -> None:
    """Mark a submitted application as under review, so colleagues see someone has it."""
    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        application = await _locked(application_id)
        if application["status"] != "submitted":
            raise Conflict("Only a submitted application can be put under review.", code="not_submitted")
        await move_application(application, ApplicationStatus.UNDER_REVIEW, now or utc_now())


async def _enrol(application: dict, cohort: dict, actor_id: int | None, now: dt.datetime) -> int:
    """A confirmed seat in every session of the cohort, with its invite; inside the locked transaction."""
    values = {
        "offering": cohort["id"],
        "attendee": application["applicant"],
        "registered_by": actor_id,
        "payer": "district" if application["payer"] == "district" else ("card" if cohort["price_cents"] else "free"),
        "po_number": application["po_number"],
        "amount_cents": cohort["price_cents"],
        "created_at": now,
    }
    registration = await insert_registration(
        values,
        RegistrationStatus.CONFIRMED,
        now=now,
        kind="accepted_into_cohort",
        actor_id=actor_id,
        note=f"Application {application['id']} accepted",
    )
    settings = await settings_for(cohort["id"])
    first_due = settings["first_payment_due"] or now.astimezone(LOCAL_TZ).date()
    await create_instalments(application, registration["id"], cohort["price_cents"], first_due)
    sessions = await sessions_of([cohort["id"]])
    await notify_attendee(
        registration,
        {**cohort, "sessions": sessions},
        "cohort_accepted",
        invite="request",
        application=application,
        message=application.get("decision_message", ""),
    )
    return registration["id"]


async def _accept_locked(application: dict, cohort: dict, actor_id: int | None, message: str, now: dt.datetime) -> None:
    if not may_move(application["status"], ApplicationStatus.ACCEPTED):
        _require_decidable(application)  # says why, before a seat is made
    counts = await seat_counts_for(cohort, now)
    if counts.seats_left <= 0:
        raise Conflict(
            f"The cohort is full: {counts.taken} of {counts.capacity} places are taken. "
            "Waitlist the applicant instead, or raise the capacity first.",
            code="cohort_full",
        )
    application = {**application, "decision_message": message}
    registration_id = await _enrol(application, cohort, actor_id, now)
    await move_application(
        application,
        ApplicationStatus.ACCEPTED,
        now,
        registration=registration_id,
        waitlist_rank=None,
        decided_by=actor_id,
        decided_at=now,
        decision_message=message,
    )


async def accept(actor: Actor, application_id: int, message: str = "", now: dt.datetime | None = None) -> None:
    Actor.require(actor, "staff", STAFF_ONLY)
    message, now = _message(message), now or utc_now()
    async with write_transaction():
        application, cohort = await _locked_with_cohort(application_id)
        _require_decidable(application)
        await _accept_locked(application, cohort, actor.id, message, now)


async def waitlist(actor: Actor, application_id: int, message: str = "", now: dt.datetime | None = None) -> int:
    """Put the application at the end of the cohort's waiting list; returns its position."""
    Actor.require(actor, "staff", STAFF_ONLY)
    message, now = _message(message), now or utc_now()
    async with write_transaction():
        application, _ = await _locked_with_cohort(application_id)
        if application["status"] not in OPEN_FOR_REVIEW:
            raise Conflict("Only a submitted application can be waitlisted.", code="not_decidable")
        last = (
            await CohortApplication.select(CohortApplication.waitlist_rank)
            .where((CohortApplication.cohort == application["cohort"]) & (CohortApplication.status == "waitlisted"))
            .order_by(CohortApplication.waitlist_rank, ascending=False)
            .first()
        )
        rank = (last["waitlist_rank"] + 1) if last else 1
        await move_application(
            application,
            ApplicationStatus.WAITLISTED,
            now,
            waitlist_rank=rank,
            decided_by=actor.id,
            decided_at=now,
            decision_message=message,
        )
        position = await CohortApplication.count().where(
            (CohortApplication.cohort == application["cohort"]) & (CohortApplication.status == "waitlisted")
        )
        await enqueue_email(
            application["applicant_email"],
            "cohort_waitlisted",
            {
                "name": application["applicant_name"],
                "application": application,
                "message": message,
                "position": position,
            },
        )
    return position


async def decline(actor: Actor, application_id: int, message: str = "", now: dt.datetime | None = None) -> None:
    Actor.require(actor, "staff", STAFF_ONLY)
    message, now = _message(message), now or utc_now()
    async with write_transaction():
        application = await _locked(application_id)
        _require_decidable(application)
        await move_application(
            application,
            ApplicationStatus.DECLINED,
            now,
            waitlist_rank=None,
            decided_by=actor.id,
            decided_at=now,
            decision_message=message,
        )
        await enqueue_email(
            application["applicant_email"],
            "cohort_declined",
            {
                "name": application["applicant_name"],
                "application": application,
                "message": message,
            },
        )


async def fill_from_waitlist(cohort: dict, now: dt.datetime) -> list[int]:
    """Give free places to the waiting list in order; inside the cohort's locked transaction."""
    accepted = []
    while (await seat_counts_for(cohort, now)).seats_left > 0:
        first = (
            await CohortApplication.select(CohortApplication.id)
            .where((CohortApplication.cohort == cohort["id"]) & (CohortApplication.status == "waitlisted"))
            .order_by(CohortApplication.waitlist_rank)
            .order_by(CohortApplication.id)
            .first()
        )
        if first is None:
            break
        application = await _locked(first["id"])
        if application["status"] != "waitlisted":  # declined while this waited for its lock
            continue
        await _accept_locked(
            application, cohort, None, "A place in the cohort opened up, and you were next on the waiting list.", now
        )
        accepted.append(application["id"])
    return accepted


async def withdraw(actor: Actor, application_id: int, reason: str = "", now: dt.datetime | None = None) -> list[int]:
    """The applicant withdraws; an accepted place goes to the waiting list. Returns who was accepted in their place."""
    now = now or utc_now()
    reason = " ".join((reason or "").split())[:300]
    async with write_transaction():
        application = await get_application(actor, application_id)
        if application["applicant"] != actor.id:
            raise NotFound("No such application.")
        application, cohort = await _locked_with_cohort(application_id)
        if application["status"] not in WITHDRAWABLE:
            raise Conflict(
                f"This application is {application['status']}; there is nothing to withdraw.", code="not_withdrawable"
            )
        if cohort["status"] == "completed":
            raise Conflict("The program has ended; please contact the School of Education.", code="program_ended")
        await move_application(application, ApplicationStatus.WITHDRAWN, now, withdrawn_at=now, waitlist_rank=None)
        promoted: list[int] = []
        if application["status"] == "accepted" and application["registration"]:
            await _end_seat(application, cohort, actor, reason, now)
            promoted = await fill_from_waitlist(cohort, now)
        else:
            await enqueue_email(
                application["applicant_email"],
                "cohort_withdrawn",
                {
                    "name": application["applicant_name"],
                    "application": application,
                    "had_place": False,
                    "calendar_invite": None,
                },
            )
    return promoted


async def _end_seat(application: dict, cohort: dict, actor: Actor, reason: str, now: dt.datetime) -> None:
    registration = await Registration.select().where(Registration.id == application["registration"]).first()
    note = reason or "Withdrew from the cohort"
    await cancel_owed_instalments(application["id"])
    if registration["status"] == RegistrationStatus.CANCELLED:  # the cohort itself was cancelled: nothing left to end
        return
    ended = await transition(
        registration, RegistrationStatus.CANCELLED, kind="withdrew_from_cohort", now=now, actor_id=actor.id, reason=note
    )
    await notify_attendee(
        ended.registration,
        cohort,
        ended.follow_up.email,
        invite=ended.follow_up.invite,
        application=application,
        had_place=True,
    )


async def cohort_summary(actor: Actor, cohort_id: int, now: dt.datetime | None = None) -> dict:
    """Places taken and how many applications wait in each state, for the top of the queue."""
    Actor.require(actor, "staff", STAFF_ONLY)
    cohort = await cohort_row(cohort_id)
    counts = await seat_counts_for(cohort, now or utc_now())
    statuses = await CohortApplication.select(CohortApplication.status).where(CohortApplication.cohort == cohort_id)
    by_status: dict[str, int] = {}
    for row in statuses:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return {
        "cohort": cohort,
        "capacity": counts.capacity,
        "taken": counts.taken,
        "by_status": by_status,
        "questions": await questions_for(cohort["program"]),
    }


async def cohort_row(cohort_id: int) -> dict:
    cohort = await Offering.select().where((Offering.id == cohort_id) & (Offering.kind == "cohort")).first()
    if cohort is None:
        raise NotFound("No such cohort.")
    return cohort
