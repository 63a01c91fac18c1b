"""Sessions: add, reschedule, move, cancel. People registered or waiting hear of every change,
exactly once, and each change bumps the session's calendar sequence."""

from __future__ import annotations

import datetime as dt

from booking.accounts.tables import District
from booking.notifications.tables import OutboxMessage
from booking.scheduling.tables import Registration
from tests.api_helpers import bearer
from tests.catalog.staff_helpers import (
    add_session,
    as_staff,
    mails,
    make_room,
    new_offering,
    offering_row,
    post,
    published_offering,
    session_form,
    sessions_rows,
)
from tests.factories import make_user, signed_in

UTC = dt.timezone.utc


async def _register(client, offering_id: int, person: dict, **body) -> dict:
    response = await client.post(
        f"/api/v1/offerings/{offering_id}/registrations", json=body, headers=await bearer(person)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_reschedule_emails_each_affected_person_once_and_bumps_the_sequence(client):
    staff = await as_staff(client)
    room = await make_room(client, room="Room 101")
    offering_id = await published_offering(client, capacity="2", price="30", title="Number Talks", room_id=room)
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "EGUSD")
    confirmed = await make_user("attendee", district="SJUSD")
    held = await make_user("attendee", district="EGUSD")
    waiting = await make_user("attendee", district="SJUSD")
    left = await make_user("attendee", district="SJUSD")
    await _register(client, offering_id, confirmed, payer="district")
    assert (await _register(client, offering_id, held, payer="district"))["status"] == "pending_approval"
    assert (await _register(client, offering_id, waiting, payer="district"))["status"] == "waitlisted"
    gone = await _register(client, offering_id, left, payer="district")
    await client.delete(f"/api/v1/registrations/{gone['id']}", headers=await bearer(left))
    # A hold that expired no longer counts as someone to tell.
    expired = await make_user("attendee", district="EGUSD")
    await Registration.insert(
        Registration(
            offering=offering_id,
            attendee=expired["id"],
            status="pending_approval",
            hold_expires_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    await signed_in(client, staff)
    [session] = await sessions_rows(offering_id)
    assert session["sequence"] == 0
    before = await OutboxMessage.count()

    path = f"/staff/offerings/{offering_id}/sessions/{session['id']}"
    form = await client.get(path)
    assert form.status_code == 200 and 'value="2027-03-01"' in form.text and 'value="09:00"' in form.text
    response = await post(client, path, session_form("2027-03-02", "13:00", "16:00", room))
    assert (
        response.status_code == 303
        and response.headers["location"] == f"/staff/offerings/{offering_id}?notice=session-rescheduled"
    )

    [moved] = await sessions_rows(offering_id)
    assert moved["sequence"] == 1
    assert (moved["starts_at"], moved["ends_at"]) == (
        dt.datetime(2027, 3, 2, 21, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 3, 0, 0, tzinfo=UTC),
    )
    sent = await mails("Session changed: Number Talks")
    assert await OutboxMessage.count() - before == len(sent) == 3
    assert sorted(m["to_address"] for m in sent) == sorted(p["email"] for p in (confirmed, held, waiting))
    body = next(m for m in sent if m["to_address"] == confirmed["email"])["body_text"]
    assert (
        "Now: Tue Mar 2, 2027 1:00 PM PST to 4:00 PM" in body and "Was: Mon Mar 1, 2027 9:00 AM PST to 12:00 PM" in body
    )
    assert "waiting list" in next(m for m in sent if m["to_address"] == waiting["email"])["body_text"]

    # The same values again: nothing changed, nobody is emailed, the sequence stays.
    again = await post(client, path, session_form("2027-03-02", "13:00", "16:00", room))
    assert again.headers["location"].endswith("notice=session-unchanged")
    assert (await sessions_rows(offering_id))[0]["sequence"] == 1 and len(await mails("Session changed")) == 3

    # Changing only the place is a change too.
    assert (
        await post(
            client, path, session_form("2027-03-02", "13:00", "16:00", None, online_url="https://zoom.example/j/9")
        )
    ).status_code == 303
    [online] = await sessions_rows(offering_id)
    assert (online["sequence"], online["room"], online["online_url"]) == (2, None, "https://zoom.example/j/9")
    assert len(await mails("Session changed")) == 6


async def test_bad_session_input_changes_nothing(client):
    await as_staff(client)
    offering_id = await published_offering(client)
    [session] = await sessions_rows(offering_id)
    path = f"/staff/offerings/{offering_id}/sessions/{session['id']}"
    cases = (
        (session_form("2027-03-01", "12:00", "09:00"), "A session must end after it starts"),
        (session_form("2027-03-01", "12:00", "12:00"), "A session must end after it starts"),
        (session_form("2027-02-30", "09:00", "10:00"), "Enter a date"),
        (session_form("2027-03-01", "9 o'clock", "10:00"), "Enter a time"),
        (session_form("2027-03-01", "06:00", "21:00"), "at most 14 hours"),
        (session_form("2027-03-14", "02:30", "04:00"), "does not exist in Sacramento"),
        (session_form("2027-03-01", "09:00", "10:00", online_url="zoom.us/j/1"), "starting with https://"),
        ({**session_form("2027-03-01", "09:00", "10:00"), "room_id": "999999"}, "Choose a room from the list"),
        ({**session_form("2027-03-01", "09:00", "10:00"), "room_id": "abc"}, "Choose a room from the list"),
    )
    for data, message in cases:
        for target in (path, f"/staff/offerings/{offering_id}/sessions"):
            response = await post(client, target, data)
            assert response.status_code == 422 and message in response.text, (target, data, response.status_code)
    assert await sessions_rows(offering_id) == [session]
    assert await mails("Session") == []

    other = await new_offering(client)
    assert (await client.get(f"/staff/offerings/{other}/sessions/{session['id']}")).status_code == 404
    assert (
        await post(client, f"/staff/offerings/{other}/sessions/{session['id']}", session_form("2027-03-05"))
    ).status_code == 404
    assert (
        await post(client, f"/staff/offerings/{other}/sessions/{session['id']}/cancel", {"reason": ""})
    ).status_code == 404


async def test_cancel_a_session_and_add_one_people_are_told(client):
    staff = await as_staff(client)
    offering_id = await published_offering(client, title="Math Series")
    person = await make_user("attendee")
    await _register(client, offering_id, person)
    await signed_in(client, staff)
    [only] = await sessions_rows(offering_id)
    last = await post(client, f"/staff/offerings/{offering_id}/sessions/{only['id']}/cancel", {"reason": ""})
    assert last.status_code == 409 and "only session" in last.text
    assert (await sessions_rows(offering_id))[0]["status"] == "scheduled"

    assert (await add_session(client, offering_id, "2027-03-08", "09:00", "12:00")).status_code == 303
    added = await mails("New session: Math Series")
    assert [m["to_address"] for m in added] == [person["email"]] and "Mon Mar 8, 2027 9:00 AM PST" in added[0][
        "body_text"
    ]

    cancel = await post(client, f"/staff/offerings/{offering_id}/sessions/{only['id']}/cancel", {"reason": "Snow day."})
    assert cancel.status_code == 303
    first, second = await sessions_rows(offering_id)
    assert (first["status"], first["sequence"], second["status"]) == ("cancelled", 1, "scheduled")
    told = await mails("Session cancelled: Math Series")
    assert [m["to_address"] for m in told] == [person["email"]] and "Snow day." in told[0]["body_text"]
    public = (await client.get(f"/api/v1/offerings/{offering_id}")).json()
    assert [s["id"] for s in public["sessions"]] == [second["id"]]
    twice = await post(client, f"/staff/offerings/{offering_id}/sessions/{only['id']}/cancel", {"reason": ""})
    assert twice.status_code == 409
    page = await client.get(f"/staff/offerings/{offering_id}")
    assert "Cancelled" in page.text and page.text.count("Change or cancel") == 1


async def test_a_draft_without_registrations_gets_sessions_without_emails_and_closed_workshops_refuse(client):
    await as_staff(client)
    offering_id = await new_offering(client)
    assert (await add_session(client, offering_id, "2027-03-01")).status_code == 303
    assert (await add_session(client, offering_id, "2027-03-02")).status_code == 303
    first = (await sessions_rows(offering_id))[0]
    # A draft's only-but-one session can be cancelled; a draft may even lose all its sessions.
    assert (
        await post(client, f"/staff/offerings/{offering_id}/sessions/{first['id']}/cancel", {"reason": ""})
    ).status_code == 303
    assert await mails() == []
    assert (await post(client, f"/staff/offerings/{offering_id}/publish", {})).status_code == 303
    assert (
        await post(client, f"/staff/offerings/{offering_id}/cancel", {"reason": "Low enrolment"})
    ).status_code == 303
    second = (await sessions_rows(offering_id))[1]
    assert (await add_session(client, offering_id, "2027-03-09")).status_code == 409
    assert (
        await post(client, f"/staff/offerings/{offering_id}/sessions/{second['id']}", session_form("2027-03-10"))
    ).status_code == 409
    assert len(await sessions_rows(offering_id)) == 2
    assert (await offering_row(offering_id))["status"] == "cancelled"
