"""Scheduling refuses a double-booked room or facilitator and a room too small, unless staff
schedule anyway with a reason, which is recorded."""

from __future__ import annotations

import asyncio

from booking.catalog.tables import OfferingSession, ScheduleOverride
from tests.api_helpers import bearer
from tests.catalog.staff_helpers import (
    OFFERING_FORM,
    add_session,
    as_staff,
    make_room,
    new_offering,
    offering_row,
    post,
    session_form,
    sessions_rows,
)
from tests.factories import csrf_token, make_user


async def test_room_double_booking_is_refused_then_accepted_with_a_recorded_reason(client):
    staff = await as_staff(client)
    room = await make_room(client, room="Room 101", seats=40)
    first = await new_offering(client, title="Number Talks")
    assert (await add_session(client, first, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    second = await new_offering(client, title="Science Notebooks")

    refused = await add_session(client, second, "2027-03-01", "11:00", "13:00", room_id=room)
    assert refused.status_code == 409
    assert (
        "Room already booked" in refused.text
        and "“Number Talks”" in refused.text
        and f"workshop #{first}" in refused.text
    )
    assert "Schedule anyway" in refused.text and 'value="11:00"' in refused.text  # the form keeps what was typed
    assert await sessions_rows(second) == []

    no_reason = await add_session(
        client, second, "2027-03-01", "11:00", "13:00", room_id=room, override="on", override_reason="  "
    )
    assert no_reason.status_code == 409 and "Say why it should be scheduled anyway" in no_reason.text
    assert await sessions_rows(second) == []

    accepted = await add_session(
        client,
        second,
        "2027-03-01",
        "11:00",
        "13:00",
        room_id=room,
        override="on",
        override_reason="The two groups share the room for a joint activity.",
    )
    assert accepted.status_code == 303
    [session] = await sessions_rows(second)
    [override] = await ScheduleOverride.select().where(ScheduleOverride.session == session["id"])
    assert override["warning_code"] == "room_double_booked"
    assert override["reason"] == "The two groups share the room for a joint activity."
    assert override["decided_by"] == staff["id"] and "Number Talks" in override["detail"]
    page = await client.get(f"/staff/offerings/{second}")
    assert "Scheduled despite a warning" in page.text and "The two groups share the room" in page.text


async def test_touching_sessions_cancelled_sessions_and_cancelled_workshops_do_not_conflict(client):
    await as_staff(client)
    room = await make_room(client)
    first = await new_offering(client, title="Morning")
    assert (await add_session(client, first, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    assert (await add_session(client, first, "2027-03-02", "09:00", "12:00", room_id=room)).status_code == 303
    second = await new_offering(client, title="Afternoon")
    # Ends when the other starts: no overlap.
    assert (await add_session(client, second, "2027-03-01", "12:00", "15:00", room_id=room)).status_code == 303
    assert (await add_session(client, second, "2027-03-01", "07:00", "09:00", room_id=room)).status_code == 303
    # A cancelled session frees its room.
    second_day = (await sessions_rows(first))[1]
    assert (
        await post(client, f"/staff/offerings/{first}/sessions/{second_day['id']}/cancel", {"reason": ""})
    ).status_code == 303
    assert (await add_session(client, second, "2027-03-02", "10:00", "11:00", room_id=room)).status_code == 303
    # So does a cancelled workshop.
    assert (await post(client, f"/staff/offerings/{first}/cancel", {"reason": "Facilitator ill"})).status_code == 303
    third = await new_offering(client, title="Later")
    assert (await add_session(client, third, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    assert await ScheduleOverride.count() == 0


async def test_facilitator_double_booking_is_refused_when_scheduling_and_when_adding_the_facilitator(client):
    await as_staff(client)
    maria = await make_user("staff", name="Maria Lopez")
    first = await new_offering(client, title="Number Talks", facilitator_ids=[str(maria["id"])])
    assert (await add_session(client, first, "2027-03-01", "09:00", "12:00")).status_code == 303

    second = await new_offering(client, title="Fractions", facilitator_ids=[str(maria["id"])])
    refused = await add_session(client, second, "2027-03-01", "11:30", "14:00", online_url="https://zoom.example/j/2")
    assert refused.status_code == 409
    assert (
        "Facilitator already booked" in refused.text
        and "Maria Lopez is already facilitating “Number Talks”" in refused.text
    )
    assert await sessions_rows(second) == []
    assert (await add_session(client, second, "2027-03-01", "12:00", "14:00")).status_code == 303  # right after: fine

    # Adding Maria to a workshop whose session overlaps hers is refused the same way.
    third = await new_offering(client, title="Geometry")
    assert (await add_session(client, third, "2027-03-01", "10:00", "11:00")).status_code == 303
    form = {**OFFERING_FORM, "title": "Geometry", "facilitator_ids": [str(maria["id"])]}
    refused = await post(client, f"/staff/offerings/{third}", form)
    assert refused.status_code == 409 and "Maria Lopez is already facilitating" in refused.text
    assert (await client.get(f"/staff/offerings/{third}")).text.count(f'value="{maria["id"]}" checked') == 0
    accepted = await post(
        client, f"/staff/offerings/{third}", {**form, "override": "on", "override_reason": "Co-teaching, she drops in."}
    )
    assert accepted.status_code == 303
    [override] = await ScheduleOverride.select()
    assert (
        override["warning_code"] == "facilitator_double_booked" and override["reason"] == "Co-teaching, she drops in."
    )
    # Saving again without changing facilitators raises no new warning.
    assert (await post(client, f"/staff/offerings/{third}", {**form, "title": "Geometry II"})).status_code == 303
    assert await ScheduleOverride.count() == 1


async def test_room_smaller_than_the_capacity_is_refused_also_when_capacity_grows(client):
    await as_staff(client)
    small = await make_room(client, room="Seminar room", seats=20)
    offering = await new_offering(client, capacity="25")
    refused = await add_session(client, offering, "2027-04-01", room_id=small)
    assert (
        refused.status_code == 409
        and "Seminar room seats 20, fewer than this workshop&#39;s capacity of 25" in refused.text
    )
    assert await sessions_rows(offering) == []
    assert (
        await add_session(
            client, offering, "2027-04-01", room_id=small, override="on", override_reason="Five attend online."
        )
    ).status_code == 303
    assert [o["warning_code"] for o in await ScheduleOverride.select()] == ["room_too_small"]

    big = await make_room(client, room="Hall", seats=30)
    other = await new_offering(client, capacity="30")
    assert (await add_session(client, other, "2027-04-02", room_id=big)).status_code == 303
    refused = await post(client, f"/staff/offerings/{other}/capacity", {"capacity": "35"})
    assert refused.status_code == 409 and "Hall seats 30, fewer than this workshop&#39;s capacity of 35" in refused.text
    assert (await offering_row(other))["capacity"] == 30
    refused = await post(client, f"/staff/offerings/{other}", {**OFFERING_FORM, "capacity": "35"})
    assert refused.status_code == 409 and (await offering_row(other))["capacity"] == 30
    assert (
        await post(
            client,
            f"/staff/offerings/{other}/capacity",
            {"capacity": "35", "override": "on", "override_reason": "Extra chairs."},
        )
    ).status_code == 303
    assert (await offering_row(other))["capacity"] == 35
    # Lowering never warns about the room.
    assert (await post(client, f"/staff/offerings/{other}/capacity", {"capacity": "10"})).status_code == 303


async def test_rescheduling_into_a_booked_room_is_refused_until_overridden(client):
    await as_staff(client)
    room = await make_room(client)
    first = await new_offering(client, title="Number Talks")
    assert (await add_session(client, first, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    second = await new_offering(client, title="Fractions")
    assert (await add_session(client, second, "2027-03-02", "09:00", "12:00", room_id=room)).status_code == 303
    [session] = await sessions_rows(second)
    path = f"/staff/offerings/{second}/sessions/{session['id']}"
    refused = await post(client, path, session_form("2027-03-01", "10:00", "11:00", room))
    assert refused.status_code == 409 and "“Number Talks”" in refused.text
    assert (await sessions_rows(second))[0]["starts_at"] == session["starts_at"]
    # Moving within its own slot does not conflict with itself.
    assert (await post(client, path, session_form("2027-03-02", "09:30", "12:00", room))).status_code == 303
    assert (
        await post(
            client,
            path,
            session_form("2027-03-01", "10:00", "11:00", room, override="on", override_reason="Joint session."),
        )
    ).status_code == 303
    assert (await ScheduleOverride.select().first())["session"] == session["id"]


async def test_two_people_booking_the_same_room_at_once_one_is_refused(client):
    await as_staff(client)
    room = await make_room(client)
    offerings = [await new_offering(client, title=f"Workshop {i}") for i in range(20)]
    token = await csrf_token(client, "/account")

    responses = await asyncio.gather(
        *[
            client.post(
                f"/staff/offerings/{o}/sessions",
                data={**session_form("2027-05-03", "09:00", "12:00", room), "_csrf_token": token},
            )
            for o in offerings
        ]
    )

    assert sorted(r.status_code for r in responses) == [303] + [409] * 19
    booked = await OfferingSession.select().where(OfferingSession.room == room)
    assert len(booked) == 1


async def test_the_api_refuses_a_double_booked_room_with_a_problem(client):
    staff = await make_user("staff")
    await as_staff(client)
    room = await make_room(client)
    body = {
        "kind": "workshop",
        "title": "API workshop",
        "capacity": 20,
        "status": "draft",
        "sessions": [
            {"starts_at": "2027-03-01T09:00:00-08:00", "ends_at": "2027-03-01T12:00:00-08:00", "room_id": room}
        ],
    }
    headers = await bearer(staff)
    assert (await client.post("/api/v1/offerings", json=body, headers=headers)).status_code == 201
    again = await client.post("/api/v1/offerings", json={**body, "title": "Clash"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "schedule_conflict" and "“API workshop”" in again.json()["detail"]


async def test_a_new_workshop_whose_first_session_clashes_is_refused_then_created_with_a_reason(client):
    await as_staff(client)
    room = await make_room(client, seats=40)
    first = await new_offering(client, title="Number Talks")
    assert (await add_session(client, first, "2027-03-01", "09:00", "12:00", room_id=room)).status_code == 303
    form = {
        **OFFERING_FORM,
        "title": "Clashing",
        "first_date": "2027-03-01",
        "first_start_time": "10:00",
        "first_end_time": "11:00",
        "first_room_id": str(room),
    }
    refused = await post(client, "/staff/offerings/new", form)
    assert refused.status_code == 409 and "Create it anyway" in refused.text and "“Number Talks”" in refused.text
    assert 'value="Clashing"' in refused.text and 'value="10:00"' in refused.text
    from booking.catalog.tables import Offering

    assert await Offering.count() == 1
    created = await post(
        client, "/staff/offerings/new", {**form, "override": "on", "override_reason": "Shared kickoff."}
    )
    assert created.status_code == 303
    [override] = await ScheduleOverride.select()
    assert (override["warning_code"], override["reason"]) == ("room_double_booked", "Shared kickoff.")
    session = await OfferingSession.select().where(OfferingSession.id == override["session"]).first()
    assert session["offering"] != first
