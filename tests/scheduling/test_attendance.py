"""Taking attendance by tap: htmx fragment or plain form, one row per person and session, staff only."""

from __future__ import annotations

import asyncio
import re

from booking.catalog.tables import OfferingSession
from booking.scheduling.tables import Attendance
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import HTMX, attendees, enrol, page_csrf, staff_member, workshop


async def _setup(client, people: int = 3, capacity: int = 20):
    staff, actor = await staff_member()
    offering = await workshop(actor, capacity=capacity)
    registrations = await enrol(offering["id"], await attendees(people))
    await signed_in(client, staff)
    return offering, registrations


async def _marks(session_id: int, registration_id: int) -> list[dict]:
    return await Attendance.select().where(
        (Attendance.session == session_id) & (Attendance.registration == registration_id)
    )


async def test_the_sheet_lists_confirmed_people_with_one_tap_target_each(client):
    offering, registrations = await _setup(client, people=3, capacity=2)
    first_session = offering["sessions"][0]

    response = await client.get(f"/staff/offerings/{offering['id']}/attendance?session={first_session['id']}")

    assert response.status_code == 200
    html = response.text
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = [r for r in registrations if r["status"] == "waitlisted"]
    assert len(confirmed) == 2 and len(waitlisted) == 1
    for r in confirmed:
        assert f'id="person-{r["id"]}"' in html
        assert f'action="/staff/offerings/{offering["id"]}/attendance/{first_session["id"]}/{r["id"]}"' in html
    assert f'id="person-{waitlisted[0]["id"]}"' not in html  # only confirmed people are on the sheet
    assert html.count('name="status" value="present"') == 2  # the first tap marks present
    assert "0 present" in html and "2 not marked" in html and "of 2 confirmed" in html
    # Every session has its own sheet.
    for s in offering["sessions"]:
        assert f"/staff/offerings/{offering['id']}/attendance?session={s['id']}" in html


async def test_a_tap_sets_the_mark_and_re_renders_the_row_in_place(client):
    offering, registrations = await _setup(client, people=2)
    session = offering["sessions"][0]
    person = registrations[0]
    url = f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{person['id']}"
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))

    cycle = []
    for status in ("present", "absent", "excused", "present"):
        response = await client.post(url, data={"status": status, "_csrf_token": token}, headers=HTMX)
        assert response.status_code == 200, response.text
        fragment = response.text
        assert "<html" not in fragment  # a fragment, not a page
        assert fragment.count(f'id="person-{person["id"]}"') == 1
        next_status = re.search(r'name="status" value="(\w+)"', fragment).group(1)
        cycle.append((status, next_status))
        assert 'id="att-counts"' in fragment and 'hx-swap-oob="true"' in fragment
        marks = await _marks(session["id"], person["id"])
        assert [m["status"] for m in marks] == [status]
    assert cycle == [("present", "absent"), ("absent", "excused"), ("excused", "present"), ("present", "absent")]
    assert "1 present" in fragment and "1 not marked" in fragment


async def test_without_javascript_the_form_post_saves_and_returns_to_the_sheet(client):
    offering, registrations = await _setup(client, people=1)
    session = offering["sessions"][1]
    person = registrations[0]
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))

    response = await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{person['id']}",
        data={"status": "excused", "_csrf_token": token},
    )

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/staff/offerings/{offering['id']}/attendance?session={session['id']}&notice=attendance-saved#person-{person['id']}"
    )
    page = await client.get(response.headers["location"].split("#")[0])
    assert "Attendance is saved." in page.text
    assert "Excused" in page.text
    assert [m["status"] for m in await _marks(session["id"], person["id"])] == ["excused"]


async def test_double_taps_at_once_leave_exactly_one_row_per_person_and_session(client):
    offering, registrations = await _setup(client, people=4)
    session = offering["sessions"][0]
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))
    taps = []
    for person in registrations:
        url = f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{person['id']}"
        for status in ("present", "present", "absent", "present", "excused", "present"):
            taps.append(client.post(url, data={"status": status, "_csrf_token": token}, headers=HTMX))

    responses = await asyncio.gather(*taps)

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200][:2]
    for person in registrations:
        marks = await _marks(session["id"], person["id"])
        assert len(marks) == 1
        assert marks[0]["status"] in ("present", "absent", "excused")
    assert await Attendance.count() == len(registrations)


async def test_only_confirmed_registrations_can_be_marked(client):
    offering, registrations = await _setup(client, people=2, capacity=1)
    session = offering["sessions"][0]
    waitlisted = next(r for r in registrations if r["status"] == "waitlisted")
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))

    plain = await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{waitlisted['id']}",
        data={"status": "present", "_csrf_token": token},
    )
    htmx = await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{session['id']}/{waitlisted['id']}",
        data={"status": "present", "_csrf_token": token},
        headers=HTMX,
    )

    assert (
        plain.status_code == 409
        and "on the waiting list" in plain.text
        and "only confirmed registrations" in plain.text
    )
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#messages"
    assert await Attendance.count() == 0


async def test_unknown_sessions_registrations_and_statuses_are_refused_and_change_nothing(client):
    staff, actor = await staff_member()
    offering, registrations = await _setup(client, people=1)
    other = await workshop(actor, title="Another workshop")
    other_person = (await enrol(other["id"], await attendees(1)))[0]
    session, person = offering["sessions"][0], registrations[0]
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))
    base = f"/staff/offerings/{offering['id']}/attendance"

    async def tap(session_id: int, registration_id: int, status: str = "present", offering_id: int = offering["id"]):
        return await client.post(
            f"/staff/offerings/{offering_id}/attendance/{session_id}/{registration_id}",
            data={"status": status, "_csrf_token": token},
        )

    assert (await tap(999_999, person["id"])).status_code == 404  # no such session
    assert (await tap(other["sessions"][0]["id"], person["id"])).status_code == 404  # another workshop's session
    assert (await tap(session["id"], other_person["id"])).status_code == 404  # another workshop's registration
    assert (await tap(session["id"], 999_999)).status_code == 404
    assert (await tap(session["id"], person["id"], offering_id=999_999)).status_code == 404
    bad_status = await tap(session["id"], person["id"], status="late")
    assert bad_status.status_code == 422 and "present, absent or excused" in bad_status.text
    assert (await client.get(f"{base}?session=999999")).status_code == 404
    assert (await client.get(f"{base}?session={other['sessions'][0]['id']}")).status_code == 404
    assert (await client.get(f"{base}?session=abc")).status_code == 400
    huge = 99_999_999_999  # more than a 32-bit id: PostgreSQL must not turn it into a 500
    assert (await tap(huge, person["id"])).status_code == 404
    assert (await tap(session["id"], huge)).status_code == 404
    assert (await client.get(f"{base}?session={huge}")).status_code == 404
    for path in ("roster", "attendance", "exports/roster.csv", "exports/attendance.csv", "exports/pd-hours.csv"):
        assert (await client.get(f"/staff/offerings/{huge}/{path}")).status_code == 404, path
    assert (await client.post(f"/staff/offerings/{huge}/complete", data={"_csrf_token": token})).status_code == 404
    # A cancelled session takes no attendance.
    await OfferingSession.update({OfferingSession.status: "cancelled"}).where(OfferingSession.id == session["id"])
    assert (await tap(session["id"], person["id"])).status_code == 404
    assert await Attendance.count() == 0


async def test_attendance_is_not_taken_for_a_cancelled_workshop(client):
    from booking.catalog.tables import Offering

    offering, registrations = await _setup(client, people=1)
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))
    await Offering.update({Offering.status: "cancelled"}).where(Offering.id == offering["id"])

    response = await client.post(
        f"/staff/offerings/{offering['id']}/attendance/{offering['sessions'][0]['id']}/{registrations[0]['id']}",
        data={"status": "present", "_csrf_token": token},
    )

    assert response.status_code == 409 and "cancelled" in response.text
    assert await Attendance.count() == 0


async def test_people_who_are_not_staff_get_403_and_anonymous_visitors_are_sent_to_sign_in(client):
    staff, actor = await staff_member()
    offering = await workshop(actor)
    person = (await enrol(offering["id"], await attendees(1)))[0]
    session = offering["sessions"][0]
    oid = offering["id"]
    pages = [
        f"/staff/offerings/{oid}/roster",
        f"/staff/offerings/{oid}/attendance",
        f"/staff/offerings/{oid}/exports/roster.csv",
        f"/staff/offerings/{oid}/exports/attendance.csv",
        f"/staff/offerings/{oid}/exports/pd-hours.csv",
    ]
    posts = [
        f"/staff/offerings/{oid}/attendance/{session['id']}/{person['id']}",
        f"/staff/offerings/{oid}/complete",
        f"/staff/offerings/{oid}/attendance/import",
    ]

    for path in pages:
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), path
    for role, district in (("attendee", None), ("coordinator", "EGUSD"), ("finance", None)):
        client.cookies.clear()
        await signed_in(client, await make_user(role, district=district))
        token = page_csrf(await client.get("/account"))
        for path in pages:
            assert (await client.get(path)).status_code == 403, (role, path)
        for path in posts:
            response = await client.post(path, data={"status": "present", "_csrf_token": token})
            assert response.status_code == 403, (role, path)
    assert await Attendance.count() == 0
