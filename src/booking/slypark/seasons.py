"""Staff define a season: its program weeks (Monday to Friday), beds by gender, price and rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.clock import format_local, utc_now
from booking.db import is_postgres, write_transaction
from booking.errors import InvalidInput, NotFound
from booking.slypark.tables import Season, Week

MAX_WEEKS = 45
# Any fixed number: the key of the PostgreSQL advisory lock that queues everyone placing weeks on the calendar.
CALENDAR_LOCK_KEY = 7_000_001


STAFF_ONLY = "Only SCOE staff manage Sly Park seasons."


@dataclass
class SeasonInput:
    name: str
    first_week: dt.date  # a Monday
    last_week: dt.date  # a Monday
    boys_beds: int
    girls_beds: int
    price_per_student_cents: int
    deposit_per_student_cents: int
    requests_open_at: dt.datetime | None = None
    requests_close_at: dt.datetime | None = None
    students_per_teacher: int = 12
    students_per_cabin_leader: int = 8
    freeze_days: int = 21
    offer_days: int = 14
    cabin_size: int = 12
    closed_weeks: tuple[dt.date, ...] = ()  # Mondays of holiday weeks


def check_season(data: SeasonInput) -> None:
    errors = {}
    name = " ".join((data.name or "").split())
    if not name or len(name) > 100:
        errors["name"] = "Name the season, for example: 2027-28 school year."
    if data.first_week.weekday() != 0:
        errors["first_week"] = "The first week must start on a Monday."
    if data.last_week.weekday() != 0:
        errors["last_week"] = "The last week must start on a Monday."
    elif data.last_week < data.first_week:
        errors["last_week"] = "The last week comes after the first."
    elif (data.last_week - data.first_week).days // 7 + 1 > MAX_WEEKS:
        errors["last_week"] = f"A season has at most {MAX_WEEKS} weeks."
    for field, value, low, high in (
        ("boys_beds", data.boys_beds, 0, 1000),
        ("girls_beds", data.girls_beds, 0, 1000),
        ("students_per_teacher", data.students_per_teacher, 1, 100),
        ("students_per_cabin_leader", data.students_per_cabin_leader, 1, 100),
        ("freeze_days", data.freeze_days, 0, 120),
        ("offer_days", data.offer_days, 1, 60),
        ("cabin_size", data.cabin_size, 2, 40),
        ("price_per_student_cents", data.price_per_student_cents, 0, 10_000_000),
        ("deposit_per_student_cents", data.deposit_per_student_cents, 0, 10_000_000),
    ):
        if not isinstance(value, int) or not low <= value <= high:
            errors[field] = f"Enter a whole number from {low} to {high}."
    if data.deposit_per_student_cents > data.price_per_student_cents:
        errors["deposit_per_student_cents"] = "The deposit cannot be more than the price."
    if data.requests_open_at and data.requests_close_at and data.requests_close_at <= data.requests_open_at:
        errors["requests_close_at"] = "Requests close after they open."
    if errors:
        raise InvalidInput(errors)


async def lock_calendar() -> None:
    """Queue whoever places weeks on the calendar. A night's beds belong to one season, and the per-week lock
    protects a season's own week, not the calendar: two staff creating overlapping seasons at once would each
    find the calendar free. SQLite's BEGIN IMMEDIATE already lets one writer in at a time."""
    if is_postgres():
        await Season.raw("SELECT pg_advisory_xact_lock({})", CALENDAR_LOCK_KEY)


async def check_calendar_free(first_day: dt.date, last_day: dt.date, *, except_season: int | None = None) -> None:
    """Refuse dates that share a night with a week of another season, naming that season. Call under lock_calendar()."""
    query = Week.select(Week.starts_on, Week.ends_on, Week.season.name.as_alias("season_name")).where(
        (Week.starts_on <= last_day) & (Week.ends_on >= first_day)
    )
    if except_season is not None:
        query = query.where(Week.season != except_season)
    clash = await query.order_by(Week.starts_on).first()
    if clash is not None:
        starts = clash["starts_on"]
        raise InvalidInput(
            {
                "first_week": (
                    f"These weeks overlap “{clash['season_name']}”, which already has the week of "
                    f"{starts:%b} {starts.day}, {starts.year}. A night's beds belong to one season: choose weeks outside it."
                )
            }
        )


async def create_season(actor: Actor, data: SeasonInput) -> int:
    Actor.require(actor, "staff", STAFF_ONLY)
    check_season(data)
    async with write_transaction():
        await lock_calendar()
        if await Season.exists().where(Season.name == " ".join(data.name.split())):
            raise InvalidInput({"name": "A season with that name exists."})
        await check_calendar_free(data.first_week, data.last_week + dt.timedelta(days=4))
        rows = await Season.insert(
            Season(
                name=" ".join(data.name.split()),
                status="draft",
                requests_open_at=data.requests_open_at,
                requests_close_at=data.requests_close_at,
                price_per_student_cents=data.price_per_student_cents,
                deposit_per_student_cents=data.deposit_per_student_cents,
                students_per_teacher=data.students_per_teacher,
                students_per_cabin_leader=data.students_per_cabin_leader,
                freeze_days=data.freeze_days,
                offer_days=data.offer_days,
            )
        ).returning(Season.id)
        season_id = rows[0]["id"]
        monday, weeks = data.first_week, []
        while monday <= data.last_week:
            closed = monday in data.closed_weeks
            weeks.append(
                Week(
                    season=season_id,
                    starts_on=monday,
                    ends_on=monday + dt.timedelta(days=4),
                    boys_beds=data.boys_beds,
                    girls_beds=data.girls_beds,
                    cabin_size=data.cabin_size,
                    closed=closed,
                    closed_reason="Holiday" if closed else "",
                )
            )
            monday += dt.timedelta(days=7)
        await Week.insert(*weeks)
    return season_id


async def get_season(season_id: int) -> dict:
    season = await Season.select().where(Season.id == season_id).first()
    if season is None:
        raise NotFound("No such season.")
    return season


async def weeks_of(season_id: int) -> list[dict]:
    return await Week.select().where(Week.season == season_id).order_by(Week.starts_on)


def requests_window(season: dict, now: dt.datetime) -> str | None:
    """Why a request cannot be filed now, or None when it can."""
    if season["status"] != "requests_open":
        return "This season is not taking week requests."
    if season["requests_open_at"] and now < season["requests_open_at"]:
        return f"Requests open {format_local(season['requests_open_at'])}."
    if season["requests_close_at"] and now >= season["requests_close_at"]:
        return f"Requests closed {format_local(season['requests_close_at'])}."
    return None


SEASON_FLOW = {
    "draft": ("requests_open",),
    "requests_open": ("allocating",),
    "allocating": ("requests_open",),
    "offers_out": ("booking_open",),
    "booking_open": ("closed",),
}


async def set_status(actor: Actor, season_id: int, status: str) -> None:
    """Open requests, close them for allocation, open first-come booking, close the season."""
    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        season = await get_season(season_id)
        if status not in SEASON_FLOW.get(season["status"], ()):
            raise InvalidInput(
                {
                    "status": f"A season that is {season['status'].replace('_', ' ')} cannot become "
                    f"{status.replace('_', ' ')}."
                }
            )
        await Season.update({Season.status: status}).where(Season.id == season_id)


async def set_beds(actor: Actor, week_id: int, boys_beds: int, girls_beds: int, now: dt.datetime | None = None) -> None:
    """Change a week's beds; never below what bookings and live offers already hold."""
    from booking.slypark.beds import bed_use, lock_week

    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    errors = {}
    for field, value in (("boys_beds", boys_beds), ("girls_beds", girls_beds)):
        if not isinstance(value, int) or not 0 <= value <= 1000:
            errors[field] = "Enter a whole number from 0 to 1000."
    if errors:
        raise InvalidInput(errors)
    async with write_transaction():
        await lock_week(week_id)
        use = (await bed_use([week_id], now))[week_id]
        if boys_beds < use.boys:
            errors["boys_beds"] = f"{use.boys} boys' beds are already booked or offered."
        if girls_beds < use.girls:
            errors["girls_beds"] = f"{use.girls} girls' beds are already booked or offered."
        if errors:
            raise InvalidInput(errors)
        await Week.update({Week.boys_beds: boys_beds, Week.girls_beds: girls_beds}).where(Week.id == week_id)


async def published_seasons() -> list[dict]:
    """Seasons coordinators see (every one past draft), newest first."""
    return await Season.select().where(Season.status != "draft").order_by(Season.id, ascending=False)


async def seasons_booking_open() -> list[dict]:
    return await Season.select().where(Season.status == "booking_open").order_by(Season.id)
