"""/my/learning: upcoming, waiting lists, ended ones; cancelling and leaving a waiting list."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.notifications.tables import OutboxMessage
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user, post_form, signed_in
from tests.workshop_factory import local, make_workshop


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, heading_id
    return match.group(1)


async def _register(person: dict, offering_id: int, **kwargs) -> dict:
    return (await register(Actor.from_row(person), offering_id, RegistrationRequest(**kwargs))).registration


async def _status(registration_id: int) -> str:
    return (await Registration.select(Registration.status).where(Registration.id == registration_id).first())["status"]


async def test_my_learning_groups_a_persons_registrations(client):
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "SJUSD")
    me = await make_user("attendee", district="SJUSD")
    other = await make_user("attendee", district="SJUSD")
    confirmed = await make_workshop("Confirmed one", days=20)
    approval = await make_workshop("Needs approval", price_cents=5000, days=10)
    full = await make_workshop("Full one", capacity=1, days=15)
    gone = await make_workshop("Cancelled later", days=25)
    expired = await make_workshop("Hold ran out", price_cents=5000, days=12)
    over = await make_workshop("Last week", days=-7)
    someone_elses = await make_workshop("Not mine", days=5)
    await _register(me, confirmed)
    held = await _register(me, approval, payer="district")
    await _register(other, full)
    await _register(await make_user("attendee"), full)
    await _register(me, full)  # number 2 on the list
    cancelled = await _register(me, gone)
    await Registration.update({Registration.status: "cancelled", Registration.cancel_reason: "Cancelled by me"}).where(
        Registration.id == cancelled["id"]
    )
    ran_out = await _register(me, expired, payer="district")
    await Registration.update(
        {Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)}
    ).where(Registration.id == ran_out["id"])
    await _register(me, over)
    await _register(other, someone_elses)
    await signed_in(client, me)

    html = (await client.get("/my/learning")).text

    upcoming = text_of(section(html, "upcoming-heading"))
    assert upcoming.index("Needs approval") < upcoming.index("Confirmed one")  # soonest first
    assert "Confirmed" in upcoming
    assert "Awaiting district approval until" in upcoming
    assert held["hold_expires_at"] is not None
    waiting = text_of(section(html, "waiting-heading"))
    assert "Full one" in waiting and "Waiting list: number 2" in waiting
    assert "Leave the waiting list" in waiting
    ended = re.search(r'<details class="ended">(.*?)</details>', html, re.S).group(1)
    assert "Cancelled and expired (2)" in ended
    assert "Cancelled later" in ended and "Hold ran out" in ended and "Expired" in ended
    assert "Last week" not in upcoming and "1 finished workshop" in text_of(html)
    assert 'href="/my/transcript"' in html
    assert "Not mine" not in html


async def test_an_empty_my_learning_points_to_the_catalog(client):
    await signed_in(client, await make_user("attendee"))
    html = (await client.get("/my/learning")).text
    assert "You have no upcoming workshops." in html and 'href="/workshops"' in html
    assert "You are not on any waiting list." in html
    assert "Cancelled and expired" not in html


async def test_my_learning_needs_a_sign_in(client):
    response = await client.get("/my/learning")
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/my/learning"


async def test_cancelling_frees_the_seat_for_the_first_person_waiting(client):
    offering_id = await make_workshop("Popular", capacity=1)
    me = await make_user("attendee")
    mine = await _register(me, offering_id)
    waiting_person = await make_user("attendee")
    waiting = await _register(waiting_person, offering_id)
    await signed_in(client, me)

    confirm = await client.get(f"/my/learning/{mine['id']}/cancel")
    assert confirm.status_code == 200
    assert "Cancel your registration?" in text_of(confirm.text)
    assert await _status(mine["id"]) == "confirmed"  # looking at the question changes nothing

    response = await post_form(client, f"/my/learning/{mine['id']}/cancel", {}, token_from="/my/learning")

    assert response.status_code == 303
    assert response.headers["location"] == "/my/learning?notice=registration-cancelled"
    assert await _status(mine["id"]) == "cancelled"
    assert await _status(waiting["id"]) == "confirmed"
    page = await client.get(response.headers["location"])
    assert "Your registration is cancelled" in page.text
    subjects = {
        (m["to_address"], m["subject"])
        for m in await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.subject)
    }
    assert (me["email"], "Cancelled: Popular") in subjects
    assert any(to == waiting_person["email"] and s.startswith("A seat opened") for to, s in subjects)

    again = await post_form(client, f"/my/learning/{mine['id']}/cancel", {}, token_from="/my/learning")
    assert again.status_code == 409 and "already cancelled" in again.text


async def test_after_the_cancellation_deadline_the_page_explains_and_gives_the_staff_contact(client):
    offering_id = await make_workshop("Strict", cancellation_deadline=local(-1))
    me = await make_user("attendee")
    mine = await _register(me, offering_id)
    await signed_in(client, me)

    html = (await client.get("/my/learning")).text
    upcoming = section(html, "upcoming-heading")
    assert f'action="/my/learning/{mine["id"]}/cancel"' not in upcoming
    assert "The cancellation deadline was" in upcoming and "mailto:" in upcoming

    response = await post_form(client, f"/my/learning/{mine['id']}/cancel", {}, token_from="/my/learning")
    assert response.status_code == 409
    assert "The cancellation deadline was" in response.text and "contact SCOE" in text_of(response.text)
    assert await _status(mine["id"]) == "confirmed"
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("Cancelled%")) == 0


async def test_leaving_a_waiting_list_works_even_after_the_cancellation_deadline(client):
    offering_id = await make_workshop("Packed", capacity=1, cancellation_deadline=local(-1))
    await _register(await make_user("attendee"), offering_id)
    me = await make_user("attendee")
    waiting = await _register(me, offering_id)
    behind_person = await make_user("attendee")
    behind = await _register(behind_person, offering_id)
    await signed_in(client, me)

    confirm = await client.get(f"/my/learning/{waiting['id']}/cancel")
    assert "Leave the waiting list?" in text_of(confirm.text) and "number 1" in confirm.text
    response = await post_form(client, f"/my/learning/{waiting['id']}/cancel", {}, token_from="/my/learning")

    assert response.headers["location"] == "/my/learning?notice=left-waiting-list"
    assert await _status(waiting["id"]) == "cancelled"
    await signed_in(client, behind_person)  # the next person moves up
    assert "You are number 1 on the waiting list." in (await client.get(f"/my/learning/{behind['id']}")).text


async def test_nobody_cancels_someone_elses_registration(client):
    offering_id = await make_workshop()
    owner = await make_user("attendee", district="EGUSD")
    theirs = await _register(owner, offering_id)
    for intruder in (await make_user("attendee", district="EGUSD"), await make_user("coordinator", district="SJUSD")):
        await signed_in(client, intruder)
        assert (await client.get(f"/my/learning/{theirs['id']}/cancel")).status_code == 404
        response = await post_form(client, f"/my/learning/{theirs['id']}/cancel", {}, token_from="/my/learning")
        assert response.status_code == 404
    assert await _status(theirs["id"]) == "confirmed"
    response = await post_form(client, "/my/learning/999999/cancel", {}, token_from="/my/learning")
    assert response.status_code == 404
