"""The completion letter PDF: what it says (read back with pypdf), who gets it, and its verification code."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from booking.accounts.actor import Actor
from booking.catalog.tables import Program
from booking.clock import LOCAL_TZ, to_local
from booking.cohorts.completion import record_completion
from booking.scheduling.attendance import mark_attendance
from tests.cohorts.test_progress import participant, running_cohort
from tests.factories import make_user, signed_in


def pdf_text(content: bytes) -> tuple[str, dict]:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages), dict(reader.metadata or {})


async def _completed(*, name: str = "Nguyễn Thị Hồng"):
    staff_user = await make_user("staff", password=None)
    staff = Actor.from_row(staff_user)
    cohort = await running_cohort(
        staff, lengths=(7, 7, 6.5), upcoming=0, required_hours=20, title="Tier I, Cohort 23 (2026–27)"
    )
    await Program.update({Program.title: "Preliminary Administrative Services Credential (Tier I)"}).where(
        Program.id == cohort["program"]
    )
    person, application, user = await participant(staff, cohort, name=name)
    for session in cohort["sessions"]:
        await mark_attendance(staff, cohort["id"], session["id"], application["registration"], "present")
    return {
        "staff": staff,
        "staff_user": staff_user,
        "cohort": cohort,
        "person": person,
        "application": application,
        "user": user,
    }


def letter_path(application: dict) -> str:
    return f"/my/applications/{application['id']}/completion-letter.pdf"


async def test_the_letter_is_404_until_completion_is_recorded_then_names_everything(client):
    c = await _completed()
    await signed_in(client, c["user"])
    before = await client.get(letter_path(c["application"]))
    assert before.status_code == 404 and "completion has not been recorded" in before.text

    day = dt.datetime.now(LOCAL_TZ).date()
    code = await record_completion(c["staff"], c["application"]["registration"], day)
    response = await client.get(letter_path(c["application"]))

    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'inline; filename="completion-letter-preliminary-administrative-services-credential-tier-i.pdf"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    text, metadata = pdf_text(response.content)
    assert metadata["/Title"] == "Completion letter: Preliminary Administrative Services Credential (Tier I)"
    first = to_local(c["cohort"]["sessions"][0]["starts_at"]).date()
    last = to_local(c["cohort"]["sessions"][-1]["starts_at"]).date()
    for expected in (
        "SACRAMENTO COUNTY OFFICE OF EDUCATION",
        "School of Education",
        "10474 Mather Boulevard",
        "To whom it may concern",
        "This letter confirms that Nguyễn Thị Hồng has completed the Preliminary Administrative "
        "Services Credential (Tier I) program",
        "Cohort Tier I, Cohort 23 (2026–27)",
        f"Program dates {first:%B %-d, %Y} – {last:%B %-d, %Y}",
        "Hours completed 20.5 hours (the program requires 20)",
        f"Completion date {day:%B %-d, %Y}",
        f"Verification code {code}",
        f"http://testserver.local/certificates/{code}",
        "Sincerely,",
        "Program Director School of Education Sacramento County Office of Education",
    ):
        assert expected in text, (expected, text)


async def test_staff_get_the_letter_and_nobody_else_does(client):
    c = await _completed(name="Sam O'Brien")
    await record_completion(c["staff"], c["application"]["registration"], dt.datetime.now(LOCAL_TZ).date())

    await signed_in(client, c["staff_user"])
    as_staff = await client.get(letter_path(c["application"]))
    assert as_staff.status_code == 200 and "Sam O'Brien" in pdf_text(as_staff.content)[0]

    await signed_in(client, await make_user("attendee", district="EGUSD", password=None))
    assert (await client.get(letter_path(c["application"]))).status_code == 404
    await signed_in(client, await make_user("coordinator", district="EGUSD", password=None))
    assert (await client.get(letter_path(c["application"]))).status_code == 404
    assert (await client.get(f"/my/applications/{2**40}/completion-letter.pdf")).status_code == 404
    client.cookies.clear()
    anonymous = await client.get(letter_path(c["application"]))
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


async def test_the_letters_code_verifies_on_the_public_page(client):
    c = await _completed()
    code = await record_completion(c["staff"], c["application"]["registration"], dt.datetime.now(LOCAL_TZ).date())

    page = await client.get(f"/certificates/{code}")
    assert page.status_code == 200
    html = " ".join(page.text.split())
    assert "Genuine certificate" in html and "Nguyễn Thị Hồng" in html and "Tier I, Cohort 23 (2026–27)" in html
    assert "<dt>Program</dt><dd>Tier I, Cohort 23 (2026–27)</dd>" in html and "<dt>Hours</dt><dd>20.5</dd>" in html
    assert (await client.get(f"/certificates/{code.lower()}")).status_code == 200  # typed in lower case
    assert (await client.get("/certificates/ABCDE-23456-FGHJK-78923")).status_code == 404
