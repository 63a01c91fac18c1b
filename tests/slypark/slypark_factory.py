"""Sly Park seasons, schools and requests for tests, made through the real use cases."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.districts import find_district
from booking.accounts.tables import School
from booking.clock import LOCAL_TZ
from booking.slypark.seasons import SeasonInput, create_season, set_status, weeks_of
from booking.slypark.week_requests import RequestInput, file_request
from tests.factories import make_user


def monday(weeks_from_now: int) -> dt.date:
    today = dt.datetime.now(LOCAL_TZ).date()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_from_now)


async def make_season(
    staff: Actor,
    *,
    weeks: int = 4,
    boys_beds: int = 60,
    girls_beds: int = 60,
    first: int = 10,
    status: str = "requests_open",
    freeze_days: int = 21,
    name: str = "2027-28 school year",
) -> dict:
    season_id = await create_season(
        staff,
        SeasonInput(
            name=name,
            first_week=monday(first),
            last_week=monday(first + weeks - 1),
            boys_beds=boys_beds,
            girls_beds=girls_beds,
            price_per_student_cents=42_500,
            deposit_per_student_cents=5_000,
            freeze_days=freeze_days,
        ),
    )
    for step in {"requests_open": ["requests_open"], "draft": []}.get(status, ["requests_open"]):
        await set_status(staff, season_id, step)
    return {"id": season_id, "weeks": [w["id"] for w in await weeks_of(season_id)]}


async def make_school(district_code: str, name: str) -> int:
    district = await find_district(district_code)
    return (await School.insert(School(district=district["id"], name=name, grades="K-6")).returning(School.id))[0]["id"]


async def coordinator(district_code: str = "EGUSD") -> Actor:
    return Actor.from_row(await make_user("coordinator", district=district_code))


async def request_week(
    actor: Actor,
    season: dict,
    school_id: int,
    choices: list[int],
    *,
    boys: int = 20,
    girls: int = 20,
    teachers: int | None = None,
    can_share: bool = True,
    can_split: bool = False,
) -> int:
    teachers = -(-(boys + girls) // 12) if teachers is None else teachers  # one teacher per 12 students
    return await file_request(
        actor,
        season["id"],
        RequestInput(
            school_id=school_id,
            lead_teacher_name="Lee Lead",
            lead_teacher_email="lead@school.example",
            boys=boys,
            girls=girls,
            teachers=teachers,
            choices=choices,
            can_share=can_share,
            can_split=can_split,
        ),
    )
