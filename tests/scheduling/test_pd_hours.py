"""PD hours: the attendance rule, completing an offering, recomputing after corrections."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking.catalog.tables import Offering
from booking.errors import Conflict, Forbidden
from booking.scheduling.attendance import mark_attendance
from booking.scheduling.pd_hours import evaluate, new_certificate_code
from booking.scheduling.tables import Registration, RegistrationEvent
from booking.workflows.complete_offering import complete_offering
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import (
    attendees,
    enrol,
    local,
    page_csrf,
    registration,
    session,
    staff_member,
    workshop,
)

CODE = re.compile(r"^[A-HJKMNP-TV-Z2-9]{5}(-[A-HJKMNP-TV-Z2-9]{5}){3}$")


async def make_user_name(registration_row) -> str:
    row = (
        await Registration.select(Registration.attendee.name.as_alias("name"))
        .where(Registration.id == registration_row["id"])
        .first()
    )
    return row["name"]


async def _mark(actor, offering, registration_row, statuses: list[str | None]) -> None:
    for s, status in zip(offering["sessions"], statuses):
        if status:
            await mark_attendance(actor, offering["id"], s["id"], registration_row["id"], status)


async def test_all_sessions_awards_only_those_present_at_every_session(client):
    staff, actor = await staff_member()
    offering = await workshop(actor, capacity=4, pd_hours="9")
    everyone, excused, partial, nobody, waiting = await enrol(offering["id"], await attendees(5))
    assert waiting["status"] == "waitlisted"
    await _mark(actor, offering, everyone, ["present", "present", "present"])
    await _mark(actor, offering, excused, ["present", "excused", "present"])
    await _mark(actor, offering, partial, ["present", "absent", None])
    await signed_in(client, staff)
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/roster"))

    # Attendance is missing for two people: the page asks first, naming them, and nothing changes.
    asked = await client.post(f"/staff/offerings/{offering['id']}/complete", data={"_csrf_token": token})
    assert asked.status_code == 409
    assert "Attendance is not marked for 2 people" in asked.text and "Complete anyway" in asked.text
    unmarked_names = re.findall(r"<li>([^<:]+):", asked.text.split('id="unmarked"')[1].split("</ul>")[0])
    expected = sorted([(await make_user_name(partial)), (await make_user_name(nobody))])
    assert sorted(unmarked_names) == expected
    assert (await Offering.select(Offering.status).where(Offering.id == offering["id"]).first())[
        "status"
    ] == "published"

    response = await client.post(
        f"/staff/offerings/{offering['id']}/complete", data={"_csrf_token": token, "confirm_unmarked": "yes"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/offerings/{offering['id']}/roster?notice=offering-completed"
    assert (await Offering.select(Offering.status).where(Offering.id == offering["id"]).first())[
        "status"
    ] == "completed"
    awarded = await registration(everyone["id"])
    assert awarded["pd_hours_awarded_tenths"] == 90 and awarded["completed_at"] is not None
    assert CODE.match(awarded["certificate_code"])
    for other in (excused, partial, nobody, waiting):  # excused is not present: no hours
        row = await registration(other["id"])
        assert (row["pd_hours_awarded_tenths"], row["completed_at"], row["certificate_code"]) == (None, None, None)
    events = (
        await RegistrationEvent.select(RegistrationEvent.kind, RegistrationEvent.note)
        .where(RegistrationEvent.registration == everyone["id"])
        .order_by(RegistrationEvent.id)
    )
    assert events[-1] == {"kind": "pd_hours_awarded", "note": "9 PD hours"}
    page = await client.get(response.headers["location"])
    assert "The workshop is completed." in page.text
    assert "1 of 4 awarded PD hours" in page.text
    assert "Recalculate PD hours" in page.text


async def test_min_hours_adds_up_the_attended_sessions(db):
    staff, actor = await staff_member()
    offering = await workshop(
        actor,
        sessions=[session(2026, 4, 7, hours=3), session(2026, 4, 14, hours=3), session(2026, 4, 21, hours=2.5)],
        attendance_rule="min_hours",
        min_attendance_hours="5.5",
        pd_hours="8.5",
    )
    exactly, more, short, excused = await enrol(offering["id"], await attendees(4))
    await _mark(actor, offering, exactly, ["present", "absent", "present"])  # 5.5 h: enough
    await _mark(actor, offering, more, ["present", "present", "present"])  # 8.5 h
    await _mark(actor, offering, short, ["present", "absent", "absent"])  # 3 h
    await _mark(actor, offering, excused, ["present", "excused", "excused"])  # 3 h

    summary = await complete_offering(actor, offering["id"])

    assert (summary.awarded, summary.not_awarded) == (2, 2)
    assert [(await registration(r["id"]))["pd_hours_awarded_tenths"] for r in (exactly, more, short, excused)] == [
        85,
        85,
        None,
        None,
    ]


async def test_completing_again_is_idempotent_and_corrections_recompute(db):
    staff, actor = await staff_member()
    offering = await workshop(actor, sessions=[session(2026, 3, 10), session(2026, 3, 17)])
    a, b = await enrol(offering["id"], await attendees(2))
    await _mark(actor, offering, a, ["present", "present"])
    await _mark(actor, offering, b, ["present", "absent"])
    first_done = dt.datetime(2026, 3, 18, 17, tzinfo=dt.timezone.utc)

    await complete_offering(actor, offering["id"], now=first_done)
    before = await registration(a["id"])
    summary = await complete_offering(actor, offering["id"], now=first_done + dt.timedelta(days=3))
    after = await registration(a["id"])

    assert (summary.awarded, summary.not_awarded) == (1, 1)
    assert after == before  # same code, same completion date: printed certificates stay valid
    assert after["completed_at"] == first_done

    # b's absence was a mistake: correcting it on a completed workshop awards at once.
    await mark_attendance(actor, offering["id"], offering["sessions"][1]["id"], b["id"], "present")
    b_row = await registration(b["id"])
    assert b_row["pd_hours_awarded_tenths"] == 90 and CODE.match(b_row["certificate_code"])
    assert b_row["certificate_code"] != after["certificate_code"]
    # a was marked present by mistake: the award and its certificate are withdrawn.
    await mark_attendance(actor, offering["id"], offering["sessions"][0]["id"], a["id"], "absent")
    a_row = await registration(a["id"])
    assert (a_row["pd_hours_awarded_tenths"], a_row["completed_at"], a_row["certificate_code"]) == (None, None, None)
    kinds = [
        e["kind"]
        for e in await RegistrationEvent.select(RegistrationEvent.kind)
        .where(RegistrationEvent.registration == a["id"])
        .order_by(RegistrationEvent.id)
    ]
    assert kinds[-2:] == ["pd_hours_awarded", "pd_hours_withdrawn"]
    # Running the completion again agrees with the corrections.
    summary = await complete_offering(actor, offering["id"])
    assert (summary.awarded, summary.not_awarded) == (1, 1)
    assert (await registration(b["id"]))["certificate_code"] == b_row["certificate_code"]


async def test_a_workshop_is_completed_only_after_its_last_session_started_and_only_when_published(db):
    staff, actor = await staff_member()
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    upcoming = await workshop(actor, sessions=[session(2026, 3, 10), session(future.year, future.month, future.day)])
    with pytest.raises(Conflict) as caught:
        await complete_offering(actor, upcoming["id"])
    assert caught.value.code == "not_finished" and "Mark the workshop completed after it" in caught.value.message

    draft = await workshop(actor, status="draft")
    with pytest.raises(Conflict):
        await complete_offering(actor, draft["id"])
    past = await workshop(actor)
    await Offering.update({Offering.status: "cancelled"}).where(Offering.id == past["id"])
    with pytest.raises(Conflict):
        await complete_offering(actor, past["id"])
    no_sessions = await workshop(actor, sessions=[], status="draft")
    await Offering.update({Offering.status: "published"}).where(Offering.id == no_sessions["id"])
    with pytest.raises(Conflict) as caught:
        await complete_offering(actor, no_sessions["id"])
    assert caught.value.code == "no_sessions"

    from booking.accounts.actor import Actor

    teacher = Actor.from_row(await make_user("attendee"))
    with pytest.raises(Forbidden):
        await complete_offering(teacher, past["id"])
    statuses = {o["id"]: o["status"] for o in await Offering.select(Offering.id, Offering.status)}
    assert statuses == {
        upcoming["id"]: "published",
        draft["id"]: "draft",
        past["id"]: "cancelled",
        no_sessions["id"]: "published",
    }
    assert await Registration.count().where(Registration.completed_at.is_not_null()) == 0


async def test_completing_over_http_reports_a_refusal_and_changes_nothing(client):
    staff, actor = await staff_member()
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    upcoming = await workshop(actor, sessions=[session(future.year, future.month, future.day)])
    await signed_in(client, staff)
    token = page_csrf(await client.get(f"/staff/offerings/{upcoming['id']}/roster"))

    response = await client.post(f"/staff/offerings/{upcoming['id']}/complete", data={"_csrf_token": token})
    unknown = await client.post("/staff/offerings/999999/complete", data={"_csrf_token": token})

    assert response.status_code == 409 and "Mark the workshop completed after it" in response.text
    assert unknown.status_code == 404
    assert (await Offering.select(Offering.status).where(Offering.id == upcoming["id"]).first())[
        "status"
    ] == "published"


def test_the_rule_needs_someone_present_whatever_the_minimum():
    sessions = [
        {"id": 1, "status": "scheduled", "starts_at": local(2026, 3, 10, 9), "ends_at": local(2026, 3, 10, 12)},
        {"id": 2, "status": "cancelled", "starts_at": local(2026, 3, 17, 9), "ends_at": local(2026, 3, 17, 12)},
    ]
    all_sessions = {"attendance_rule": "all_sessions", "min_attendance_tenths": 0}
    zero_hours = {"attendance_rule": "min_hours", "min_attendance_tenths": 0}
    assert not evaluate(all_sessions, sessions, {}).met
    assert not evaluate(zero_hours, sessions, {1: "excused"}).met
    assert evaluate(zero_hours, sessions, {1: "present"}).met
    result = evaluate(all_sessions, sessions, {1: "present"})  # a cancelled session is nobody's absence
    assert result.met and (result.sessions_present, result.sessions_total, result.attended_tenths) == (1, 1, 30)
    assert not evaluate({"attendance_rule": "something_else", "min_attendance_tenths": 0}, sessions, {1: "present"}).met
    assert not evaluate({"attendance_rule": "min_hours", "min_attendance_tenths": 31}, sessions, {1: "present"}).met


def test_certificate_codes_are_random_and_easy_to_type():
    codes = {new_certificate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.match(code) for code in codes)
