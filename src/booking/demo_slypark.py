"""Demo Sly Park data for `make run`: a season taking week requests and a spring season with a booking.

Staff can run the allocation on the first season's requests and publish offers; coordinators see
their requests, and Elk Grove's coordinator has a confirmed spring week to open. Idempotent:
seasons are keyed by name, requests by season and school.
"""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import School, User
from booking.clock import LOCAL_TZ
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.family_links import issue_links
from booking.slypark.intake import StudentInput, save_grid
from booking.slypark.seasons import SeasonInput, create_season, weeks_of
from booking.slypark.tables import Booking, Season, WeekRequest
from booking.slypark.week_requests import RequestInput, file_request

REQUEST_SEASON = "2027-28 school year"
SPRING_SEASON = "Spring 2027"
# (coordinator, school, boys, girls, teachers, choice positions in the season, can share, can split)
DEMO_REQUESTS = [
    ("coordinator@egusd.example", "Florin Elementary", 34, 31, 6, (22, 23, 24), True, False),
    ("coordinator@egusd.example", "Elk Grove Elementary", 45, 48, 8, (22, 21, 26), True, True),
    ("coordinator@egusd.example", "Pleasant Grove Elementary", 28, 30, 5, (23, 22), False, False),
    ("coordinator@sanjuan.example", "Carmichael Elementary", 40, 38, 7, (22, 23, 25, 26), True, False),
    ("coordinator@sanjuan.example", "Del Paso Manor Elementary", 25, 27, 5, (24, 25), True, False),
]


def next_monday(after: dt.date, weeks: int = 0) -> dt.date:
    return after + dt.timedelta(days=(7 - after.weekday()) % 7 or 7) + dt.timedelta(weeks=weeks)


async def _actor(email: str) -> Actor:
    return Actor.from_row(await User.select().where(User.email == email).first())


async def _school(name: str) -> dict:
    return await School.select().where(School.name == name).first()


async def load_demo_slypark() -> None:
    staff = await _actor("staff@scoe.example")
    today = dt.datetime.now(LOCAL_TZ).date()
    if not await Season.exists().where(Season.name == REQUEST_SEASON):
        # After the spring season's last week (next_monday(today, 10)): a night's beds belong to one season.
        first = next_monday(today, 12)
        season_id = await create_season(
            staff,
            SeasonInput(
                name=REQUEST_SEASON,
                first_week=first,
                last_week=first + dt.timedelta(weeks=29),
                boys_beds=90,
                girls_beds=90,
                price_per_student_cents=42_500,
                deposit_per_student_cents=5_000,
                cabin_size=12,
                closed_weeks=(first + dt.timedelta(weeks=5), first + dt.timedelta(weeks=6)),  # a holiday break
            ),
        )
        await Season.update({Season.status: "requests_open"}).where(Season.id == season_id)
    season = await Season.select().where(Season.name == REQUEST_SEASON).first()
    weeks = [w for w in await weeks_of(season["id"])]
    for email, school_name, boys, girls, teachers, positions, share, split in DEMO_REQUESTS:
        school = await _school(school_name)
        if school is None or await WeekRequest.exists().where(
            (WeekRequest.season == season["id"]) & (WeekRequest.school == school["id"])
        ):
            continue
        if season["status"] != "requests_open":
            continue
        await file_request(
            await _actor(email),
            season["id"],
            RequestInput(
                school_id=school["id"],
                lead_teacher_name="Morgan Lead-Teacher",
                lead_teacher_email="lead@school.example",
                boys=boys,
                girls=girls,
                teachers=teachers,
                choices=[weeks[p]["id"] for p in positions if p < len(weeks) and not weeks[p]["closed"]],
                can_share=share,
                can_split=split,
            ),
        )

    if not await Season.exists().where(Season.name == SPRING_SEASON):
        first = next_monday(today, 5)
        spring_id = await create_season(
            staff,
            SeasonInput(
                name=SPRING_SEASON,
                first_week=first,
                last_week=first + dt.timedelta(weeks=5),
                boys_beds=80,
                girls_beds=80,
                price_per_student_cents=42_500,
                deposit_per_student_cents=5_000,
            ),
        )
        await Season.update({Season.status: "booking_open"}).where(Season.id == spring_id)
    spring = await Season.select().where(Season.name == SPRING_SEASON).first()
    florin = await _school("Florin Elementary")
    if florin and not await Booking.exists().where((Booking.season == spring["id"]) & (Booking.school == florin["id"])):
        first_week = (await weeks_of(spring["id"]))[0]
        coordinator = await _actor("coordinator@egusd.example")
        booking_id = await book_remaining(
            coordinator,
            first_week["id"],
            florin["id"],
            Headcount(32, 29, 6),
            lead_teacher_name="Morgan Lead-Teacher",
            lead_teacher_email="lead@school.example",
        )
        # A few students of the list, with their families' private links to the health form.
        await save_grid(
            coordinator,
            booking_id,
            [
                StudentInput("Ana", "Lopez", "girl", "vegetarian"),
                StudentInput("Ben", "Nguyen", "boy"),
                StudentInput("Cruz", "Diaz", "boy"),
            ],
        )
        await issue_links(coordinator, booking_id)
    await load_demo_scholarships(spring, florin)


async def load_demo_scholarships(spring: dict, florin: dict | None) -> None:
    """The spring season's scholarship fund, and Florin Elementary's request waiting for staff's decision."""
    from booking.slypark.scholarship_tables import ScholarshipRequest
    from booking.slypark.scholarships import ScholarshipAsk, ask_for_scholarship, fund_of_season, set_budget

    if await fund_of_season(spring["id"]) is None:
        await set_budget(await _actor("finance@scoe.example"), spring["id"], "25000")
    booking = (
        await Booking.select(Booking.id)
        .where((Booking.season == spring["id"]) & (Booking.school == florin["id"]))
        .first()
        if florin
        else None
    )
    if booking and not await ScholarshipRequest.exists().where(ScholarshipRequest.booking == booking["id"]):
        await ask_for_scholarship(
            await _actor("coordinator@egusd.example"),
            booking["id"],
            ScholarshipAsk(
                students="8",
                kind="full",
                amount_each="",
                reason="Eight families qualify for free lunch and cannot pay the fee this spring.",
            ),
        )
