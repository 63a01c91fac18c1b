"""A district coordinator's request for a school's week: students by gender, teachers, ranked weeks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.accounts.tables import District, School, User
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.fields import is_ascii_digits
from booking.slypark.bookings import lead_teacher
from booking.slypark.request_lifecycle import RequestStatus, move_request
from booking.slypark.seasons import get_season, requests_window
from booking.slypark.tables import Week, WeekRequest

MAX_CHOICES = 5
MAX_STUDENTS = 400
REQUEST_COLUMNS = (
    *WeekRequest.all_columns(),
    WeekRequest.school.name.as_alias("school_name"),
    WeekRequest.district.name.as_alias("district_name"),
    WeekRequest.district.county.as_alias("district_county"),
)


@dataclass
class RequestInput:
    school_id: int | None
    lead_teacher_name: str = ""
    lead_teacher_email: str = ""
    boys: int | None = None
    girls: int | None = None
    teachers: int | None = None
    choices: list[int | None] = field(default_factory=list)  # week ids, most wanted first; blanks ignored
    can_share: bool = True
    can_split: bool = False


def require_coordinator(actor: Actor | None) -> None:
    if (
        actor is None
        or not (actor.is_coordinator or actor.is_staff)
        or (actor.is_coordinator and actor.district_id is None)
    ):
        raise Forbidden("District coordinators request Sly Park weeks for their schools.")


def choice_ids(raw: str) -> list[int]:
    return [
        int(part)
        for part in (part.strip() for part in (raw or "").split(","))
        if is_ascii_digits(part) and len(part) < 12
    ]


async def check_request(actor: Actor, season: dict, data: RequestInput) -> dict:
    errors: dict[str, str] = {}
    school = None
    if data.school_id is None:
        errors["school_id"] = "Choose the school."
    else:
        school = await School.select().where(School.id == data.school_id).first()
        if school is None or (actor.is_coordinator and school["district"] != actor.district_id):
            errors["school_id"] = "Choose one of your district's schools."
    name, email = lead_teacher(data.lead_teacher_name, data.lead_teacher_email, errors)
    counts = {}
    for field_name, value, label in (
        ("boys", data.boys, "boys"),
        ("girls", data.girls, "girls"),
        ("teachers", data.teachers, "teachers"),
    ):
        if value is None or not 0 <= value <= MAX_STUDENTS:
            errors[field_name] = f"Enter how many {label} (0 to {MAX_STUDENTS})."
        counts[field_name] = value or 0
    if not errors.get("boys") and not errors.get("girls") and counts["boys"] + counts["girls"] == 0:
        errors["boys"] = "A week is for students: enter how many boys and girls."
    if not errors.get("teachers") and counts["boys"] + counts["girls"] > 0:
        needed = -(-(counts["boys"] + counts["girls"]) // season["students_per_teacher"])
        if counts["teachers"] < needed:
            errors["teachers"] = (
                f"Bring at least {needed} teachers: one for every {season['students_per_teacher']} students."
            )
    choices = [choice for choice in data.choices if choice is not None]
    season_weeks = {w["id"]: w for w in await Week.select().where(Week.season == season["id"])}
    if not choices:
        errors["choice_1"] = "Choose at least one week."
    elif len(choices) > MAX_CHOICES:
        errors["choice_1"] = f"Choose at most {MAX_CHOICES} weeks."
    elif len(set(choices)) != len(choices):
        errors["choice_1"] = "Choose each week once."
    else:
        for index, week_id in enumerate(choices, start=1):
            week = season_weeks.get(week_id)
            if week is None:
                errors[f"choice_{index}"] = "Choose a week of this season."
            elif week["closed"]:
                errors[f"choice_{index}"] = "That week is closed; choose another."
    if errors:
        raise InvalidInput(errors)
    return {
        "school": school,
        "lead_teacher_name": name,
        "lead_teacher_email": email,
        **counts,
        "choices": ",".join(str(c) for c in choices),
        "can_share": bool(data.can_share),
        "can_split": bool(data.can_split),
    }


async def file_request(actor: Actor, season_id: int, data: RequestInput, now: dt.datetime | None = None) -> int:
    require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        season = await get_season(season_id)
        closed = requests_window(season, now)
        if closed:
            raise Conflict(closed, code="requests_closed")
        values = await check_request(actor, season, data)
        school = values.pop("school")
        await lock_rows_for_update(School, School.id == school["id"])
        if await WeekRequest.exists().where(
            (WeekRequest.season == season_id)
            & (WeekRequest.school == school["id"])
            & (WeekRequest.status != "withdrawn")
        ):
            raise Conflict(
                f"{school['name']} already has a request this season; change that one instead.",
                code="already_requested",
            )
        district = await District.select(District.county).where(District.id == school["district"]).first()
        rows = await WeekRequest.insert(
            WeekRequest(
                season=season_id,
                district=school["district"],
                school=school["id"],
                submitted_by=actor.id,
                tier=0 if district and district["county"] == "Sacramento" else 1,
                submitted_at=now,
                updated_at=now,
                **values,
            )
        ).returning(WeekRequest.id)
    return rows[0]["id"]


def visible_requests(actor: Actor):
    """Coordinators see their district's requests; staff see all; nobody else any."""
    if actor.is_staff:
        return WeekRequest.id.is_not_null()
    if actor.is_coordinator and actor.district_id is not None:
        return WeekRequest.district == actor.district_id
    return WeekRequest.id.is_null()


async def requests_for(actor: Actor, season_id: int) -> list[dict]:
    return (
        await WeekRequest.select(*REQUEST_COLUMNS)
        .where((WeekRequest.season == season_id) & visible_requests(actor))
        .order_by(WeekRequest.submitted_at)
        .order_by(WeekRequest.id)
    )


async def get_request(actor: Actor, request_id: int) -> dict:
    row = (
        await WeekRequest.select(*REQUEST_COLUMNS)
        .where((WeekRequest.id == request_id) & visible_requests(actor))
        .first()
    )
    if row is None:
        raise NotFound("No such request.")
    return row


async def change_request(actor: Actor, request_id: int, data: RequestInput, now: dt.datetime | None = None) -> None:
    """A coordinator corrects their request while requests are taken and it still waits for the allocation.
    The status is not moved (request_lifecycle owns that): the change is written only if the request is still
    'submitted' when it lands, so an allocation published meanwhile wins and the coordinator is told."""
    require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        await lock_rows_for_update(WeekRequest, WeekRequest.id == request_id)
        request = await get_request(actor, request_id)
        if request["status"] != RequestStatus.SUBMITTED:
            raise Conflict("Only a request still waiting for the allocation can be changed.", code="not_changeable")
        season = await get_season(request["season"])
        closed = requests_window(season, now)
        if closed:
            raise Conflict(f"{closed} The request can no longer be changed.", code="requests_closed")
        # The school stays: a request is the school's (another school files its own).
        values = await check_request(actor, season, dataclasses.replace(data, school_id=request["school"]))
        values.pop("school")
        changed = (
            await WeekRequest.update(
                {**{getattr(WeekRequest, k): v for k, v in values.items()}, WeekRequest.updated_at: now}
            )
            .where((WeekRequest.id == request_id) & (WeekRequest.status == RequestStatus.SUBMITTED.value))
            .returning(WeekRequest.id)
        )
        if not changed:
            raise Conflict("This request changed meanwhile; reload the page.", code="request_changed")


async def open_request_of_school(actor: Actor, season_id: int, school_id: int | None) -> dict | None:
    """The school's live request this season, if this person sees it (for "change that one instead")."""
    if school_id is None:
        return None
    return (
        await WeekRequest.select(WeekRequest.id, WeekRequest.status)
        .where(
            (WeekRequest.season == season_id)
            & (WeekRequest.school == school_id)
            & (WeekRequest.status != "withdrawn")
            & visible_requests(actor)
        )
        .first()
    )


async def withdraw_request(actor: Actor, request_id: int, now: dt.datetime | None = None) -> None:
    require_coordinator(actor)
    async with write_transaction():
        await lock_rows_for_update(WeekRequest, WeekRequest.id == request_id)
        request = await get_request(actor, request_id)
        if request["status"] != "submitted":
            raise Conflict(
                "Only a request still waiting for the allocation can be withdrawn; decline its offer instead.",
                code="not_withdrawable",
            )
        await move_request(request, RequestStatus.WITHDRAWN, now or utc_now())


async def set_priority(
    actor: Actor,
    request_id: int,
    *,
    tier: int | None = None,
    returning_school: bool | None = None,
    pinned_week: int | None = None,
    unpin: bool = False,
    excluded: bool | None = None,
) -> None:
    """Staff: priority tier, returning school, pin to a week, or exclude from the next allocation run."""
    from booking.slypark.seasons import STAFF_ONLY

    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        request = await get_request(actor, request_id)
        values = {}
        if tier is not None:
            if not 0 <= tier <= 5:
                raise InvalidInput({"tier": "Choose a priority from 0 (first) to 5."})
            values[WeekRequest.tier] = tier
        if returning_school is not None:
            values[WeekRequest.returning_school] = returning_school
        if excluded is not None:
            values[WeekRequest.excluded] = excluded
        if unpin:
            values[WeekRequest.pinned_week] = None
        elif pinned_week is not None:
            week = await Week.select().where((Week.id == pinned_week) & (Week.season == request["season"])).first()
            if week is None or week["closed"]:
                raise InvalidInput({"pinned_week": "Choose an open week of this season."})
            values[WeekRequest.pinned_week] = pinned_week
        if values:
            await WeekRequest.update(values).where(WeekRequest.id == request_id)


async def coordinator_emails(district_id: int) -> list[dict]:
    return await User.select(User.email, User.name).where(
        (User.role == "coordinator") & (User.district == district_id) & (User.is_active == True)
    )
