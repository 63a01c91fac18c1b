"""From requests to bookings: file, allocate, publish offers, accept or decline, book what is left, change numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.clock import LOCAL_TZ
from booking.errors import Conflict, InvalidInput, NotFound
from booking.slypark import allocation_runs, offers
from booking.slypark.bookings import Headcount, book_remaining, bookings_for, change_headcount, get_booking
from booking.slypark.charges import bill_balances, charges_of
from booking.slypark.seasons import set_status
from booking.slypark.tables import Booking, WeekRequest
from booking.slypark.week_requests import RequestInput, file_request, requests_for
from tests.slypark.slypark_factory import coordinator, make_school, make_season, request_week
from tests.workshop_factory import staff_actor


async def test_requests_are_checked_and_scoped_to_the_coordinators_district(db):
    staff = await staff_actor()
    season = await make_season(staff)
    egusd, sanjuan = await coordinator("EGUSD"), await coordinator("SJUSD")
    egusd_school, sanjuan_school = (
        await make_school("EGUSD", "Elk Grove Elementary"),
        await make_school("SJUSD", "Arden Elementary"),
    )
    with pytest.raises(InvalidInput) as bad:
        await file_request(
            egusd,
            season["id"],
            RequestInput(
                school_id=sanjuan_school,
                lead_teacher_name="",
                lead_teacher_email="x",
                boys=-1,
                girls=None,
                teachers=0,
                choices=[season["weeks"][0], season["weeks"][0]],
            ),
        )
    assert set(bad.value.field_errors) >= {
        "school_id",
        "lead_teacher_name",
        "lead_teacher_email",
        "boys",
        "girls",
        "choice_1",
    }
    with pytest.raises(InvalidInput) as too_few_teachers:
        await request_week(egusd, season, egusd_school, season["weeks"][:2], boys=30, girls=30, teachers=2)
    assert "at least 5 teachers" in too_few_teachers.value.field_errors["teachers"]
    assert await WeekRequest.count() == 0

    await request_week(egusd, season, egusd_school, season["weeks"][:3])
    with pytest.raises(Conflict, match="already has a request"):
        await request_week(egusd, season, egusd_school, season["weeks"][:1])
    await request_week(sanjuan, season, sanjuan_school, season["weeks"][1:3])
    assert [r["school_name"] for r in await requests_for(egusd, season["id"])] == ["Elk Grove Elementary"]
    assert len(await requests_for(staff, season["id"])) == 2


async def test_allocation_offers_accept_decline_and_first_come_booking(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=3, boys_beds=40, girls_beds=40)
    w1, w2, w3 = season["weeks"]
    egusd = await coordinator("EGUSD")
    a, b, c = [await make_school("EGUSD", name) for name in ("Alpha", "Bravo", "Charlie")]
    ra = await request_week(egusd, season, a, [w1, w2], boys=30, girls=25)
    rb = await request_week(egusd, season, b, [w1, w3], boys=20, girls=20)
    rc = await request_week(egusd, season, c, [w1], boys=35, girls=35)
    run_id = await allocation_runs.run_allocation(staff, season["id"])
    run = await allocation_runs.get_run(run_id)
    assert run["status"] == "optimal"
    placed = {o["request_id"]: [p["week_id"] for p in o["parts"]] for o in run["outcomes"]}
    for week_id in (w1, w2, w3):
        boys = sum(p["boys"] for o in run["outcomes"] for p in o["parts"] if p["week_id"] == week_id)
        assert boys <= 40

    offers_made = await allocation_runs.publish(staff, run_id)
    assert offers_made == sum(len(weeks) for weeks in placed.values())
    with pytest.raises(Conflict):
        await allocation_runs.publish(staff, run_id)
    offered = {b["request"]: b for b in await bookings_for(egusd, season["id"])}
    accepted_request, declined_request = sorted(offered)[:2]
    await offers.accept_offer(egusd, offered[accepted_request]["id"])
    await offers.decline_offer(egusd, offered[declined_request]["id"], reason="Testing week conflicts")
    statuses = {r["id"]: r["status"] for r in await WeekRequest.select(WeekRequest.id, WeekRequest.status)}
    assert statuses[accepted_request] == "accepted" and statuses[declined_request] == "declined"
    deposit = await charges_of(offered[accepted_request]["id"])
    assert [(c["kind"], c["amount_cents"]) for c in deposit] == [
        ("deposit", (offered[accepted_request]["boys"] + offered[accepted_request]["girls"]) * 5_000)
    ]
    with pytest.raises(Conflict):
        await offers.accept_offer(egusd, offered[declined_request]["id"])

    # Another district cannot see or answer these offers.
    other = await coordinator("SJUSD")
    with pytest.raises(NotFound):
        await offers.accept_offer(other, offered[accepted_request]["id"])

    await set_status(staff, season["id"], "booking_open")
    d = await make_school("EGUSD", "Delta")
    booked = await book_remaining(
        egusd, w3, d, Headcount(5, 5, 1), lead_teacher_name="Dee", lead_teacher_email="dee@school.example"
    )
    assert (await get_booking(egusd, booked))["status"] == "confirmed"
    with pytest.raises(Conflict, match="Not enough beds"):
        await book_remaining(
            egusd, w3, d, Headcount(40, 0, 4), lead_teacher_name="Dee", lead_teacher_email="dee@school.example"
        )
    assert {ra, rb, rc} >= set(placed)


async def test_headcounts_change_until_the_freeze_date_and_increases_need_beds(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2, boys_beds=30, girls_beds=30, first=5, freeze_days=21)
    w1, _ = season["weeks"]
    egusd = await coordinator("EGUSD")
    school = await make_school("EGUSD", "Echo")
    await set_status(staff, season["id"], "allocating")
    season_row = {"id": season["id"]}
    from booking.slypark.tables import Season

    await Season.update({Season.status: "booking_open"}).where(Season.id == season_row["id"])
    booking_id = await book_remaining(
        egusd, w1, school, Headcount(20, 20, 4), lead_teacher_name="Eve", lead_teacher_email="eve@school.example"
    )
    await change_headcount(egusd, booking_id, Headcount(25, 18, 4))
    with pytest.raises(Conflict, match="does not fit"):
        await change_headcount(egusd, booking_id, Headcount(31, 18, 5))
    with pytest.raises(InvalidInput):
        await change_headcount(egusd, booking_id, Headcount(25, 18, 1))
    row = await Booking.select().where(Booking.id == booking_id).first()
    assert (row["boys"], row["girls"], row["teachers"]) == (25, 18, 4)

    starts_on = (await get_booking(egusd, booking_id))["starts_on"]
    frozen_day = dt.datetime.combine(starts_on - dt.timedelta(days=20), dt.time(12), tzinfo=LOCAL_TZ)
    day_before_freeze = dt.datetime.combine(starts_on - dt.timedelta(days=22), dt.time(12), tzinfo=LOCAL_TZ)
    await change_headcount(egusd, booking_id, Headcount(25, 18, 4), now=day_before_freeze)
    with pytest.raises(Conflict, match="Numbers were fixed"):
        await change_headcount(egusd, booking_id, Headcount(24, 18, 4), now=frozen_day)
    await change_headcount(staff, booking_id, Headcount(24, 17, 4), reason="Two students sick", now=frozen_day)
    assert await bill_balances(frozen_day) == 1
    assert await bill_balances(frozen_day) == 0  # once
    balance = [c for c in await charges_of(booking_id) if c["kind"] == "balance"][0]
    assert balance["students"] == 41 and balance["amount_cents"] == 41 * 42_500 - 40 * 5_000
