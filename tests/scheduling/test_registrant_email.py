"""Staff email an offering's registrants: check the recipients, confirm the count, send through the outbox."""

from __future__ import annotations

import asyncio
import re

from booking.notifications.delivery import SmtpTransport
from booking.notifications.tables import OutboxMessage
from booking.notifications.worker import deliver_pending
from booking.scheduling.tables import OfferingMessage
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import attendees, enrol, page_csrf, staff_member, workshop


async def _setup(client, people: int = 3, capacity: int = 2):
    staff, actor = await staff_member(name="Dana Program")
    offering = await workshop(actor, capacity=capacity, title="Number Talks")
    persons = await attendees(people)
    registrations = await enrol(offering["id"], persons)
    await signed_in(client, staff)
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/email"))
    return staff, offering, persons, registrations, token


def _form(token: str, **fields) -> dict:
    return {
        "_csrf_token": token,
        "audience": "confirmed",
        "session": "",
        "subject": "Room change",
        "body": "We meet in Room 4 <b>this</b> week.\n\nBring a calculator.",
        **fields,
    }


async def _outbox() -> list[dict]:
    return await OutboxMessage.select().order_by(OutboxMessage.id)


async def test_check_then_confirm_sends_one_email_per_confirmed_person_and_keeps_it_in_history(client, smtp_server):
    staff, offering, persons, registrations, token = await _setup(client)
    confirmed = [p for p, r in zip(persons, registrations) if r["status"] == "confirmed"]
    before = len(await _outbox())
    url = f"/staff/offerings/{offering['id']}/email"

    preview = await client.post(url, data=_form(token))
    assert preview.status_code == 200
    assert "Send this email to 2 people?" in preview.text and 'name="confirm_count" value="2"' in preview.text
    assert "&lt;b&gt;this&lt;/b&gt;" in preview.text  # staff's text is shown, never run as HTML
    assert len(await _outbox()) == before  # nothing sent by checking

    sent = await client.post(f"{url}/send", data={**_form(token), "confirm_count": "2"})
    assert sent.status_code == 303
    rows = (await _outbox())[before:]
    assert sorted(r["to_address"] for r in rows) == sorted(p["email"] for p in confirmed)
    assert all(r["subject"] == "Room change (Number Talks)" for r in rows)
    history = await OfferingMessage.select().where(OfferingMessage.offering == offering["id"])
    assert [(h["audience"], h["recipients"], h["sent_by"]) for h in history] == [("confirmed", 2, staff["id"])]
    page = await client.get(sent.headers["location"])
    assert "Room change" in page.text and "everyone confirmed, 2 people" in page.text

    await deliver_pending(SmtpTransport(smtp_server.url))
    [message] = [m for m in smtp_server.to(confirmed[0]["email"]) if m["Subject"] == "Room change (Number Talks)"]
    text = message.get_body(("plain",)).get_content()
    assert "We meet in Room 4 <b>this</b> week." in text and "Dana Program" in text
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;this&lt;/b&gt;" in html and "<b>this</b>" not in html


async def test_only_the_waiting_list_or_only_the_absent_of_a_session(client):
    staff, offering, persons, registrations, token = await _setup(client, people=3, capacity=2)
    url = f"/staff/offerings/{offering['id']}/email"
    waiting = await client.post(url, data=_form(token, audience="waiting"))
    assert "Send this email to 1 person?" in waiting.text
    waitlisted = next(p for p, r in zip(persons, registrations) if r["status"] == "waitlisted")
    assert waitlisted["name"] in waiting.text

    session = offering["sessions"][0]
    absent = next(r for r in registrations if r["status"] == "confirmed")
    await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{absent['id']}",
        data={"status": "absent", "_csrf_token": token},
    )
    no_session = await client.post(url, data=_form(token, audience="absent"))
    assert no_session.status_code == 422 and "Choose the session" in no_session.text
    before = len(await _outbox())
    sent = await client.post(
        f"{url}/send", data={**_form(token, audience="absent", session=str(session["id"])), "confirm_count": "1"}
    )
    assert sent.status_code == 303
    rows = (await _outbox())[before:]
    assert len(rows) == 1
    other_session = offering["sessions"][1]
    nobody = await client.post(url, data=_form(token, audience="absent", session=str(other_session["id"])))
    assert nobody.status_code == 200 and "Nobody matches" in nobody.text and "confirm_count" not in nobody.text


async def test_a_count_that_no_longer_matches_or_no_confirmation_sends_nothing(client):
    staff, offering, persons, registrations, token = await _setup(client, people=1, capacity=5)
    url = f"/staff/offerings/{offering['id']}/email"
    await enrol(offering["id"], await attendees(1))  # someone registers after staff checked the list
    before = len(await _outbox())
    unconfirmed = await client.post(f"{url}/send", data=_form(token))
    assert unconfirmed.status_code == 422
    changed = await client.post(f"{url}/send", data={**_form(token), "confirm_count": "1"})
    assert changed.status_code == 409 and "now has 2 people" in changed.text
    for bad in (
        {"subject": ""},
        {"body": "   "},
        {"audience": "everyone"},
        {"subject": "x" * 151},
        {"session": "abc", "audience": "absent"},
        {"session": "99999999", "audience": "absent"},
    ):
        response = await client.post(f"{url}/send", data={**_form(token, **bad), "confirm_count": "2"})
        assert response.status_code == 422, bad
    assert len(await _outbox()) == before
    assert await OfferingMessage.select().where(OfferingMessage.offering == offering["id"]) == []


async def test_two_sends_at_once_each_send_once(client, engine_kind):
    staff, offering, persons, registrations, token = await _setup(client, people=2, capacity=5)
    url = f"/staff/offerings/{offering['id']}/email/send"
    before = len(await _outbox())
    responses = await asyncio.gather(
        *(client.post(url, data={**_form(token, subject=f"Note {i}"), "confirm_count": "2"}) for i in range(3))
    )
    assert [r.status_code for r in responses] == [303] * 3
    assert len(await _outbox()) - before == 6
    assert len(await OfferingMessage.select().where(OfferingMessage.offering == offering["id"])) == 3


async def test_only_staff_and_admin_email_registrants(client):
    staff, offering, persons, registrations, token = await _setup(client)
    url = f"/staff/offerings/{offering['id']}/email"
    before = len(await _outbox())
    for role in ("attendee", "coordinator", "finance"):
        await signed_in(client, await make_user(role, password=None))
        assert (await client.get(url)).status_code == 403
        assert (await client.post(f"{url}/send", data={**_form(token), "confirm_count": "2"})).status_code == 403
    assert len(await _outbox()) == before
    await signed_in(client, await make_user("admin", password=None))
    page = await client.get(url)
    assert page.status_code == 200 and re.search(r"<h1>Email registrants", page.text)
