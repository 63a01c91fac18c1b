"""Cabin leaders on both engines: the coordinator's page makes the sign-up link; high-school volunteers sign up
without an account with a typed signature and a guardian's contact; bad input 422, unknown links 404, closed 409."""

from __future__ import annotations

import html
import re

from booking.accounts.actor import Actor
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.cabin_leaders import AGREEMENT_VERSION
from booking.slypark.tables import Booking, CabinLeader, Season
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import make_school, make_season
from tests.workshop_factory import staff_actor


def said(response) -> str:
    return html.unescape(response.text)


async def a_booking(boys: int = 10, girls: int = 7) -> int:
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school = await make_school("EGUSD", "Elk Grove Elementary")
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    booking_id = await book_remaining(
        coordinator,
        season["weeks"][0],
        school,
        Headcount(boys, girls, 2),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    await Booking.update({Booking.cabin_leader_code: ""}).where(Booking.id == booking_id)  # as a published offer
    return booking_id


def volunteer(**overrides) -> dict:
    data = {
        "name": "Riley  Rivera",
        "email": "riley@hs.example",
        "high_school": "Elk Grove High",
        "gender": "girl",
        "guardian_name": "Pat Rivera",
        "guardian_phone": "(916) 555-0134",
        "guardian_email": "",
        "signature": "riley rivera",
    }
    data.update(overrides)
    return data


async def sign_up_link(client, booking_id: int) -> str:
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    page = await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders")
    assert page.status_code == 200
    assert "0 of 3 cabin leaders signed up" in said(page)  # 17 students, one leader per 8
    match = re.search(r'value="http://testserver\.local(/slypark/cabin-leaders/[\w-]+)"', page.text)
    assert match, "the page shows the link to share"
    code = (await Booking.select(Booking.cabin_leader_code).where(Booking.id == booking_id).first())[
        "cabin_leader_code"
    ]
    assert code and match.group(1).endswith(code)
    again = await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders")
    assert match.group(1) in again.text  # made once, then kept
    client.cookies.clear()
    return match.group(1)


async def test_a_volunteer_signs_up_with_the_link(client):
    booking_id = await a_booking()
    link = await sign_up_link(client, booking_id)
    form = await client.get(link)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert f"version {AGREEMENT_VERSION}" in said(form) and "never be alone with a single student" in said(form)
    token = await csrf_token(client, link)
    done = await client.post(link, data={"_csrf_token": token, **volunteer()})
    assert done.status_code == 200, done.text
    assert "Thank you, Riley Rivera" in said(done) and AGREEMENT_VERSION in done.text
    leader = await CabinLeader.select().where(CabinLeader.booking == booking_id).first()
    assert leader["name"] == "Riley Rivera" and leader["agreement_version"] == AGREEMENT_VERSION
    assert leader["signed_name"] == "riley rivera" and leader["signed_on"] is not None
    assert leader["guardian_phone"] == "(916) 555-0134"
    twice = await client.post(link, data={"_csrf_token": token, **volunteer(name="Riley R", signature="riley r")})
    assert twice.status_code == 422 and "already signed up" in said(twice)

    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    listing = said(await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders"))
    assert "1 of 3 cabin leaders signed up" in listing and "Riley Rivera" in listing
    assert f"Version {AGREEMENT_VERSION} on" in listing
    client.cookies.clear()
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    assert (await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders")).status_code == 404
    client.cookies.clear()
    await signed_in(client, await make_user("attendee"))
    assert (await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders")).status_code == 403


async def test_bad_sign_ups_are_refused_and_nothing_is_stored(client):
    booking_id = await a_booking()
    link = await sign_up_link(client, booking_id)
    token = await csrf_token(client, link)
    for overrides, field, message in (
        ({"signature": "Someone Else"}, "signature", "Type your name exactly as you entered it above"),
        ({"guardian_phone": ""}, "guardian_phone", "Enter a phone number for your parent or guardian"),
        ({"guardian_phone": "call me"}, "guardian_phone", "with its area code"),
        ({"gender": "x", "email": "nope"}, "email", "Enter an email address like"),
        ({"name": "", "signature": ""}, "name", "Enter your name"),
    ):
        response = await client.post(link, data={"_csrf_token": token, **volunteer(**overrides)})
        assert response.status_code == 422, overrides
        assert "There is a problem" in response.text and message in said(response)
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', response.text), field
        assert 'value="Elk Grove High"' in response.text  # what was typed is kept
    assert await CabinLeader.count().where(CabinLeader.booking == booking_id) == 0


async def test_unknown_links_and_closed_bookings_take_no_sign_ups(client):
    booking_id = await a_booking()
    link = await sign_up_link(client, booking_id)
    token = await csrf_token(client, link)
    unknown = await client.get("/slypark/cabin-leaders/not-a-real-code")
    assert unknown.status_code == 404 and "does not work" in said(unknown)
    posted = await client.post("/slypark/cabin-leaders/not-a-real-code", data={"_csrf_token": token, **volunteer()})
    assert posted.status_code == 404

    await Booking.update({Booking.status: "released"}).where(Booking.id == booking_id)
    closed = await client.get(link)
    assert closed.status_code == 409 and "Sign-ups are closed" in said(closed)
    refused = await client.post(link, data={"_csrf_token": token, **volunteer()})
    assert refused.status_code == 409
    assert await CabinLeader.count().where(CabinLeader.booking == booking_id) == 0


async def test_a_bogus_sign_up_is_removed_by_the_coordinator_after_a_confirmation(client):
    from booking.slypark.tables import BookingEvent

    booking_id = await a_booking()
    link = await sign_up_link(client, booking_id)
    token = await csrf_token(client, link)
    await client.post(
        link,
        data={
            "_csrf_token": token,
            **volunteer(name="Mickey Mouse", signature="Mickey Mouse", email="mickey@example.org"),
        },
    )
    await client.post(link, data={"_csrf_token": token, **volunteer()})
    bogus = await CabinLeader.select().where(CabinLeader.name == "Mickey Mouse").first()

    coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))
    listing = await client.get(f"/slypark/bookings/{booking_id}/cabin-leaders")
    # The link is selectable text without JavaScript; the copy button shows itself only with the Clipboard API.
    assert re.search(
        r'<input id="signup-link" type="text" readonly value="http://testserver\.local/slypark/cabin-leaders/',
        listing.text,
    )
    assert 'data-copy-target="signup-link"' in listing.text and 'id="signup-link-status"' in listing.text
    remove_path = f"/slypark/bookings/{booking_id}/cabin-leaders/{bogus['id']}/remove"
    assert f'href="{remove_path}"' in listing.text

    asked = await client.get(remove_path)  # a confirmation first: nothing is removed by following a link
    assert asked.status_code == 200 and "Remove Mickey Mouse's sign-up?" in said(asked)
    assert await CabinLeader.count().where(CabinLeader.booking == booking_id) == 2

    token = await csrf_token(client, remove_path)
    removed = await client.post(remove_path, data={"_csrf_token": token})
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/slypark/bookings/{booking_id}/cabin-leaders?notice=slypark-leader-removed"
    left = await CabinLeader.select(CabinLeader.name).where(CabinLeader.booking == booking_id)
    assert [row["name"] for row in left] == ["Riley Rivera"]
    event = await BookingEvent.select().where(BookingEvent.kind == "cabin_leader_removed").first()
    assert event["actor"] == coordinator["id"] and "Mickey Mouse" in event["note"]
    again = await client.post(remove_path, data={"_csrf_token": token})
    assert again.status_code == 404 and "already removed" in said(again)

    # Another district's coordinator can neither see nor remove it.
    riley = await CabinLeader.select().where(CabinLeader.booking == booking_id).first()
    client.cookies.clear()
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    other_path = f"/slypark/bookings/{booking_id}/cabin-leaders/{riley['id']}/remove"
    assert (await client.get(other_path)).status_code == 404
    token = await csrf_token(client, "/account")
    assert (await client.post(other_path, data={"_csrf_token": token})).status_code == 404
    assert await CabinLeader.count().where(CabinLeader.booking == booking_id) == 1
