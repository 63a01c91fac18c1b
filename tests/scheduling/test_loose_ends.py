"""The loose ends between modules: a completed workshop's waiting list, sessions moved into the past,
completing with attendance not taken."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.catalog.sessions import reschedule_session
from booking.catalog.tables import Offering, OfferingSession
from booking.catalog.validation import SessionInput
from booking.clock import utc_now
from booking.errors import InvalidInput
from booking.notifications.tables import OutboxMessage
from booking.scheduling.attendance import mark_attendance
from booking.scheduling.pd_hours import AttendanceUnmarked
from booking.scheduling.tables import RegistrationEvent
from booking.workflows.complete_offering import complete_offering
from tests.factories import post_form, signed_in
from tests.scheduling.attendance_helpers import attendees, enrol, registration, session, staff_member, workshop


async def _mail_to(email: str) -> list[dict]:
    return await OutboxMessage.select(OutboxMessage.subject, OutboxMessage.body_text).where(
        OutboxMessage.to_address == email
    )


async def test_completing_a_workshop_closes_its_waiting_list_and_tells_those_waiting(db):
    _, staff = await staff_member()
    offering = await workshop(staff, capacity=1, sessions=[session(2026, 4, 7)])
    people = await attendees(3)
    seated, first_waiting, second_waiting = await enrol(offering["id"], people)
    assert (seated["status"], first_waiting["status"], second_waiting["status"]) == (
        "confirmed",
        "waitlisted",
        "waitlisted",
    )
    await mark_attendance(staff, offering["id"], offering["sessions"][0]["id"], seated["id"], "present")

    summary = await complete_offering(staff, offering["id"])

    assert summary.waitlist_closed == 2 and summary.awarded == 1
    for waiting, person in ((first_waiting, people[1]), (second_waiting, people[2])):
        row = await registration(waiting["id"])
        assert (row["status"], row["waitlist_rank"]) == ("cancelled", None)
        assert "waiting list is closed" in row["cancel_reason"]
        kinds = [
            e["kind"]
            for e in await RegistrationEvent.select(RegistrationEvent.kind)
            .where(RegistrationEvent.registration == waiting["id"])
            .order_by(RegistrationEvent.id)
        ]
        assert kinds == ["registered", "waitlist_closed"]
        [mail] = [m for m in await _mail_to(person["email"]) if "waiting list has closed" in m["subject"]]
        assert offering["title"] in mail["subject"] and "Nothing was charged" in mail["body_text"]
    assert (await registration(seated["id"]))["status"] == "confirmed"  # the seat itself stays
    # Completing again (a recalculation) has nobody left to close and tells nobody twice.
    again = await complete_offering(staff, offering["id"])
    assert again.waitlist_closed == 0
    assert len([m for m in await _mail_to(people[1]["email"]) if "waiting list has closed" in m["subject"]]) == 1


async def test_completing_with_attendance_unmarked_asks_first_and_lists_who(db):
    _, staff = await staff_member()
    offering = await workshop(staff, sessions=[session(2026, 4, 7), session(2026, 4, 14)])
    marked, half, none = await enrol(offering["id"], await attendees(3))
    first, second = offering["sessions"]
    for s in (first, second):
        await mark_attendance(staff, offering["id"], s["id"], marked["id"], "present")
    await mark_attendance(staff, offering["id"], first["id"], half["id"], "absent")

    with pytest.raises(AttendanceUnmarked) as asked:
        await complete_offering(staff, offering["id"])
    unmarked = {person["registration"]: person for person in asked.value.unmarked}
    assert set(unmarked) == {half["id"], none["id"]}
    assert len(unmarked[half["id"]]["sessions"]) == 1 and len(unmarked[none["id"]]["sessions"]) == 2
    assert unmarked[half["id"]]["name"] in asked.value.message
    assert (await Offering.select(Offering.status).where(Offering.id == offering["id"]).first())[
        "status"
    ] == "published"
    assert (await registration(marked["id"]))["completed_at"] is None  # nothing awarded yet

    summary = await complete_offering(staff, offering["id"], confirm_unmarked=True)
    assert (summary.awarded, summary.not_awarded) == (1, 2)


async def test_everyone_marked_completes_without_asking(db):
    _, staff = await staff_member()
    offering = await workshop(staff, sessions=[session(2026, 4, 7)])
    [only] = await enrol(offering["id"], await attendees(1))
    await mark_attendance(staff, offering["id"], offering["sessions"][0]["id"], only["id"], "excused")
    assert (await complete_offering(staff, offering["id"])).not_awarded == 1


def _moved(row: dict, starts_at: dt.datetime) -> SessionInput:
    return SessionInput(
        starts_at=starts_at,
        ends_at=starts_at + (row["ends_at"] - row["starts_at"]),
        room_id=row["room"],
        online_url=row["online_url"],
        location_note=row["location_note"],
    )


async def test_a_session_moves_into_the_past_only_when_staff_record_history_and_nobody_is_emailed(db):
    _, staff = await staff_member()
    soon = utc_now() + dt.timedelta(days=10)
    offering = await workshop(staff, sessions=[SessionInput(soon, soon + dt.timedelta(hours=2))])
    people = await attendees(2)
    await enrol(offering["id"], people)
    [before] = await OfferingSession.select().where(OfferingSession.offering == offering["id"])
    mails_before = await OutboxMessage.count()
    yesterday = utc_now() - dt.timedelta(days=1)

    with pytest.raises(InvalidInput) as refused:
        await reschedule_session(staff, offering["id"], before["id"], _moved(before, yesterday))
    assert "into the past" in refused.value.field_errors["record_past"]
    assert await OfferingSession.select().where(OfferingSession.id == before["id"]).first() == before
    assert await OutboxMessage.count() == mails_before

    assert await reschedule_session(staff, offering["id"], before["id"], _moved(before, yesterday), record_past=True)
    after = await OfferingSession.select().where(OfferingSession.id == before["id"]).first()
    assert after["starts_at"] == yesterday
    assert await OutboxMessage.count() == mails_before  # history recorded: nobody is told

    # A move within the future still tells everyone.
    later = utc_now() + dt.timedelta(days=12)
    await reschedule_session(staff, after["offering"], after["id"], _moved(after, later))
    assert await OutboxMessage.count() == mails_before + len(people)


async def test_the_session_page_asks_before_moving_a_session_into_the_past(client):
    staff_user, staff = await staff_member()
    soon = utc_now() + dt.timedelta(days=10)
    offering = await workshop(staff, sessions=[SessionInput(soon, soon + dt.timedelta(hours=2))])
    [row] = await OfferingSession.select().where(OfferingSession.offering == offering["id"])
    await signed_in(client, staff_user)
    path = f"/staff/offerings/{offering['id']}/sessions/{row['id']}"
    past = {
        "date": "2026-01-05",
        "start_time": "09:00",
        "end_time": "11:00",
        "room_id": "",
        "online_url": "",
        "location_note": "",
    }
    asked = await post_form(client, path, past, token_from=path)
    assert asked.status_code == 422 and "into the past" in asked.text and 'name="record_past"' in asked.text
    assert (await OfferingSession.select().where(OfferingSession.id == row["id"]).first())["starts_at"] == row[
        "starts_at"
    ]
    recorded = await post_form(client, path, {**past, "record_past": "yes"}, token_from=path)
    assert recorded.status_code == 303
    moved = await OfferingSession.select().where(OfferingSession.id == row["id"]).first()
    assert moved["starts_at"].date() == dt.date(2026, 1, 5)
