"""/workshops/{id}: what a workshop's page shows each kind of visitor, and who may see it."""

from __future__ import annotations

import re

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.tables import OfferingSession, Room, Venue
from booking.scheduling.registration import RegistrationRequest, register
from tests.factories import make_user, signed_in
from tests.workshop_factory import local, make_workshop


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def register_form(html: str) -> str:
    match = re.search(r'<form method="post" action="/workshops/\d+/register" novalidate>(.*?)</form>', html, re.S)
    return match.group(1) if match else ""


async def test_the_page_shows_sessions_in_local_time_places_facilitators_and_the_calendar_link(client):
    venue = Venue(name="SCOE Mather Campus", address="10474 Mather Boulevard, Mather, CA 95655")
    await venue.save()
    room = Room(venue=venue.id, name="Room 203", capacity=40)
    await room.save()
    offering_id = await make_workshop(
        "Writing Workshop",
        sessions=2,
        facilitators="Ana Ruiz, Ben Okafor",
        pd_hours="6.5",
        description="# Goals\n\nStudents **write daily**.\n\n<script>alert(1)</script> [link](javascript:alert(2))",
    )
    first, second = (
        await OfferingSession.select()
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.starts_at)
    )
    await OfferingSession.update({OfferingSession.room: room.id}).where(OfferingSession.id == first["id"])
    await OfferingSession.update({OfferingSession.online_url: "https://zoom.us/j/42"}).where(
        OfferingSession.id == second["id"]
    )

    response = await client.get(f"/workshops/{offering_id}")

    assert response.status_code == 200
    html = response.text
    assert "<h1>Writing Workshop</h1>" in html
    start = local(30)
    assert f"Session 1: {start.strftime('%a, %b %-d, %Y')}, 9:00 AM – 12:00 PM {start.tzname()}" in visible_text(html)
    assert "SCOE Mather Campus, Room 203" in html and "10474 Mather Boulevard" in html
    assert 'Online meeting: <a href="https://zoom.us/j/42"' in html
    assert "Ana Ruiz, Ben Okafor" in html
    assert "<dt>PD hours</dt><dd>6.5</dd>" in html
    # The description is Markdown, sanitised: no script, no javascript: link, headings below the h1.
    assert "<h2>Goals</h2>" in html and "<strong>write daily</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html  # shown as text, never run
    assert 'href="javascript:' not in html
    assert f'href="/offerings/{offering_id}.ics"' in html and "Download every session (.ics)" in html
    assert "20 seats left" in html


async def test_anonymous_visitors_are_asked_to_sign_in_to_register(client):
    offering_id = await make_workshop()
    html = (await client.get(f"/workshops/{offering_id}")).text
    assert f'href="/sign-in?next=/workshops/{offering_id}"' in html
    assert register_form(html) == ""


async def test_a_free_workshop_has_a_one_click_form(client):
    offering_id = await make_workshop()
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    form = register_form((await client.get(f"/workshops/{offering_id}")).text)
    assert '<input type="hidden" name="payer" value="free">' in form
    assert "This workshop is free." in form and ">Register</button>" in form


async def test_who_pays_district_with_po_or_card(client):
    offering_id = await make_workshop(price_cents=4500)
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "EGUSD")
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    form = register_form((await client.get(f"/workshops/{offering_id}")).text)
    assert "Who pays the $45.00 fee?" in form
    assert re.search(r'id="f-payer-district" name="payer" value="district" checked', form)
    assert "Bill my district (Elk Grove Unified)" in form
    assert 'name="po_number"' in form
    assert re.search(r'id="f-payer-card" name="payer" value="card" aria-describedby', form)  # offered, not chosen
    assert "You pay securely with Stripe right after registering" in form
    assert "your seat is held for up to 5 days while your coordinator decides" in form


async def test_a_person_without_a_district_pays_a_paid_workshop_by_card(client):
    offering_id = await make_workshop(price_cents=4500, nonmember_price_cents=7000)
    await signed_in(client, await make_user("attendee"))
    html = (await client.get(f"/workshops/{offering_id}")).text
    form = register_form(html)
    assert 'id="f-payer-district"' not in form  # no district to bill
    assert re.search(r'id="f-payer-card" name="payer" value="card" checked', form)
    assert "$70.00" in html  # not a member: the other rate


async def test_a_full_workshop_offers_the_waiting_list(client):
    offering_id = await make_workshop(capacity=1)
    await register(Actor.from_row(await make_user("attendee")), offering_id, RegistrationRequest())
    await signed_in(client, await make_user("attendee"))
    html = (await client.get(f"/workshops/{offering_id}")).text
    assert "Full — join the waiting list" in html
    assert ">Join the waiting list</button>" in register_form(html)


async def test_registration_not_open_yet_or_closed_shows_no_form(client):
    await signed_in(client, await make_user("attendee"))
    later = await make_workshop(opens=local(3))
    html = (await client.get(f"/workshops/{later}")).text
    assert "Registration opens on " in html and register_form(html) == ""
    closed = await make_workshop(closes=local(-1))
    html = (await client.get(f"/workshops/{closed}")).text
    assert "Registration closed" in html and register_form(html) == ""
    cancelled = await make_workshop(status="cancelled")
    html = (await client.get(f"/workshops/{cancelled}")).text
    assert "This workshop is cancelled" in html and register_form(html) == ""


async def test_someone_registered_sees_their_status_and_a_way_out_instead_of_the_form(client):
    offering_id = await make_workshop(capacity=1)
    first = await make_user("attendee")
    registration = (await register(Actor.from_row(first), offering_id, RegistrationRequest())).registration
    await signed_in(client, first)
    html = (await client.get(f"/workshops/{offering_id}")).text
    assert register_form(html) == ""
    assert "You're registered." in html
    assert f'action="/my/learning/{registration["id"]}/cancel"' in html and "Cancel my registration" in html

    second = await make_user("attendee")
    waiting = (await register(Actor.from_row(second), offering_id, RegistrationRequest())).registration
    await signed_in(client, second)
    html = (await client.get(f"/workshops/{offering_id}")).text
    assert "You're on the waiting list</strong>, at position 1." in html
    assert f'action="/my/learning/{waiting["id"]}/cancel"' in html and "Leave the waiting list" in html


async def test_drafts_are_404_except_for_staff_and_unknown_ids_are_404(client):
    draft = await make_workshop("Secret draft", status="draft")
    assert (await client.get(f"/workshops/{draft}")).status_code == 404
    await signed_in(client, await make_user("attendee"))
    response = await client.get(f"/workshops/{draft}")
    assert response.status_code == 404 and "Secret draft" not in response.text
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    assert (await client.get(f"/workshops/{draft}")).status_code == 404
    await signed_in(client, await make_user("staff"))
    response = await client.get(f"/workshops/{draft}")
    assert response.status_code == 200 and "Draft: not visible to attendees" in response.text
    assert ".ics" not in response.text  # the public calendar file does not exist for a draft
    assert (await client.get("/workshops/999999")).status_code == 404
    assert (await client.get("/workshops/not-a-number")).status_code in (400, 404)
    cohort = await make_workshop("A cohort", kind="cohort")
    assert (await client.get(f"/workshops/{cohort}")).status_code == 404


async def test_coordinators_and_staff_see_the_register_others_form_attendees_do_not(client):
    offering_id = await make_workshop()
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert "Register other people" not in (await client.get(f"/workshops/{offering_id}")).text
    for role in ("coordinator", "staff"):
        await signed_in(client, await make_user(role, district="EGUSD" if role == "coordinator" else None))
        html = (await client.get(f"/workshops/{offering_id}")).text
        assert "Register other people" in html
        assert f'action="/workshops/{offering_id}/register-others"' in html
