"""Sign-in sheets (CSV): checked whole first, bad lines reported by number, then all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.actor import Actor
from booking.errors import InvalidInput
from booking.scheduling.attendance import import_sign_in_sheet, parse_date
from booking.scheduling.tables import Attendance
from booking.workflows.cancel_registration import cancel_registration
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import attendees, enrol, page_csrf, staff_member, workshop


async def _setup(client, capacity: int = 3, people: int = 4):
    staff, actor = await staff_member()
    offering = await workshop(actor, capacity=capacity)  # sessions Mar 10, 17, 24 2026, 9 a.m. Pacific
    people_rows = await attendees(people)
    registrations = await enrol(offering["id"], people_rows)
    await signed_in(client, staff)
    token = page_csrf(await client.get(f"/staff/offerings/{offering['id']}/attendance"))
    return offering, people_rows, registrations, token


async def _upload(
    client,
    offering: dict,
    token: str,
    content: bytes | str,
    *,
    filename: str = "sign-in.csv",
    content_type: str = "text/csv",
    session_id: int | str | None = None,
    headers: dict | None = None,
):
    if isinstance(content, str):
        content = content.encode("utf-8")
    data = {"_csrf_token": token}
    if session_id is not None:
        data["session"] = str(session_id)
    return await client.post(
        f"/staff/offerings/{offering['id']}/attendance/import",
        data=data,
        files={"sheet": (filename, content, content_type)},
        headers=headers or {},
    )


async def _marks() -> list[tuple[int, int, str]]:
    rows = await Attendance.select(Attendance.session, Attendance.registration, Attendance.status).order_by(
        Attendance.id
    )
    return sorted((r["session"], r["registration"], r["status"]) for r in rows)


async def test_a_good_sheet_with_dates_marks_everyone_on_it(client):
    offering, people, registrations, token = await _setup(client)
    s1, s2, _ = offering["sessions"]
    a, b, c = people[:3]
    sheet = (
        "\ufeffName,E-mail Address,Session date,Present,School\r\n"
        f'"Lopez, Ana",{a["email"].upper()},2026-03-10,yes,Elk Grove Elementary\r\n'
        f"Ben,{b['email']},3/10/2026,Y,\r\n"
        f"Cy,  {c['email']}  ,03/17/2026 09:02:13,no,\r\n"
        ",,,,\r\n"
        f"Ana again,{a['email']},2026-03-17,x,\r\n"
    )

    response = await _upload(client, offering, token, sheet)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/staff/offerings/{offering['id']}/attendance?notice=sheet-imported"
    r = {p["id"]: reg["id"] for p, reg in zip(people, registrations)}
    assert await _marks() == sorted(
        [
            (s1["id"], r[a["id"]], "present"),
            (s1["id"], r[b["id"]], "present"),
            (s2["id"], r[c["id"]], "absent"),
            (s2["id"], r[a["id"]], "present"),
        ]
    )
    page = await client.get(response.headers["location"])
    assert "The sign-in sheet is imported" in page.text


async def test_a_sheet_without_dates_is_for_the_chosen_session_and_importing_again_changes_nothing(client):
    offering, people, registrations, token = await _setup(client)
    s3 = offering["sessions"][2]
    sheet = "email\n" + "\n".join(p["email"] for p in people[:3]) + "\n"

    first = await _upload(client, offering, token, sheet, session_id=s3["id"])
    again = await _upload(client, offering, token, sheet, session_id=s3["id"], content_type="application/vnd.ms-excel")

    assert first.status_code == again.status_code == 303
    assert first.headers["location"].startswith(f"/staff/offerings/{offering['id']}/attendance?session={s3['id']}")
    assert await _marks() == sorted((s3["id"], reg["id"], "present") for reg in registrations[:3])


async def test_a_sheet_with_bad_lines_is_reported_by_line_number_and_nothing_is_imported(client):
    offering, people, registrations, token = await _setup(client, capacity=2, people=4)
    good, also_good, waiting = people[0], people[1], people[3]
    assert registrations[3]["status"] == "waitlisted"  # people[2], first on the list, gets the seat freed below
    cancelled_person = people[1]
    outsider = await make_user("attendee", email="outsider@example.org")
    sheet = (
        "email,date\n"
        f"{good['email']},2026-03-10\n"  # line 2: fine
        "nobody@example.org,2026-03-10\n"  # line 3: no account
        f"{waiting['email']},2026-03-10\n"  # line 4: on the waiting list
        f"{good['email']},10 March\n"  # line 5: not a date
        f"{good['email']},2026-03-11\n"  # line 6: no session that day
        f"{outsider['email']},2026-03-10\n"  # line 7: not registered
        ",2026-03-10\n"  # line 8: no email
        f"{also_good['email']},2026-03-10\n"
    )  # line 9: fine until cancelled below
    await cancel_registration(Actor.from_row(cancelled_person), registrations[1]["id"])

    response = await _upload(client, offering, token, sheet)

    assert response.status_code == 422
    html = response.text
    assert "Nothing was imported" in html
    assert "<strong>Line 3:</strong> no one with the email address nobody@example.org has an account" in html
    assert f"<strong>Line 4:</strong> {waiting['name']} ({waiting['email']}) is on the waiting list" in html
    assert "<strong>Line 5:</strong> “10 March” is not a date" in html
    assert "<strong>Line 6:</strong> the workshop has no session on Wed Mar 11, 2026" in html
    assert (
        f"<strong>Line 7:</strong> {outsider['name']} ({outsider['email']}) is not registered for this workshop" in html
    )
    assert "<strong>Line 8:</strong> no email address" in html
    assert "<strong>Line 9:</strong>" in html and "cancelled" in html
    assert "<strong>Line 2:</strong>" not in html
    assert "7 lines of the sheet have problems" in html
    assert await _marks() == []  # not even line 2


async def test_file_checks_refuse_with_a_clear_message_and_import_nothing(client):
    offering, people, registrations, token = await _setup(client)
    s1 = offering["sessions"][0]
    line = f"{people[0]['email']}\n"
    cases = [
        (dict(content=b"email\n" + line.encode() * 60_000), "larger than 1 MB"),
        (
            dict(
                content=b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook",
                filename="sign-in.xlsx",
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            "Excel workbook",
        ),
        (dict(content=b"%PDF-1.7\n...", filename="scan.pdf", content_type="application/pdf"), "This is a PDF"),
        (dict(content="email\n" + line, filename="photo.png", content_type="image/png"), "Upload a CSV file"),
        (dict(content="email\n" + line, filename="sign-in.csv", content_type="image/png"), "Upload a CSV file"),
        (dict(content=b"", filename="empty.csv"), "The file is empty"),
        (dict(content=b"", filename=""), "Choose a CSV file"),
        (dict(content=b"email\x00\n" + line.encode()), "not text"),
        (dict(content="name,school\nAna,Elk Grove\n"), "one of them “email”"),
        (dict(content="email\n"), "lists nobody"),
        (dict(content="email\n" + line, session_id=None), "Choose the session this sheet is for"),
        (dict(content="email\n" + line, session_id=999_999), "Choose one of this workshop&#39;s sessions"),
        (dict(content=f"email,present\n{people[0]['email']},maybe\n", session_id=s1["id"]), "write yes or no"),
        (dict(content=f'email\n{people[0]["email"]}\n"unclosed,quote\n', session_id=s1["id"]), "Line 3"),
    ]
    for kwargs, expected in cases:
        response = await _upload(client, offering, token, **kwargs)
        assert response.status_code == 422, (expected, response.status_code)
        assert expected in response.text, (expected, response.text[-3000:])
        assert "Nothing was imported" in response.text
    assert await _marks() == []


async def test_the_same_person_twice_with_different_answers_is_a_problem(client):
    offering, people, registrations, token = await _setup(client)
    s1 = offering["sessions"][0]
    sheet = f"email,present\n{people[0]['email']},yes\n{people[0]['email']},no\n{people[1]['email']},yes\n{people[1]['email']},yes\n"

    response = await _upload(client, offering, token, sheet, session_id=s1["id"])

    assert response.status_code == 422
    assert "<strong>Line 3:</strong>" in response.text and "listed again for the same session (line 2)" in response.text
    assert "Line 5" not in response.text  # the same answer twice is fine
    assert await _marks() == []


async def test_an_htmx_upload_gets_the_import_panel_back_with_its_errors(client):
    offering, people, registrations, token = await _setup(client)
    response = await _upload(
        client,
        offering,
        token,
        "email\nnobody@example.org\n",
        session_id=offering["sessions"][0]["id"],
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<section") and 'id="sheet-import"' in response.text
    assert "<strong>Line 2:</strong>" in response.text


async def test_many_bad_lines_are_summarised_after_fifty(db):
    staff, actor = await staff_member()
    offering = await workshop(actor, sessions=[workshop_session()])
    sheet = "email\n" + "".join(f"ghost{i}@example.org\n" for i in range(80))

    with pytest.raises(InvalidInput) as caught:
        await import_sign_in_sheet(
            actor, offering["id"], filename="s.csv", content_type="text/csv", data=sheet.encode()
        )

    errors = caught.value.field_errors
    assert len([k for k in errors if k.startswith("line ")]) == 50
    assert errors["more"] == "… and 30 more lines with problems."
    assert "80 lines" in caught.value.message
    assert await Attendance.count() == 0


def workshop_session():
    from tests.scheduling.attendance_helpers import session

    return session(2026, 3, 10)


def test_dates_are_read_as_people_write_them():
    assert parse_date("2026-03-10") == dt.date(2026, 3, 10)
    assert parse_date("3/10/2026") == dt.date(2026, 3, 10)
    assert parse_date("03/10/26") == dt.date(2026, 3, 10)
    assert parse_date("3/10/2026 9:02:13") == dt.date(2026, 3, 10)
    assert parse_date("2026-03-10T09:00:00") == dt.date(2026, 3, 10)
    assert parse_date("  ") is None
    for bad in ("10 March", "2026-13-01", "31/12/2026", "tomorrow"):
        with pytest.raises(ValueError):
            parse_date(bad)
