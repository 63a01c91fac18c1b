"""Per-student intake on both engines: the grid, CSV import (all lines or none, problems by line), and who may
ever see medical notes (the booking's own district and staff; never another district, finance or attendees)."""

from __future__ import annotations

import html
import re

import pytest

from booking.accounts.actor import Actor
from booking.errors import Forbidden, InvalidInput, NotFound
from booking.slypark import intake
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.tables import Booking, Season, Student
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import make_school, make_season
from tests.workshop_factory import staff_actor

SECRET = "Epinephrine pen: severe peanut allergy"


def said(response) -> str:
    return html.unescape(response.text)


async def a_booking(boys: int = 2, girls: int = 2) -> tuple[int, Actor]:
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school = await make_school("EGUSD", "Elk Grove Elementary")
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    booking_id = await book_remaining(
        coordinator,
        season["weeks"][0],
        school,
        Headcount(boys, girls, 1),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    return booking_id, coordinator


async def as_role(client, role: str, district: str | None = None) -> str:
    await signed_in(client, await make_user(role, district=district))
    return await csrf_token(client, "/")


GOOD_CSV = (
    "First name,Last name,Gender,Dietary needs,Medical notes\n"
    "Ana,Lopez,girl,vegetarian,\n"
    f'Ben,Ng,M,,"{SECRET}"\n'
    "Cara,Diaz,Female,,\n"
)


async def test_a_csv_with_bad_lines_is_reported_by_line_and_nothing_is_imported(client):
    booking_id, _ = await a_booking()
    token = await as_role(client, "coordinator", "EGUSD")
    url = f"/slypark/bookings/{booking_id}/students/import"
    ok = await client.post(
        url, data={"_csrf_token": token}, files={"file": ("kids.csv", GOOD_CSV.encode(), "text/csv")}
    )
    assert ok.status_code == 303
    assert await Student.count().where(Student.booking == booking_id) == 3

    bad = (
        "first_name,last_name,gender,dietary_needs,medical_notes\n"
        "Dan,Park,boy,,\n"  # line 2: fine
        ",Kim,girl,,\n"  # line 3: missing first name
        "Eve,Stone,robot,,\n"  # line 4: unknown gender
        f"Fay,{'x' * 101},girl,,\n"  # line 5: too long
        "dan,park,b,,\n"
    )  # line 6: duplicate of line 2
    response = await client.post(
        url, data={"_csrf_token": token}, files={"file": ("kids.csv", bad.encode(), "text/csv")}
    )
    assert response.status_code == 422
    text = said(response)
    assert "Nothing was imported" in text and "4 lines of the file have problems" in text
    assert "Line 3: missing first name" in text
    assert "Line 4: unknown gender “robot”" in text
    assert "Line 5: last name too long" in text
    assert "Line 6: duplicate student: dan park is already on row 2" in text
    assert "Line 2" not in text
    # the earlier list stands untouched
    names = sorted(s["first_name"] for s in await Student.select().where(Student.booking == booking_id))
    assert names == ["Ana", "Ben", "Cara"]

    for filename, data, message in (
        ("kids.xlsx", b"PK\x03\x04rest", "Excel workbook"),
        ("kids.csv", "first_name,last_name,gender\nZoë,Ä,girl\n".encode("latin-1"), "cannot be read"),
        ("kids.csv", b"name,age\nA,10\n", "must name the columns"),
        ("", b"", "Choose a CSV file"),
    ):
        response = await client.post(url, data={"_csrf_token": token}, files={"file": (filename, data, "text/csv")})
        assert response.status_code == 422, filename
        assert message in said(response) and 'aria-invalid="true"' in response.text
    assert await Student.count().where(Student.booking == booking_id) == 3


async def test_the_grid_saves_all_rows_and_warns_about_headcounts(client):
    booking_id, _ = await a_booking(boys=2, girls=2)
    token = await as_role(client, "coordinator", "EGUSD")
    url = f"/slypark/bookings/{booking_id}/students"
    page = await client.get(url)
    assert page.status_code == 200 and "0 of 4 students entered" in said(page)
    booking_page = await client.get(f"/slypark/bookings/{booking_id}")
    assert f'href="/slypark/bookings/{booking_id}/students"' in booking_page.text
    assert f'href="/slypark/bookings/{booking_id}/cabin-leaders"' in booking_page.text
    assert 'name="first_name-9"' in page.text  # ten empty rows to start

    more = await client.post(url, data={"_csrf_token": token, "rows": "2", "first_name-0": "Ana", "action": "add"})
    assert more.status_code == 200 and 'name="first_name-6"' in more.text and 'value="Ana"' in more.text
    assert await Student.count().where(Student.booking == booking_id) == 0

    bad = await client.post(
        url,
        data={
            "_csrf_token": token,
            "rows": "3",
            "first_name-0": "Ana",
            "last_name-0": "Lopez",
            "gender-0": "girl",
            "first_name-1": "",
            "last_name-1": "Ng",
            "gender-1": "zebra",
        },
    )
    assert bad.status_code == 422
    assert re.search(r'id="f-first_name-1" name="first_name-1"[^>]*aria-invalid="true"', bad.text)
    assert re.search(r'id="f-gender-1" name="gender-1"[^>]*aria-invalid="true"', bad.text)
    assert "Row 2: missing first name" in said(bad) and 'value="Lopez"' in bad.text
    assert await Student.count().where(Student.booking == booking_id) == 0

    rows = {"_csrf_token": token, "rows": "4"}
    for i, (first, gender) in enumerate([("Ana", "girl"), ("Bea", "girl"), ("Cy", "girl")]):
        rows.update({f"first_name-{i}": first, f"last_name-{i}": "Lopez", f"gender-{i}": gender})
    rows["medical_notes-1"] = SECRET
    saved = await client.post(url, data=rows)
    assert saved.status_code == 303
    students = await Student.select().where(Student.booking == booking_id)
    assert sorted(s["first_name"] for s in students) == ["Ana", "Bea", "Cy"]
    after = said(await client.get(url))
    assert "3 of 4 students entered" in after and "1 more girls than the booking says (2)" in after
    assert SECRET in after  # the booking's own coordinator sees the notes


async def test_medical_notes_reach_only_the_bookings_district_and_staff(client):
    booking_id, coordinator = await a_booking()
    await intake.save_grid(
        coordinator,
        booking_id,
        [intake.StudentInput("Ana", "Lopez", "girl", "vegan", SECRET), intake.StudentInput("Ben", "Ng", "boy")],
    )
    page_url = f"/slypark/bookings/{booking_id}/students"
    csv_url = f"{page_url}/medical.csv"

    for role, district, allowed in (
        ("coordinator", "EGUSD", True),
        ("staff", None, True),
        ("admin", None, True),
        ("coordinator", "SJUSD", False),
        ("finance", None, False),
        ("attendee", "EGUSD", False),
    ):
        client.cookies.clear()
        await signed_in(client, await make_user(role, district=district))
        for url in (page_url, csv_url, f"/slypark/bookings/{booking_id}"):
            response = await client.get(url)
            assert SECRET not in response.text or allowed, (role, district, url)
        page = await client.get(page_url)
        export = await client.get(csv_url)
        if allowed:
            assert page.status_code == 200 and SECRET in said(page), role
            assert export.status_code == 200 and export.headers["cache-control"] == "no-store"
            assert export.headers["content-type"].startswith("text/csv")
            lines = export.text.strip().splitlines()
            assert len(lines) == 2 and SECRET in lines[1] and "Ben" not in export.text  # only students with notes
        else:
            assert page.status_code in (403, 404) and export.status_code in (403, 404), (role, district)
            assert SECRET not in page.text and SECRET not in export.text
        if (role, district) == ("coordinator", "SJUSD"):
            assert page.status_code == 404  # another district's booking does not exist for them

    finance = Actor.from_row(await make_user("finance"))
    other = Actor.from_row(await make_user("coordinator", district="SJUSD"))
    with pytest.raises(Forbidden):
        await intake.intake_of(finance, booking_id)
    with pytest.raises(NotFound):
        await intake.medical_csv(other, booking_id)


async def test_a_released_booking_keeps_its_students(client):
    booking_id, coordinator = await a_booking()
    await intake.save_grid(coordinator, booking_id, [intake.StudentInput("Ana", "Lopez", "g")])
    await Booking.update({Booking.status: "cancelled"}).where(Booking.id == booking_id)
    with pytest.raises(Exception) as caught:
        await intake.save_grid(coordinator, booking_id, [intake.StudentInput("Ben", "Ng", "boy")])
    assert getattr(caught.value, "code", "") == "booking_closed"
    with pytest.raises(InvalidInput):
        await intake.save_grid(coordinator, booking_id, [intake.StudentInput("Ben", "", "boy")])
    assert [s["first_name"] for s in await Student.select().where(Student.booking == booking_id)] == ["Ana"]


async def test_every_grid_field_is_named_by_its_column_and_its_student(client):
    """Screen readers hear "Last name, student 2" on the second row (the inner loop's counter once made it "row 1"/"row 2")."""
    booking_id, _ = await a_booking()
    await as_role(client, "coordinator", "EGUSD")
    page = (await client.get(f"/slypark/bookings/{booking_id}/students")).text
    labels = dict(re.findall(r'<label class="visually-hidden intake-label" for="f-([a-z_]+-\d+)">(.*?)</label>', page))
    plain = {key: re.sub(r"<[^>]+>", "", text) for key, text in labels.items()}
    for column, words in (
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("gender", "Gender"),
        ("dietary_needs", "Dietary needs"),
        ("medical_notes", "Medical notes"),
    ):
        for index in (0, 1, 4):
            assert plain[f"{column}-{index}"] == f"{words}, student {index + 1}"
    assert '<th scope="row">Student 2</th>' in page
