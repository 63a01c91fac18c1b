"""Check-in by QR code, mark all present and the printed sign-in sheet."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from booking.catalog.validation import SessionInput
from booking.clock import advance_clock_for_tests, reset_clock_for_tests, utc_now
from booking.scheduling import door_codes
from booking.scheduling.tables import Attendance
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import attendees, enrol, page_csrf, staff_member, workshop


@pytest.fixture(autouse=True)
def _real_clock():
    yield
    reset_clock_for_tests()


def _session_from_now(start_minutes: int, hours: float = 2) -> SessionInput:
    start = (utc_now() + dt.timedelta(minutes=start_minutes)).replace(second=0, microsecond=0)
    return SessionInput(starts_at=start, ends_at=start + dt.timedelta(hours=hours))


async def _today(people: int = 2, capacity: int = 20, start_minutes: int = 10):
    """A workshop whose one session starts in 10 minutes, so check-in is open now."""
    staff, actor = await staff_member()
    offering = await workshop(actor, sessions=[_session_from_now(start_minutes)], capacity=capacity)
    persons = await attendees(people)
    registrations = await enrol(offering["id"], persons)
    return staff, offering, persons, registrations


def _screen_path(session_id: int) -> str:
    return door_codes.check_in_path(session_id, door_codes.screen_code(session_id, utc_now()))


async def _check_in(client, path: str):
    page = await client.get(path)
    if page.status_code != 200:
        return page
    return await client.post(path, data={"_csrf_token": page_csrf(page)})


async def _marks(session_id: int) -> list[dict]:
    return await Attendance.select().where(Attendance.session == session_id).order_by(Attendance.id)


async def test_the_door_screen_shows_a_code_that_checks_a_confirmed_person_in_once(client):
    staff, offering, persons, registrations = await _today()
    session_id = offering["sessions"][0]["id"]
    await signed_in(client, staff)
    screen = await client.get(f"/staff/offerings/{offering['id']}/attendance/{session_id}/door")
    assert screen.status_code == 200
    assert "<svg" in screen.text and "0 of 2 checked in" in screen.text
    path = re.search(r"(/check-in/\d+/[0-9]+\.[A-Za-z0-9_-]{22})", screen.text).group(1)

    await signed_in(client, persons[0])
    first = await _check_in(client, path)
    assert first.status_code == 200 and "You are checked in" in first.text
    second = await _check_in(client, path)
    assert second.status_code == 200 and "already checked in" in second.text
    marks = await _marks(session_id)
    assert [(m["registration"], m["status"], m["recorded_by"]) for m in marks] == [
        (registrations[0]["id"], "present", persons[0]["id"])
    ]

    await signed_in(client, staff)
    screen = await client.get(f"/staff/offerings/{offering['id']}/attendance/{session_id}/door")
    assert "1 of 2 checked in" in screen.text


async def test_anyone_signed_out_is_sent_to_sign_in_and_back_to_the_same_check_in(client):
    _staff, offering, _persons, _registrations = await _today()
    path = _screen_path(offering["sessions"][0]["id"])
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next={path}"


async def test_a_screen_code_lasts_two_steps_then_expires(client):
    _staff, offering, persons, _registrations = await _today()
    session_id = offering["sessions"][0]["id"]
    path = _screen_path(session_id)
    await signed_in(client, persons[0])
    advance_clock_for_tests(dt.timedelta(seconds=door_codes.STEP_SECONDS * 2 + 1))
    response = await client.get(path)
    assert response.status_code == 409 and "expired" in response.text
    assert await _marks(session_id) == []
    # The printed sheet's code still works: it is good for the whole window.
    printed = door_codes.check_in_path(session_id, door_codes.printed_code(session_id))
    assert (await _check_in(client, printed)).status_code == 200
    assert len(await _marks(session_id)) == 1


async def test_a_tampered_code_or_another_sessions_code_is_refused_and_marks_nothing(client):
    staff, actor = await staff_member()
    offering = await workshop(actor, sessions=[_session_from_now(10), _session_from_now(20)])
    persons = await attendees(1)
    await enrol(offering["id"], persons)
    first, second = (s["id"] for s in offering["sessions"])
    await signed_in(client, persons[0])
    good = door_codes.screen_code(first, utc_now())
    step, mac = good.split(".")
    tampered = [
        f"{step}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}",
        f"{int(step) + 5}.{mac}",
        "p." + mac,
        "x",
        good + "x",
        "9" * 13 + "." + mac,
    ]
    for code in tampered:
        page = await client.get(f"/check-in/{first}/{code}")
        assert page.status_code == 404, code
        post = await client.post(f"/check-in/{first}/{code}", data={"_csrf_token": "x"})
        assert post.status_code in (403, 404), code
    # A code made for the first session does not open the second.
    assert (await client.get(f"/check-in/{second}/{good}")).status_code == 404
    assert (await client.get(f"/check-in/99999999999999/{good}")).status_code == 404
    assert await Attendance.select().where(Attendance.session.is_in([first, second])) == []


async def test_check_in_is_open_from_30_minutes_before_the_start_to_the_end(client):
    _staff, offering, persons, _registrations = await _today(start_minutes=45)
    session_id = offering["sessions"][0]["id"]
    await signed_in(client, persons[0])
    early = await client.get(_screen_path(session_id))
    assert early.status_code == 409 and "opens at" in early.text
    advance_clock_for_tests(dt.timedelta(minutes=16))  # 29 minutes before the start
    assert (await _check_in(client, _screen_path(session_id))).status_code == 200
    advance_clock_for_tests(dt.timedelta(hours=3))  # after the end (2 h session)
    await signed_in(client, persons[1])
    late = await client.get(_screen_path(session_id))
    assert late.status_code == 409 and "check-in is closed" in late.text
    assert len(await _marks(session_id)) == 1


async def test_only_confirmed_registrations_check_in(client):
    _staff, offering, persons, registrations = await _today(people=2, capacity=1)
    session_id = offering["sessions"][0]["id"]
    assert [r["status"] for r in registrations] == ["confirmed", "waitlisted"]
    await signed_in(client, persons[1])
    waiting = await _check_in(client, _screen_path(session_id))
    assert waiting.status_code == 409 and "waiting list" in waiting.text
    stranger = await make_user("attendee", password=None)
    await signed_in(client, stranger)
    response = await _check_in(client, _screen_path(session_id))
    assert response.status_code == 403 and "not registered" in response.text
    assert await _marks(session_id) == []


async def test_two_scans_at_once_leave_one_mark(client, engine_kind):
    _staff, offering, persons, registrations = await _today(people=1)
    session_id = offering["sessions"][0]["id"]
    await signed_in(client, persons[0])
    path = _screen_path(session_id)
    token = page_csrf(await client.get(path))
    responses = await asyncio.gather(*(client.post(path, data={"_csrf_token": token}) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert sum("You are checked in" in r.text for r in responses) == 1
    assert len(await _marks(session_id)) == 1


async def test_the_door_screen_is_for_staff_only(client):
    staff, offering, persons, _registrations = await _today()
    session_id = offering["sessions"][0]["id"]
    url = f"/staff/offerings/{offering['id']}/attendance/{session_id}/door"
    for role in ("attendee", "coordinator", "finance"):
        await signed_in(client, await make_user(role, password=None))
        assert (await client.get(url)).status_code == 403
    await signed_in(client, await make_user("admin", password=None))
    assert (await client.get(url)).status_code == 200
    # Another workshop's id with this session: 404.
    assert (
        await client.get(f"/staff/offerings/{offering['id'] + 1000}/attendance/{session_id}/door")
    ).status_code == 404


async def test_mark_all_present_marks_only_the_unmarked_and_keeps_absences(client):
    staff, offering, persons, registrations = await _today(people=3)
    session_id = offering["sessions"][0]["id"]
    await signed_in(client, staff)
    sheet_url = f"/staff/offerings/{offering['id']}/attendance?session={session_id}"
    token = page_csrf(await client.get(sheet_url))
    absent = registrations[0]["id"]
    await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session_id}/{absent}",
        data={"status": "absent", "_csrf_token": token},
    )
    response = await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session_id}/all-present", data={"_csrf_token": token}
    )
    assert response.status_code == 303
    marks = {m["registration"]: m["status"] for m in await _marks(session_id)}
    assert marks == {absent: "absent", registrations[1]["id"]: "present", registrations[2]["id"]: "present"}
    page = await client.get(response.headers["location"])
    assert "2 present" in page.text and "1 absent" in page.text and "Mark all present" not in page.text

    for role in ("attendee", "coordinator"):
        await signed_in(client, await make_user(role, password=None))
        refused = await client.post(
            f"/staff/offerings/{offering['id']}/attendance/{session_id}/all-present", data={"_csrf_token": token}
        )
        assert refused.status_code == 403


async def test_the_sign_in_sheet_pdf_lists_names_districts_and_the_printed_code(client):
    staff, actor = await staff_member()
    offering = await workshop(actor, sessions=[_session_from_now(10)], title="Writing Workshop K-2")
    persons = [
        await make_user("attendee", password=None, name="Nguyễn Thị Hồng", district="EGUSD"),
        await make_user("attendee", password=None, name="Aaron Baker"),
    ]
    await enrol(offering["id"], persons)
    session_id = offering["sessions"][0]["id"]
    await signed_in(client, staff)
    response = await client.get(f"/staff/offerings/{offering['id']}/attendance/{session_id}/sign-in-sheet.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Writing Workshop K-2" in text and "Signature" in text and "District" in text
    assert "Nguyễn Thị Hồng" in text and "Aaron Baker" in text and "Elk Grove" in text
    assert text.index("Aaron Baker") < text.index("Nguyễn Thị Hồng")  # sorted by name
    assert door_codes.printed_code(session_id) in text.replace("\n", "")
    assert any(reader.pages[0].images)  # the QR code
    for role in ("attendee", "coordinator"):
        await signed_in(client, await make_user(role, password=None))
        assert (
            await client.get(f"/staff/offerings/{offering['id']}/attendance/{session_id}/sign-in-sheet.pdf")
        ).status_code == 403
