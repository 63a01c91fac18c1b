"""Check-in by QR code in a real browser: staff put the code on a screen at the door; a teacher opens it on a phone."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def _story(suffix: str) -> dict:
    """A workshop whose session starts in ten minutes, two confirmed teachers."""
    import datetime as dt

    from booking.accounts.actor import Actor
    from booking.catalog.validation import SessionInput
    from booking.clock import utc_now
    from tests.factories import DEFAULT_PASSWORD, make_user
    from tests.scheduling.attendance_helpers import enrol, workshop

    staff = await make_user("staff", email=f"staff-{suffix}@example.org", name="Pat Program", password=None)
    start = (utc_now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    offering = await workshop(
        Actor.from_row(staff),
        title="Writing Workshop K-2",
        sessions=[SessionInput(starts_at=start, ends_at=start + dt.timedelta(hours=2))],
    )
    teacher = await make_user(
        "attendee", district="EGUSD", email=f"ana-{suffix}@example.org", name="Ana Lopez", password=DEFAULT_PASSWORD
    )
    other = await make_user(
        "attendee", district="EGUSD", email=f"ben-{suffix}@example.org", name="Ben Okafor", password=None
    )
    await enrol(offering["id"], [teacher, other])
    return {"staff": staff, "teacher": {**teacher, "password": DEFAULT_PASSWORD}, "offering": offering}


def test_a_teacher_scans_the_door_code_on_a_phone_signs_in_and_is_checked_in(
    page, browser, live_server, live_data, sign_in_as, screenshot
):
    from tests.e2e.conftest import AxeAuditor

    story = live_data.run(_story, uuid.uuid4().hex[:8])
    offering, session = story["offering"], story["offering"]["sessions"][0]
    sign_in_as(story["staff"])
    page.goto(f"/staff/offerings/{offering['id']}/attendance?session={session['id']}")
    page.get_by_role("link", name="Check-in code for the door").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in: Writing Workshop K-2")
    expect(page.get_by_role("img", name="QR code to check in for this session")).to_be_visible()
    expect(page.locator("#door-counts")).to_have_text("0 of 2 checked in")
    url = page.locator(".door-url").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/check-in/{session['id']}/\d+\.[A-Za-z0-9_-]{{22}}", url)
    screenshot(page, "check-in-door-screen")

    # The teacher's phone: a browser of its own, not signed in.
    phone = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="America/Los_Angeles",
    )
    phone.set_default_timeout(10_000)
    auditor = AxeAuditor(phone)
    auditor.attach()
    try:
        mobile = phone.new_page()
        mobile.goto(url)
        expect(mobile).to_have_url(re.compile(r"/sign-in\?next=/check-in/"))
        mobile.get_by_label("Email address").fill(story["teacher"]["email"])
        mobile.get_by_role("button", name="Continue").click()
        mobile.get_by_role("textbox", name="Password").fill(story["teacher"]["password"])
        mobile.get_by_role("button", name="Sign in").click()
        expect(mobile).to_have_url(re.compile(re.escape(url) + r"(\?notice=signed-in)?$"))  # back at the check-in
        expect(mobile.get_by_role("heading", level=1)).to_have_text("Check in")
        expect(mobile.get_by_text("Writing Workshop K-2")).to_be_visible()
        button = mobile.get_by_role("button", name="Check me in")
        # Measure once the stylesheet is in: the page came by a redirect, and on a busy machine the layout was
        # read before the CSS applied (a 90 px button).
        mobile.wait_for_load_state("load")
        box = button.bounding_box()
        assert box["width"] >= 200 and box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"]
        screenshot(mobile, "check-in-phone")
        button.click()
        expect(mobile.get_by_role("heading", level=1)).to_have_text("You are checked in")
        expect(mobile.get_by_role("status")).to_contain_text("Ana Lopez")
        screenshot(mobile, "check-in-phone-done")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        mobile.goto(url)
        mobile.get_by_role("button", name="Check me in").click()
        expect(mobile.get_by_role("heading", level=1)).to_have_text("You are already checked in")
        auditor.check()
    finally:
        phone.close()

    page.reload()
    expect(page.locator("#door-counts")).to_have_text("1 of 2 checked in")
    page.goto(f"/staff/offerings/{offering['id']}/attendance?session={session['id']}")
    expect(page.get_by_role("button", name=re.compile("^Ana Lopez"))).to_contain_text("Present")
    page.get_by_role("button", name=re.compile("^Mark all present")).click()
    expect(page.locator("#att-counts")).to_contain_text("2 present")
    screenshot(page, "attendance-after-check-in")


async def _shortcuts_story(suffix: str) -> dict:
    from booking.accounts.actor import Actor
    from booking.catalog.offerings import create_offering
    from booking.catalog.validation import OfferingInput
    from tests.factories import make_user
    from tests.scheduling.attendance_helpers import attendees, enrol, session, workshop

    staff = await make_user("staff", email=f"staff2-{suffix}@example.org", name="Pat Program", password=None)
    actor = Actor.from_row(staff)
    title = f"Math Talks {suffix}"
    offering = await workshop(actor, title=title, capacity=2, sessions=[session(2026, 3, 10)])
    await enrol(offering["id"], await attendees(3))
    draft_id = await create_offering(
        actor,
        OfferingInput(
            title=f"Draft to drop {suffix}", capacity=10, status="draft", sessions=[], pd_hours="1", facilitators=""
        ),
    )
    return {"staff": staff, "offering": offering, "title": title, "draft_id": draft_id}


def test_staff_email_the_waiting_list_after_confirming_and_delete_a_draft(page, live_data, sign_in_as, screenshot):
    story = live_data.run(_shortcuts_story, uuid.uuid4().hex[:8])
    offering = story["offering"]
    sign_in_as(story["staff"])

    page.goto(f"/staff/offerings/{offering['id']}/roster")
    page.get_by_role("link", name="Email registrants").click()
    page.get_by_label("Only those on the waiting list").check()
    page.get_by_role("textbox", name="Subject").fill("A seat may open")
    page.get_by_role("textbox", name="Message").fill("We are adding chairs.\n\nWe will write again on Monday.")
    page.get_by_role("button", name="Check the recipients").click()
    expect(page.get_by_role("heading", name="Send this email to 1 person?")).to_be_visible()
    screenshot(page, "email-registrants-confirm")
    page.get_by_role("button", name="Send to 1 person").click()
    expect(page.get_by_text("The email is on its way")).to_be_visible()
    expect(page.get_by_role("list").filter(has_text="A seat may open")).to_contain_text(
        "only those on the waiting list, 1 person"
    )

    page.goto("/staff/offerings")
    page.get_by_label("Search").fill(f"Draft to drop {story['title'].split()[-1]}")
    page.get_by_role("button", name="Show").click()
    row = page.get_by_role("link", name=re.compile("^Draft to drop"))
    expect(row).to_have_count(1)
    screenshot(page, "catalog-search")
    row.click()
    page.get_by_role("link", name="Delete this draft…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the draft")
    screenshot(page, "delete-draft-confirm")
    page.get_by_role("button", name="Delete the draft").click()
    expect(page.get_by_text("The draft is deleted.")).to_be_visible()
