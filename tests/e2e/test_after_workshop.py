"""After the workshop, in a real browser: staff take attendance on a tablet; a teacher reads the transcript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
NAMES = [
    "Ana Lopez",
    "Ben Okafor",
    "Chloé Martin",
    "Dario Rossi",
    "Esther Kim",
    "Farah Haddad",
    "Gabe Nguyễn",
    "Hana Sato",
]


async def _story(suffix: str) -> dict:
    """A finished two-session workshop with eight confirmed teachers, and one completed earlier one."""
    from booking.accounts.actor import Actor
    from booking.scheduling.attendance import mark_attendance
    from booking.workflows.complete_offering import complete_offering
    from tests.factories import make_user
    from tests.scheduling.attendance_helpers import enrol, session, workshop

    staff = await make_user("staff", email=f"staff-{suffix}@example.org", name="Pat Program", password=None)
    actor = Actor.from_row(staff)
    teachers = [
        await make_user("attendee", district="EGUSD", email=f"t{i}-{suffix}@example.org", name=name, password=None)
        for i, name in enumerate(NAMES)
    ]
    offering = await workshop(
        actor,
        title="Number Talks in Grades 3-5",
        capacity=10,
        pd_hours="6",
        facilitators="Maria Alvarez",
        sessions=[session(2026, 3, 10), session(2026, 3, 17)],
    )
    registrations = await enrol(offering["id"], teachers)
    first = offering["sessions"][0]
    for registration, status in zip(registrations, ["present", "present", "absent", "excused", "present"]):
        await mark_attendance(actor, offering["id"], first["id"], registration["id"], status)
    earlier = await workshop(
        actor,
        title="Science of Reading: Phonics",
        pd_hours="3",
        facilitators="Dana Brooks",
        sessions=[session(2026, 1, 13)],
    )
    earlier_registration = (await enrol(earlier["id"], [teachers[0]]))[0]
    await mark_attendance(actor, earlier["id"], earlier["sessions"][0]["id"], earlier_registration["id"], "present")
    await complete_offering(actor, earlier["id"])
    return {"staff": staff, "teacher": teachers[0], "offering": offering, "registrations": registrations}


def test_staff_take_attendance_on_a_tablet_and_complete_the_workshop(page, live_data, sign_in_as, screenshot):
    import uuid

    story = live_data.run(_story, uuid.uuid4().hex[:8])
    offering = story["offering"]
    sign_in_as(story["staff"])
    page.set_viewport_size(TABLET)

    page.goto(f"/staff/offerings/{offering['id']}/roster")
    expect(page.get_by_role("heading", level=1)).to_have_text("Roster: Number Talks in Grades 3-5")
    expect(page.get_by_text("8 confirmed of 10 seats")).to_be_visible()
    expect(page.get_by_role("meter", name="Filled")).to_have_attribute("aria-valuetext", "8 confirmed of 10 seats")
    expect(page.get_by_role("row", name=re.compile("Ana Lopez"))).to_contain_text("1 of 2 sessions")
    screenshot(page, "roster-tablet")

    page.get_by_role("link", name="Take attendance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance: Number Talks in Grades 3-5")
    sessions_nav = page.get_by_role("navigation", name="Sessions")
    # Both sessions are over: the sheet opens on the latest one.
    expect(sessions_nav.get_by_role("link", name=re.compile("Session 2"))).to_have_attribute("aria-current", "page")
    sessions_nav.get_by_role("link", name=re.compile("Session 1")).click()
    expect(sessions_nav.get_by_role("link", name=re.compile("Session 1"))).to_have_attribute("aria-current", "page")
    counts = page.locator("#att-counts")
    expect(counts).to_contain_text("3 present")
    expect(counts).to_contain_text("3 not marked")
    screenshot(page, "attendance-tablet")

    # One tap: Farah is present; the row changes in place (no page load) and the counts follow.
    page.evaluate("window.__noReload = true")
    farah = page.get_by_role("button", name=re.compile("^Farah Haddad"))
    expect(farah).to_contain_text("Not marked")
    farah.click()
    expect(page.get_by_role("button", name=re.compile("^Farah Haddad"))).to_contain_text("Present")
    expect(counts).to_contain_text("4 present")
    expect(counts).to_contain_text("2 not marked")
    page.get_by_role("button", name=re.compile("^Farah Haddad")).click()
    expect(page.get_by_role("button", name=re.compile("^Farah Haddad"))).to_contain_text("Absent")
    assert page.evaluate("window.__noReload") is True  # htmx swapped the row; the page never reloaded
    screenshot(page, "attendance-tablet-after-taps")

    # Session 2 by keyboard: Tab to Ana's button, Enter.
    sessions_nav.get_by_role("link", name=re.compile("Session 2")).click()
    expect(counts).to_contain_text("0 present")
    ana = page.get_by_role("button", name=re.compile("^Ana Lopez"))
    ana.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("^Ana Lopez"))).to_contain_text("Present")

    page.goto(f"/staff/offerings/{offering['id']}/roster")
    page.get_by_role("button", name="Mark completed and award PD hours").click()
    # Session 2 is marked for Ana only: the page asks first, naming everyone unmarked.
    asked = page.get_by_role("alert").filter(has_text="Attendance is not marked for 7 people")
    expect(asked).to_be_visible()
    expect(asked).to_contain_text("Ben Okafor")
    screenshot(page, "roster-complete-asks-tablet")
    page.get_by_role("button", name="Complete anyway").click()
    expect(page.get_by_role("status").filter(has_text="The workshop is completed.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Ana Lopez"))).to_contain_text("6 awarded")
    expect(page.get_by_role("row", name=re.compile("Ben Okafor"))).to_contain_text("Not awarded")
    screenshot(page, "roster-completed-tablet")


def test_a_wrong_sign_in_sheet_shows_every_bad_line(page, live_data, sign_in_as, screenshot, tmp_path):
    import uuid

    story = live_data.run(_story, uuid.uuid4().hex[:8])
    offering = story["offering"]
    sign_in_as(story["staff"])
    page.set_viewport_size(TABLET)
    sheet = tmp_path / "sign-in.csv"
    sheet.write_text(
        f"email,date\n{story['teacher']['email']},2026-03-17\nnobody@example.org,2026-03-17\n"
        f"{story['teacher']['email']},17 March\n"
    )

    page.goto(f"/staff/offerings/{offering['id']}/attendance")
    page.get_by_label("Sign-in sheet (CSV)").set_input_files(str(sheet))
    page.get_by_label("Session for lines without a date").select_option(label="None: every line has a date")
    page.get_by_role("button", name="Import the sheet").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported")
    expect(alert).to_contain_text("Line 3: no one with the email address nobody@example.org has an account")
    expect(alert).to_contain_text("Line 4: “17 March” is not a date")
    screenshot(page, "attendance-import-errors")


def test_a_teacher_reads_the_transcript_and_anyone_verifies_the_certificate(
    page, live_data, sign_in_as, screenshot, context
):
    import uuid

    story = live_data.run(_story, uuid.uuid4().hex[:8])
    sign_in_as(story["teacher"])

    page.goto("/my/transcript")
    expect(page.get_by_role("heading", level=1)).to_have_text("My transcript")
    expect(page.locator(".transcript-total-value")).to_have_text("3")
    row = page.get_by_role("row", name=re.compile("Science of Reading"))
    expect(row).to_contain_text("Tuesday, January 13, 2026")
    screenshot(page, "transcript")
    page.set_viewport_size(TABLET)
    screenshot(page, "transcript-tablet")

    verification = row.get_by_role("link", name=re.compile("verification page"))
    href = verification.get_attribute("href")
    context.clear_cookies()  # the public: nobody signed in
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")
    expect(page.get_by_text("Genuine certificate")).to_be_visible()
    expect(page.locator("dl")).to_contain_text("Ana Lopez")
    screenshot(page, "certificate-verified")
    page.goto("/certificates/ABCDE-23456-FGHJK-78923")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate not found")
    screenshot(page, "certificate-not-found")
