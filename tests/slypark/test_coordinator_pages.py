"""The district coordinator's Sly Park pages through the HTTP app, on both engines: requesting a week,
answering offers, booking remaining beds, and changing a booking's numbers until the freeze date."""

from __future__ import annotations

import datetime as dt
import html
import re

from booking.accounts.actor import Actor
from booking.slypark import allocation_runs
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.pages import week_label
from booking.slypark.seasons import weeks_of
from booking.slypark.tables import Booking, BookingCharge, Season, WeekRequest
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import make_school, make_season, request_week
from tests.workshop_factory import staff_actor


def said(response) -> str:
    """The page's text with entities decoded (Jinja escapes apostrophes)."""
    return html.unescape(response.text)


async def as_coordinator(client, district: str = "EGUSD") -> tuple[Actor, str]:
    actor = Actor.from_row(await signed_in(client, await make_user("coordinator", district=district)))
    return actor, await csrf_token(client, "/slypark")


def request_form(school_id, weeks: list, **overrides) -> dict:
    data = {
        "school_id": str(school_id),
        "lead_teacher_name": "Lee Lead",
        "lead_teacher_email": "lee@school.example",
        "boys": "20",
        "girls": "22",
        "teachers": "4",
        "can_share": "on",
    }
    for n, week in enumerate(weeks, start=1):
        data[f"choice_{n}"] = str(week)
    data.update(overrides)
    return data


async def open_booking(season_id: int) -> None:
    await Season.update({Season.status: "booking_open"}).where(Season.id == season_id)


async def test_a_coordinator_requests_a_week_and_withdraws_it(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=4)
    school = await make_school("EGUSD", "Elk Grove Elementary")
    elsewhere = await make_school("SJUSD", "Arden Elementary")
    coordinator, token = await as_coordinator(client)

    index = await client.get("/slypark")
    assert index.status_code == 200
    assert "2027-28 school year" in index.text and f'href="/slypark/seasons/{season["id"]}/request"' in index.text
    assert '<a href="/slypark" aria-current="page"' in index.text or 'href="/slypark"' in index.text  # the nav item

    form = await client.get(f"/slypark/seasons/{season['id']}/request")
    assert form.status_code == 200
    assert "Elk Grove Elementary" in form.text and "Arden Elementary" not in form.text  # only the district's schools
    first_week = (await weeks_of(season["id"]))[0]
    label = week_label(first_week["starts_on"], first_week["ends_on"])
    assert re.fullmatch(r"\w{3} \w{3} \d{1,2} – \w{3} \w{3} \d{1,2}, \d{4}", label)
    assert label in form.text
    assert re.search(r'id="f-can_share" name="can_share" type="checkbox" checked', form.text)
    assert re.search(r'id="f-can_split" name="can_split" type="checkbox" aria', form.text)  # off by default
    assert "one teacher for every 12 students" in form.text

    # Bad inputs: 422, the summary, each field marked, what was typed kept, nothing stored.
    bad = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={
            "_csrf_token": token,
            "school_id": str(elsewhere),
            "lead_teacher_name": "",
            "lead_teacher_email": "not-an-email",
            "boys": "lots",
            "girls": "-3",
            "teachers": "1",
            "choice_1": "",
            "choice_2": "banana",
        },
    )
    assert bad.status_code == 422
    assert "There is a problem" in bad.text
    for name in ("school_id", "lead_teacher_name", "lead_teacher_email", "boys", "girls", "choice_1"):
        assert re.search(rf'id="f-{name}" name="{name}"[^>]*aria-invalid="true"', bad.text), name
    assert 'value="not-an-email"' in bad.text and 'value="lots"' in bad.text
    too_few = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, season["weeks"][:2], boys="40", girls="40", teachers="2")},
    )
    assert too_few.status_code == 422 and "Bring at least 7 teachers" in too_few.text
    same_week = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, [season["weeks"][0], season["weeks"][0]])},
    )
    assert same_week.status_code == 422 and "Choose each week once." in same_week.text
    assert await WeekRequest.count() == 0

    filed = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, [season["weeks"][2], season["weeks"][0]])},
    )
    assert filed.status_code == 303 and filed.headers["location"] == "/slypark?notice=slypark-request-filed"
    stored = await WeekRequest.select().first()
    assert (stored["boys"], stored["girls"], stored["teachers"], stored["can_share"], stored["can_split"]) == (
        20,
        22,
        4,
        True,
        False,
    )
    assert stored["choices"] == f"{season['weeks'][2]},{season['weeks'][0]}"
    index = await client.get("/slypark?notice=slypark-request-filed")
    assert "The request is sent." in index.text and "Waiting for the allocation" in index.text

    again = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, season["weeks"][:1])},
    )
    assert again.status_code == 409 and "already has a request" in again.text
    assert await WeekRequest.count() == 1

    # Another district neither sees nor withdraws it.
    other_client_user = await make_user("coordinator", district="SJUSD")
    await signed_in(client, other_client_user)
    assert "Elk Grove Elementary" not in (await client.get("/slypark")).text
    token = await csrf_token(client, "/slypark")  # the CSRF token is bound to the session: each person takes their own
    assert (
        await client.post(f"/slypark/requests/{stored['id']}/withdraw", data={"_csrf_token": token})
    ).status_code == 404

    await signed_in(client, {"id": coordinator.id})
    token = await csrf_token(client, "/slypark")
    withdrawn = await client.post(f"/slypark/requests/{stored['id']}/withdraw", data={"_csrf_token": token})
    assert withdrawn.status_code == 303
    assert "Withdrawn" in (await client.get("/slypark")).text
    twice = await client.post(f"/slypark/requests/{stored['id']}/withdraw", data={"_csrf_token": token})
    assert twice.status_code == 409 and "Only a request still waiting" in twice.text


async def test_requests_closed_and_people_who_are_not_coordinators(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    school = await make_school("EGUSD", "Elk Grove Elementary")
    assert (await client.get("/slypark")).status_code in (302, 303, 401)  # not signed in
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert (await client.get("/slypark")).status_code == 403
    assert (await client.get("/slypark/bookings")).status_code == 403

    _, token = await as_coordinator(client)
    await Season.update({Season.status: "allocating"}).where(Season.id == season["id"])
    form = await client.get(f"/slypark/seasons/{season['id']}/request")
    assert "Requests are not being taken now" in form.text
    index = await client.get("/slypark")
    assert f'href="/slypark/seasons/{season["id"]}/request"' not in index.text
    refused = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, season["weeks"][:1])},
    )
    assert refused.status_code == 409 and "This season is not taking week requests." in refused.text
    assert await WeekRequest.count() == 0
    await Season.update({Season.status: "draft"}).where(Season.id == season["id"])
    assert (await client.get(f"/slypark/seasons/{season['id']}/request")).status_code == 404
    assert "2027-28 school year" not in (await client.get("/slypark")).text


async def test_offers_are_accepted_or_declined_and_the_booking_shows_what_is_due(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=3, boys_beds=40, girls_beds=40)
    w1, w2, _ = season["weeks"]
    alpha, bravo = await make_school("EGUSD", "Alpha Elementary"), await make_school("EGUSD", "Bravo Elementary")
    coordinator, token = await as_coordinator(client)
    await request_week(coordinator, season, alpha, [w1], boys=20, girls=20)
    await request_week(coordinator, season, bravo, [w2], boys=10, girls=12)
    run_id = await allocation_runs.run_allocation(staff, season["id"])
    assert await allocation_runs.publish(staff, run_id) == 2

    index = await client.get("/slypark")
    assert index.text.count("Offered — answer by") == 2
    page = await client.get("/slypark/bookings")
    assert page.status_code == 200
    assert "Alpha Elementary" in page.text and "Answer by" in page.text
    offered = {b["school"]: b["id"] for b in await Booking.select(Booking.id, Booking.school)}

    long_reason = await client.post(
        f"/slypark/bookings/{offered[bravo]}/decline", data={"_csrf_token": token, "reason": "x" * 301}
    )
    assert long_reason.status_code == 422 and "Use at most 300 characters." in long_reason.text
    assert (
        f'id="f-reason-{offered[bravo]}" name="reason" rows="2" maxlength="300" aria-invalid="true"' in long_reason.text
    )
    declined = await client.post(
        f"/slypark/bookings/{offered[bravo]}/decline",
        data={"_csrf_token": token, "reason": "The week clashes with testing"},
    )
    assert declined.status_code == 303
    accepted = await client.post(f"/slypark/bookings/{offered[alpha]}/accept", data={"_csrf_token": token})
    assert accepted.status_code == 303 and accepted.headers["location"].startswith(
        f"/slypark/bookings/{offered[alpha]}"
    )
    again = await client.post(f"/slypark/bookings/{offered[alpha]}/accept", data={"_csrf_token": token})
    assert again.status_code == 409 and "already confirmed" in again.text
    statuses = {r["school"]: r["status"] for r in await WeekRequest.select(WeekRequest.school, WeekRequest.status)}
    assert statuses == {alpha: "accepted", bravo: "declined"}
    index = await client.get("/slypark")
    assert "Accepted" in index.text and "Declined" in index.text

    booking = await client.get(f"/slypark/bookings/{offered[alpha]}")
    assert booking.status_code == 200
    week = (await weeks_of(season["id"]))[0]
    assert (
        "Alpha Elementary at Sly Park" in booking.text
        and week_label(week["starts_on"], week["ends_on"]) in booking.text
    )
    assert "20 boys and 20 girls: 40 in all" in booking.text
    assert "Deposit" in booking.text and "$2,000.00" in booking.text  # 40 students × $50
    assert "$425.00 per student" in booking.text and "$17,000.00" in booking.text
    assert "0 signed up of the 5 needed" in booking.text
    listing = await client.get("/slypark/bookings")
    assert f'href="/slypark/bookings/{offered[alpha]}"' in listing.text and "No offers are waiting" in listing.text

    # Another district's coordinator: the booking and the offer do not exist for them.
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    token = await csrf_token(client, "/slypark")  # the CSRF token is bound to the session
    assert (await client.get(f"/slypark/bookings/{offered[alpha]}")).status_code == 404
    assert (
        await client.post(f"/slypark/bookings/{offered[bravo]}/accept", data={"_csrf_token": token})
    ).status_code == 404
    assert (
        await client.post(
            f"/slypark/bookings/{offered[bravo]}/decline", data={"_csrf_token": token, "reason": "y" * 400}
        )
    ).status_code == 404
    assert "Alpha Elementary" not in (await client.get("/slypark/bookings")).text
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert (await client.get(f"/slypark/bookings/{offered[alpha]}")).status_code == 403


async def test_remaining_beds_are_booked_first_come_with_clear_refusals(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2, boys_beds=10, girls_beds=8)
    w1, w2 = season["weeks"]
    school = await make_school("EGUSD", "Charlie Elementary")
    elsewhere = await make_school("SJUSD", "Arden Elementary")
    _, token = await as_coordinator(client)
    assert "Book remaining beds" not in (await client.get("/slypark/bookings")).text
    closed = await client.post(
        f"/slypark/weeks/{w1}/book",
        data={
            "_csrf_token": token,
            "school_id": str(school),
            "lead_teacher_name": "Cy",
            "lead_teacher_email": "cy@school.example",
            "boys": "2",
            "girls": "2",
            "teachers": "1",
        },
    )
    assert closed.status_code == 409 and "once the season's offers are settled" in said(closed)
    await open_booking(season["id"])

    listing = await client.get("/slypark/bookings")
    assert "Book remaining beds" in listing.text and f'href="/slypark/weeks/{w1}/book"' in listing.text
    form = await client.get(f"/slypark/weeks/{w1}/book")
    assert form.status_code == 200 and "10 boys' beds and 8 girls' beds are left." in said(form)
    assert "Arden Elementary" not in form.text

    bad = await client.post(
        f"/slypark/weeks/{w1}/book",
        data={
            "_csrf_token": token,
            "school_id": str(elsewhere),
            "lead_teacher_name": "",
            "lead_teacher_email": "@",
            "boys": "x",
            "girls": "2",
            "teachers": "",
        },
    )
    assert bad.status_code == 422
    for name in ("school_id", "lead_teacher_name", "lead_teacher_email", "boys", "teachers"):
        assert re.search(rf'id="f-{name}" name="{name}"[^>]*aria-invalid="true"', bad.text), name
    assert 'value="x"' in bad.text
    too_many = await client.post(
        f"/slypark/weeks/{w1}/book",
        data={
            "_csrf_token": token,
            "school_id": str(school),
            "lead_teacher_name": "Cy",
            "lead_teacher_email": "cy@school.example",
            "boys": "5",
            "girls": "11",
            "teachers": "2",
        },
    )
    assert too_many.status_code == 409 and "Not enough beds: 8 girls' beds are left." in said(too_many)
    assert 'value="11"' in too_many.text
    assert await Booking.count() == 0

    booked = await client.post(
        f"/slypark/weeks/{w1}/book",
        data={
            "_csrf_token": token,
            "school_id": str(school),
            "lead_teacher_name": "Cy",
            "lead_teacher_email": "cy@school.example",
            "boys": "10",
            "girls": "3",
            "teachers": "2",
        },
    )
    assert booked.status_code == 303
    booking = await Booking.select().first()
    assert (booking["status"], booking["boys"], booking["girls"]) == ("confirmed", 10, 3)
    assert [c["kind"] for c in await BookingCharge.select()] == ["deposit"]
    listing = await client.get("/slypark/bookings")
    assert f'href="/slypark/weeks/{w2}/book"' in listing.text
    assert re.search(rf'<td>0</td>\s*<td>5</td>\s*<td><a href="/slypark/weeks/{w1}/book"', listing.text)
    full = await client.post(
        f"/slypark/weeks/{w1}/book",
        data={
            "_csrf_token": token,
            "school_id": str(school),
            "lead_teacher_name": "Cy",
            "lead_teacher_email": "cy@school.example",
            "boys": "1",
            "girls": "6",
            "teachers": "1",
        },
    )
    assert full.status_code == 409 and "Not enough beds: 0 boys' beds are left and 5 girls' beds are left." in said(
        full
    )
    assert (await client.get("/slypark/weeks/999999/book")).status_code == 404


async def test_headcounts_change_until_the_freeze_date(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=1, boys_beds=30, girls_beds=30, first=10, freeze_days=21)
    soon = await make_season(
        staff, weeks=1, boys_beds=30, girls_beds=30, first=1, freeze_days=21, name="2026-27 school year"
    )
    school = await make_school("EGUSD", "Delta Elementary")
    coordinator, token = await as_coordinator(client)
    for s in (season, soon):
        await open_booking(s["id"])
    booking_id = await book_remaining(
        coordinator,
        season["weeks"][0],
        school,
        Headcount(20, 20, 4),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    frozen_id = await book_remaining(
        coordinator,
        soon["weeks"][0],
        school,
        Headcount(10, 10, 2),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    url = f"/slypark/bookings/{booking_id}"

    page = await client.get(url)
    starts_on = (await weeks_of(season["id"]))[0]["starts_on"]
    freeze = starts_on - dt.timedelta(days=21)
    assert f"You can change the numbers until {freeze:%B %-d, %Y}" in page.text
    assert 'id="f-boys" name="boys" type="number" value="20"' in page.text

    bad = await client.post(
        f"{url}/headcount",
        data={"_csrf_token": token, "boys": "", "girls": "abc", "teachers": "1", "reason": "r" * 301},
    )
    assert bad.status_code == 422 and 'value="abc"' in bad.text
    assert re.search(r'id="f-reason" name="reason"[^>]*aria-invalid="true"', bad.text)
    few_teachers = await client.post(
        f"{url}/headcount", data={"_csrf_token": token, "boys": "20", "girls": "20", "teachers": "1"}
    )
    assert few_teachers.status_code == 422 and 'aria-invalid="true"' in few_teachers.text
    too_many = await client.post(
        f"{url}/headcount", data={"_csrf_token": token, "boys": "31", "girls": "20", "teachers": "5"}
    )
    assert (
        too_many.status_code == 409
        and "The increase does not fit: this week has beds for at most 30 boys in this booking." in said(too_many)
    )
    assert (await Booking.select(Booking.boys).where(Booking.id == booking_id).first())["boys"] == 20
    changed = await client.post(
        f"{url}/headcount",
        data={"_csrf_token": token, "boys": "24", "girls": "18", "teachers": "4", "reason": "Two new students"},
    )
    assert changed.status_code == 303
    row = await Booking.select().where(Booking.id == booking_id).first()
    assert (row["boys"], row["girls"], row["teachers"]) == (24, 18, 4)

    frozen = await client.get(f"/slypark/bookings/{frozen_id}")
    assert "Only Sly Park staff change them now" in frozen.text and 'name="boys"' not in frozen.text
    refused = await client.post(
        f"/slypark/bookings/{frozen_id}/headcount",
        data={"_csrf_token": token, "boys": "9", "girls": "10", "teachers": "2"},
    )
    assert refused.status_code == 409 and "Please call the Sly Park office" in refused.text
    assert (await Booking.select(Booking.boys).where(Booking.id == frozen_id).first())["boys"] == 10

    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    token = await csrf_token(client, "/slypark")  # the CSRF token is bound to the session
    other = await client.post(
        f"{url}/headcount", data={"_csrf_token": token, "boys": "1", "girls": "1", "teachers": "1"}
    )
    assert other.status_code == 404


async def test_a_duplicate_request_links_to_the_existing_one_which_is_changed_while_requests_are_taken(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=4)
    school = await make_school("EGUSD", "Elk Grove Elementary")
    coordinator, token = await as_coordinator(client)
    request_id = await request_week(coordinator, season, school, season["weeks"][:1], boys=20, girls=22)

    again = await client.post(
        f"/slypark/seasons/{season['id']}/request",
        data={"_csrf_token": token, **request_form(school, season["weeks"][1:2])},
    )
    assert again.status_code == 409 and "change that one instead" in again.text
    assert f'href="/slypark/requests/{request_id}/edit"' in again.text
    assert f'href="/slypark/requests/{request_id}/edit"' in (await client.get("/slypark")).text

    form = await client.get(f"/slypark/requests/{request_id}/edit")
    assert form.status_code == 200 and "Change the request for Elk Grove Elementary" in said(form)
    assert 'value="20"' in form.text and f'action="/slypark/requests/{request_id}/edit"' in form.text

    bad = await client.post(
        f"/slypark/requests/{request_id}/edit",
        data={"_csrf_token": token, **request_form(school, season["weeks"][1:2], boys="80", teachers="2")},
    )
    assert bad.status_code == 422 and "Bring at least" in bad.text
    assert (await WeekRequest.select(WeekRequest.boys).where(WeekRequest.id == request_id).first())["boys"] == 20

    changed = await client.post(
        f"/slypark/requests/{request_id}/edit",
        data={
            "_csrf_token": token,
            **request_form(school, [season["weeks"][1], season["weeks"][0]], boys="24", teachers="4"),
        },
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/slypark?notice=slypark-request-changed"
    row = await WeekRequest.select().where(WeekRequest.id == request_id).first()
    assert (row["boys"], row["choices"], row["status"], row["school"]) == (
        24,
        f"{season['weeks'][1]},{season['weeks'][0]}",
        "submitted",
        school,
    )

    # Once requests close, the request stays as it is.
    await Season.update({Season.status: "allocating"}).where(Season.id == season["id"])
    late = await client.post(
        f"/slypark/requests/{request_id}/edit",
        data={"_csrf_token": token, **request_form(school, season["weeks"][:1], boys="30", teachers="5")},
    )
    assert late.status_code == 409 and "can no longer be changed" in said(late)
    assert (await WeekRequest.select(WeekRequest.boys).where(WeekRequest.id == request_id).first())["boys"] == 24

    # Another district's coordinator neither sees nor changes it.
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    assert (await client.get(f"/slypark/requests/{request_id}/edit")).status_code == 404
