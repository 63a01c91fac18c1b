"""Bookings: remaining beds first come, first served; headcounts that change until the freeze date.

Every decision about a week's beds takes that week's lock first (PostgreSQL: SELECT ... FOR UPDATE;
SQLite: the writer's lock), counts what confirmed bookings and live offers hold per gender, and
only then writes: two coordinators asking for the last beds at once can never both get them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.tables import School
from booking.accounts.users import validate_email, validate_name
from booking.clock import LOCAL_TZ, utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.slypark.beds import bed_use, lock_week
from booking.slypark.seasons import get_season
from booking.slypark.tables import Booking, BookingEvent, Week

MAX_STUDENTS = 400
BOOKING_COLUMNS = (
    *Booking.all_columns(),
    Booking.school.name.as_alias("school_name"),
    Booking.district.name.as_alias("district_name"),
    Booking.week.starts_on.as_alias("starts_on"),
    Booking.week.ends_on.as_alias("ends_on"),
    Booking.season.name.as_alias("season_name"),
)


def visible_bookings(actor: Actor):
    """Staff see every booking; a coordinator their district's; anyone else none."""
    if actor.is_staff or actor.role == "finance":
        return Booking.id.is_not_null()
    if actor.is_coordinator and actor.district_id is not None:
        return Booking.district == actor.district_id
    return Booking.id.is_null()


async def get_booking(actor: Actor, booking_id: int) -> dict:
    row = await Booking.select(*BOOKING_COLUMNS).where((Booking.id == booking_id) & visible_bookings(actor)).first()
    if row is None:
        raise NotFound("No such booking.")
    return row


async def bookings_for(actor: Actor, season_id: int | None = None) -> list[dict]:
    query = Booking.select(*BOOKING_COLUMNS).where(
        visible_bookings(actor) & Booking.status.is_in(["offered", "confirmed"])
    )
    if season_id is not None:
        query = query.where(Booking.season == season_id)
    return await query.order_by(Booking.week.starts_on).order_by(Booking.id)


def freeze_date(season: dict, starts_on: dt.date) -> dt.date:
    return starts_on - dt.timedelta(days=season["freeze_days"])


def is_frozen(season: dict, starts_on: dt.date, now: dt.datetime) -> bool:
    return now.astimezone(LOCAL_TZ).date() >= freeze_date(season, starts_on)


@dataclass
class Headcount:
    boys: int | None
    girls: int | None
    teachers: int | None


def check_headcount(season: dict, counts: Headcount) -> Headcount:
    errors = {}
    for name in ("boys", "girls", "teachers"):
        value = getattr(counts, name)
        if value is None or not 0 <= value <= MAX_STUDENTS:
            errors[name] = f"Enter how many {name} (0 to {MAX_STUDENTS})."
    if not errors and counts.boys + counts.girls == 0:
        errors["boys"] = "A booking is for students: enter how many boys and girls."
    if not errors:
        needed = -(-(counts.boys + counts.girls) // season["students_per_teacher"])
        if counts.teachers < needed:
            errors["teachers"] = (
                f"Bring at least {needed} teachers: one for every {season['students_per_teacher']} students."
            )
    if errors:
        raise InvalidInput(errors)
    return counts


def lead_teacher(name: str, email: str, errors: dict[str, str]) -> tuple[str, str]:
    """The lead teacher's name and email, cleaned; their problems are added to `errors`."""
    try:
        name = validate_name(name, "lead_teacher_name")
    except InvalidInput:
        name, errors["lead_teacher_name"] = "", "Enter the lead teacher's name."
    try:
        email = validate_email(email, "lead_teacher_email")
    except InvalidInput as error:
        email = ""
        errors.update(error.field_errors)
    return name, email


def _beds_refusal(use, boys: int, girls: int) -> str | None:
    short = []
    if boys > use.boys_left:
        short.append(f"{use.boys_left} boys' beds are left")
    if girls > use.girls_left:
        short.append(f"{use.girls_left} girls' beds are left")
    return "Not enough beds: " + " and ".join(short) + "." if short else None


async def book_remaining(
    actor: Actor,
    week_id: int,
    school_id: int | None,
    counts: Headcount,
    *,
    lead_teacher_name: str,
    lead_teacher_email: str,
    now: dt.datetime | None = None,
) -> int:
    """First come, first served, once the season's offers are settled: a confirmed booking if the beds are there."""
    from booking.slypark.charges import bill_deposit
    from booking.slypark.week_requests import require_coordinator

    require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        week = await lock_week(week_id)
        season = await get_season(week["season"])
        if season["status"] != "booking_open":
            raise Conflict(
                "Remaining beds open for booking once the season's offers are settled.", code="booking_not_open"
            )
        if week["closed"]:
            raise Conflict("That week is closed.", code="week_closed")
        if week["starts_on"] <= now.astimezone(LOCAL_TZ).date():
            raise Conflict("That week has already begun.", code="week_started")
        errors = {}
        school = await School.select().where(School.id == school_id).first() if school_id else None
        if school is None or (actor.is_coordinator and school["district"] != actor.district_id):
            errors["school_id"] = "Choose one of your district's schools."
        lead_teacher_name, lead_teacher_email = lead_teacher(lead_teacher_name, lead_teacher_email, errors)
        try:
            check_headcount(season, counts)
        except InvalidInput as error:
            errors.update(error.field_errors)
        if errors:
            raise InvalidInput(errors)
        use = (await bed_use([week_id], now))[week_id]
        refusal = _beds_refusal(use, counts.boys, counts.girls)
        if refusal:
            raise Conflict(refusal, code="no_beds")
        booking_id = (
            await Booking.insert(
                Booking(
                    season=season["id"],
                    week=week_id,
                    district=school["district"],
                    school=school["id"],
                    status="confirmed",
                    boys=counts.boys,
                    girls=counts.girls,
                    teachers=counts.teachers,
                    lead_teacher_name=lead_teacher_name,
                    lead_teacher_email=lead_teacher_email,
                    created_by=actor.id,
                    created_at=now,
                    confirmed_at=now,
                    cabin_leader_code=secrets.token_urlsafe(12),
                )
            ).returning(Booking.id)
        )[0]["id"]
        await BookingEvent.insert(
            BookingEvent(booking=booking_id, kind="booked", actor=actor.id, note="First come, first served")
        )
        await bill_deposit(booking_id, now)
    return booking_id


async def change_headcount(
    actor: Actor, booking_id: int, counts: Headcount, reason: str = "", now: dt.datetime | None = None
) -> None:
    """Until the freeze date the district changes its numbers (a rise needs the beds); after it, only staff."""
    now = now or utc_now()
    async with write_transaction():
        booking = await get_booking(actor, booking_id)
        actor.require(("staff", "coordinator"), "The district's coordinator or SCOE staff change a booking's numbers.")
        await lock_week(booking["week"])
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await Booking.select(*BOOKING_COLUMNS).where(Booking.id == booking_id).first()
        if booking["status"] != "confirmed":
            raise Conflict(
                "Only a confirmed booking's numbers can change; accept the offer first.", code="not_confirmed"
            )
        season = await get_season(booking["season"])
        if is_frozen(season, booking["starts_on"], now) and not actor.is_staff:
            raise Conflict(
                f"Numbers were fixed on {freeze_date(season, booking['starts_on']):%B %-d, %Y}, "
                f"{season['freeze_days']} days before arrival. Please call the Sly Park office to change them.",
                code="headcount_frozen",
            )
        check_headcount(season, counts)
        use = (await bed_use([booking["week"]], now, except_booking=booking_id))[booking["week"]]
        # `use` leaves this booking out, so what is "left" is the most this booking can hold.
        too_many = [
            f"at most {left} {label}"
            for wanted, had, left, label in (
                (counts.boys, booking["boys"], use.boys_left, "boys"),
                (counts.girls, booking["girls"], use.girls_left, "girls"),
            )
            if wanted > had and wanted > left
        ]
        if too_many:
            raise Conflict(
                "The increase does not fit: this week has beds for " + " and ".join(too_many) + " in this booking.",
                code="no_beds",
            )
        await Booking.update(
            {Booking.boys: counts.boys, Booking.girls: counts.girls, Booking.teachers: counts.teachers}
        ).where(Booking.id == booking_id)
        await BookingEvent.insert(
            BookingEvent(
                booking=booking_id,
                kind="headcount",
                actor=actor.id,
                note=f"{booking['boys']}→{counts.boys} boys, {booking['girls']}→{counts.girls} girls, "
                f"{booking['teachers']}→{counts.teachers} teachers. {reason}".strip(),
            )
        )


async def week_by_id(week_id: int) -> dict:
    week = await Week.select().where(Week.id == week_id).first()
    if week is None:
        raise NotFound("No such week.")
    return week
