"""Closing a lost week: schools are offered their best remaining week in priority order; bookings move whole."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.clock import utc_now
from booking.errors import Conflict, Forbidden, InvalidInput
from booking.notifications.tables import OutboxMessage
from booking.slypark import allocation_runs, offers
from booking.slypark.beds import bed_use
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.charges import charges_of
from booking.slypark.seasons import set_status
from booking.slypark.tables import Booking, BookingEvent, Season, Student, Week, WeekRequest
from booking.slypark.week_closure import NO_WEEK_REASON, close_week
from booking.slypark.week_requests import set_priority
from tests.factories import make_user, post_form, signed_in
from tests.slypark.slypark_factory import coordinator, make_school, make_season, request_week
from tests.workshop_factory import staff_actor


async def open_first_come(staff, season: dict) -> None:
    await set_status(staff, season["id"], "allocating")
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])


async def book(actor, week_id: int, school_id: int, boys: int, girls: int) -> int:
    return await book_remaining(
        actor,
        week_id,
        school_id,
        Headcount(boys, girls, -(-(boys + girls) // 12)),
        lead_teacher_name="Lee Lead",
        lead_teacher_email="lead@school.example",
    )


async def booking_row(booking_id: int) -> dict:
    return await Booking.select().where(Booking.id == booking_id).first()


async def test_closing_a_week_moves_its_bookings_in_priority_order_within_beds_per_gender(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=3, boys_beds=50, girls_beds=50)
    w1, w2, w3 = season["weeks"]
    egusd = await coordinator("EGUSD")
    a, b, c, d, e = [await make_school("EGUSD", name) for name in ("Alder", "Birch", "Cedar", "Dogwood", "Elm")]
    ra = await request_week(egusd, season, a, [w1, w2], boys=15, girls=15)  # submitted first, tier 1
    rb = await request_week(egusd, season, b, [w1, w2], boys=15, girls=15)  # later, but tier 0
    rc = await request_week(egusd, season, c, [w1], boys=10, girls=11)
    await set_priority(staff, ra, tier=1)
    await set_priority(staff, rb, tier=0)
    await set_priority(staff, rc, tier=1)
    await set_status(staff, season["id"], "allocating")
    run_id = await allocation_runs.run_allocation(staff, season["id"])
    await allocation_runs.publish(staff, run_id)
    by_request = {row["request"]: row["id"] for row in await Booking.select(Booking.id, Booking.request)}
    assert {row["week"] for row in await Booking.select(Booking.week)} == {w1}
    booking_a, booking_b, booking_c = by_request[ra], by_request[rb], by_request[rc]
    await offers.accept_offer(egusd, booking_a)
    await offers.accept_offer(egusd, booking_b)  # Cedar's offer stays open: it holds beds and moves too
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    booking_d = await book(egusd, w1, d, 5, 5)  # no request: comes after every request
    await book(egusd, w2, e, 25, 25)  # w2 has 25 boys' and 25 girls' beds left: one of Alder or Birch
    await Student.insert(
        *[
            Student(
                booking=booking_a,
                first_name=f"Kid{n}",
                last_name="Alder",
                gender="boy" if n % 2 else "girl",
                medical_notes="Asthma" if n == 1 else "",
            )
            for n in range(4)
        ]
    )
    deposit_before = await charges_of(booking_a)
    await OutboxMessage.delete(force=True)

    outcomes = await close_week(staff, w1, "  No staff:   flu outbreak ")

    week = await Week.select().where(Week.id == w1).first()
    assert week["closed"] and week["closed_reason"] == "No staff: flu outbreak"
    # Priority order: tier 0 (Birch) first, then tier 1 by submission (Alder, Cedar), then the booking without a request.
    assert [o.booking_id for o in outcomes] == [booking_b, booking_a, booking_c, booking_d]
    moved = {o.booking_id: (o.moved_to or {}).get("id") for o in outcomes}
    assert moved[booking_b] == w2  # its second choice had the beds
    assert moved[booking_a] == w3  # w2 had only 10 boys' beds left after Birch: the nearest open week
    assert moved[booking_c] == w3  # w2 had 10 boys' beds (enough) but only 10 girls' beds for 11 girls
    assert moved[booking_d] == w2  # 5 boys and 5 girls: the nearest week, w2, still had 10 and 10
    use = await bed_use([w1, w2, w3], utc_now())
    for week_id in (w2, w3):
        assert use[week_id].boys <= 50 and use[week_id].girls <= 50
    assert (use[w2].boys, use[w2].girls) == (45, 45) and (use[w3].boys, use[w3].girls) == (25, 26)
    assert (use[w1].boys, use[w1].girls) == (0, 0)

    # The booking moved whole: same row, its students and charges, a fresh offer and a recorded reason.
    a_row = await booking_row(booking_a)
    assert a_row["week"] == w3 and a_row["status"] == "offered"
    assert a_row["offer_expires_at"] - utc_now() > dt.timedelta(days=13)
    assert await Student.count().where(Student.booking == booking_a) == 4
    assert await charges_of(booking_a) == deposit_before
    event = (
        await BookingEvent.select().where((BookingEvent.booking == booking_a) & (BookingEvent.kind == "moved")).first()
    )
    assert "No staff: flu outbreak" in event["note"]
    assert (await WeekRequest.select(WeekRequest.status).where(WeekRequest.id == ra).first())["status"] == "offered"
    await offers.accept_offer(egusd, booking_a)  # the coordinator accepts the new week
    assert (await booking_row(booking_a))["status"] == "confirmed"

    mails = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text)
    assert len(mails) == 4 and {m["to_address"] for m in mails} == {egusd.email}
    alder = [m for m in mails if "Alder" in m["subject"]][0]
    assert alder["subject"] == "Sly Park week closed: Alder, another week offered"
    w3_row = await Week.select().where(Week.id == w3).first()
    assert f"{w3_row['starts_on']:%A, %B %-d}" in alder["body_text"] and "accept or decline" in alder["body_text"]
    assert "flu outbreak" in alder["body_text"]

    with pytest.raises(Conflict, match="already closed"):
        await close_week(staff, w1, "Again")


async def test_a_booking_no_week_can_take_is_released_and_told_so(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2, boys_beds=20, girls_beds=20)
    w1, w2 = season["weeks"]
    egusd = await coordinator("EGUSD")
    a, b = await make_school("EGUSD", "Aspen"), await make_school("EGUSD", "Beech")
    await open_first_come(staff, season)
    booking_a = await book(egusd, w1, a, 10, 10)
    await book(egusd, w2, b, 15, 5)  # boys' beds short in w2 (5 left for 10 boys), girls' would fit

    outcomes = await close_week(staff, w1, "Snow storm")

    assert [(o.booking_id, o.moved_to) for o in outcomes] == [(booking_a, None)]
    row = await booking_row(booking_a)
    assert row["status"] == "released" and row["week"] == w1 and row["release_reason"] == NO_WEEK_REASON
    mail = await OutboxMessage.select().where(OutboxMessage.to_address == egusd.email).first()
    assert mail["subject"] == "Sly Park week closed: Aspen"
    assert "No other week this season has beds" in mail["body_text"]


async def test_closing_needs_staff_and_a_reason_and_changes_nothing_otherwise(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    w1 = season["weeks"][0]
    with pytest.raises(Forbidden):
        await close_week(await coordinator("EGUSD"), w1, "Rain")
    with pytest.raises(InvalidInput) as bad:
        await close_week(staff, w1, "   ")
    assert "reason" in bad.value.field_errors
    assert not (await Week.select().where(Week.id == w1).first())["closed"]


async def test_the_close_form_confirms_validates_and_summarises(client):
    staff_user = await make_user("staff")
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    w1, w2 = season["weeks"]
    egusd = await coordinator("EGUSD")
    school = await make_school("EGUSD", "Cypress Elementary")
    await open_first_come(staff, season)
    booking_id = await book(egusd, w1, school, 12, 12)
    await signed_in(client, staff_user)
    roster = f"/staff/slypark/weeks/{w1}/roster"
    page = await client.get(roster)
    assert page.status_code == 200 and "Close this week" in page.text

    bad = await post_form(client, f"/staff/slypark/weeks/{w1}/close", {"reason": "  "}, token_from=roster)
    assert bad.status_code == 422
    assert 'id="close-reason"' in bad.text and 'aria-invalid="true"' in bad.text and "There is a problem" in bad.text
    assert "Tick the box" in bad.text and "Say why the week is closed" in bad.text
    unconfirmed = await post_form(
        client, f"/staff/slypark/weeks/{w1}/close", {"reason": "Fire danger"}, token_from=roster
    )
    assert unconfirmed.status_code == 422 and "Fire danger" in unconfirmed.text
    assert not (await Week.select().where(Week.id == w1).first())["closed"]

    done = await post_form(
        client, f"/staff/slypark/weeks/{w1}/close", {"reason": "Fire danger", "confirm": "on"}, token_from=roster
    )
    assert done.status_code == 200
    assert "Cypress Elementary" in done.text and "Offered the week of" in done.text
    assert (await booking_row(booking_id))["week"] == w2
    again = await post_form(
        client, f"/staff/slypark/weeks/{w2}/close", {"reason": "x", "confirm": "on"}, token_from=roster
    )
    assert again.status_code == 200  # w2 closes too; its booking has nowhere to go and is released
    assert (await booking_row(booking_id))["status"] == "released"
    closed_again = await post_form(
        client,
        f"/staff/slypark/weeks/{w1}/close",
        {"reason": "x", "confirm": "on"},
        token_from=f"/staff/slypark/weeks/{w2}/roster",
    )
    assert closed_again.status_code == 409 and "This week is already closed." in closed_again.text


async def test_coordinators_cannot_reach_the_roster_or_close_a_week(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=1)
    user = await make_user("coordinator", district="EGUSD")
    await signed_in(client, user)
    assert (await client.get(f"/staff/slypark/weeks/{season['weeks'][0]}/roster")).status_code == 403
    response = await post_form(
        client, f"/staff/slypark/weeks/{season['weeks'][0]}/close", {"reason": "x", "confirm": "on"}, token_from="/"
    )
    assert response.status_code == 403
    assert not (await Week.select().where(Week.id == season["weeks"][0]).first())["closed"]
