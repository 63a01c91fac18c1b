"""A calendar night's beds at Sly Park belong to one season: seasons and their weeks cannot overlap (issue 13).

On both engines: an overlapping season is refused with a message naming the other season (use case and
staff page), two overlapping seasons created at the same moment leave exactly one, the database refuses
an overlapping week written by anything else, and the demo data has no night in two seasons.

Concurrency: on PostgreSQL the calls run on separate pooled connections, so their READ COMMITTED
transactions really overlap; without the calendar's advisory lock (`seasons.lock_calendar`) both find the
calendar free. On SQLite, BEGIN IMMEDIATE lets one writer in at a time.
"""

from __future__ import annotations

import asyncio

import pytest

from booking.errors import InvalidInput
from booking.slypark.seasons import SeasonInput, create_season
from booking.slypark.tables import Season, Week
from tests.payments.test_money_invariants import start_pool
from tests.slypark.slypark_factory import make_season, monday
from tests.slypark.test_staff_pages import as_role, post, season_form
from tests.workshop_factory import staff_actor


def season(name: str, first: int, weeks: int) -> SeasonInput:
    return SeasonInput(
        name=name,
        first_week=monday(first),
        last_week=monday(first + weeks - 1),
        boys_beds=90,
        girls_beds=90,
        price_per_student_cents=42_500,
        deposit_per_student_cents=5_000,
    )


async def test_a_season_overlapping_another_is_refused_naming_it(db):
    staff = await staff_actor()
    await create_season(staff, season("Spring 2027", 10, 6))  # weeks 10..15
    for first, weeks in ((15, 3), (5, 6), (12, 1), (8, 20)):  # the last week, the first, one inside, all around
        with pytest.raises(InvalidInput) as refused:
            await create_season(staff, season(f"Other {first}", first, weeks))
        assert "Spring 2027" in refused.value.field_errors["first_week"]
    assert await Season.count() == 1 and await Week.count() == 6
    # Right before and right after is fine: no night is shared.
    await create_season(staff, season("Winter 2027", 4, 6))
    await create_season(staff, season("Summer 2027", 16, 2))
    assert await Week.count() == 14


async def test_the_staff_page_refuses_an_overlapping_season_with_its_name(client):
    staff = await as_role(client, "staff")
    await create_season(staff, season("Spring 2027", 1, 45))  # the next 45 weeks
    seasons_before, weeks_before = await Season.count(), await Week.count()
    form = season_form(
        first_week=str(monday(3)), last_week=str(monday(5)), closed_weeks="", requests_open_at="", requests_close_at=""
    )
    response = await post(client, "/staff/slypark/new", form)
    assert response.status_code == 422, response.text[:500]
    assert "overlap" in response.text and "Spring 2027" in response.text
    assert (await Season.count(), await Week.count()) == (seasons_before, weeks_before)


@pytest.mark.parametrize("attempts", [4])
async def test_overlapping_seasons_created_at_once_leave_exactly_one(db, attempts):
    staff = await staff_actor()
    await start_pool(Season._meta.db)
    results = await asyncio.gather(
        *[create_season(staff, season(f"Season {n}", 10 + n % 3, 3)) for n in range(attempts)], return_exceptions=True
    )
    winners = [result for result in results if isinstance(result, int)]
    assert len(winners) == 1, results
    assert all(
        isinstance(result, InvalidInput) and "overlap" in result.field_errors["first_week"]
        for result in results
        if not isinstance(result, int)
    ), results
    assert await Season.count() == 1 and await Week.count() == 3


async def test_the_database_refuses_an_overlapping_week_written_by_anything_else(db):
    staff = await staff_actor()
    made = await make_season(staff, weeks=2, first=10)
    other = await make_season(staff, weeks=1, first=20, name="Later season")
    week = await Week.select().where(Week.id == made["weeks"][0]).first()
    with pytest.raises(Exception, match="cannot overlap"):
        await Week.insert(Week(season=other["id"], starts_on=week["starts_on"], ends_on=week["ends_on"]))
    with pytest.raises(Exception, match="cannot overlap"):
        await Week.update({Week.starts_on: week["starts_on"], Week.ends_on: week["ends_on"]}).where(
            Week.id == other["weeks"][0]
        )
    # Beds and closures of a week are still changed freely.
    await Week.update({Week.boys_beds: 10, Week.closed: True}).where(Week.id == week["id"])
    assert await Week.count() == 3


async def test_the_demo_data_has_no_night_in_two_seasons(db):
    from booking.demo import load_demo_data

    await load_demo_data()
    weeks = await Week.select(Week.season, Week.starts_on, Week.ends_on).order_by(Week.starts_on)
    assert len({week["season"] for week in weeks}) >= 2
    for earlier, later in zip(weeks, weeks[1:]):
        assert earlier["ends_on"] < later["starts_on"], (earlier, later)
