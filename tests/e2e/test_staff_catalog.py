"""Staff build a workshop in a real browser: venue and room, new workshop, a session, a clash
with another workshop's room, the description preview (htmx), publishing, the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_staff_build_schedule_and_publish_a_workshop(page, make_person, sign_in_as, screenshot):
    staff = sign_in_as(make_person("staff", name="Pat Program"))
    make_person("staff", name="Maria Lopez")

    page.goto("/staff/offerings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage catalog")
    page.get_by_role("link", name="Venues and rooms").click()
    page.get_by_label("Name").fill("SCOE Mather campus")
    page.get_by_label("Address").fill("10474 Mather Blvd, Mather")
    page.get_by_role("button", name="Add venue").click()
    expect(page.get_by_role("status").filter(has_text="The venue is created")).to_be_visible()
    page.get_by_label("Room name").fill("Room 101")
    page.get_by_label("Seats").last.fill("20")
    page.get_by_role("button", name="Add room").click()
    expect(page.get_by_role("table")).to_contain_text("Room 101")
    screenshot(page, "staff-venue")

    # A first workshop in Room 101 on March 1.
    page.goto("/staff/offerings/new")
    page.get_by_label("Title").fill("Number Talks in Grades 3-5")
    page.get_by_label("Capacity (seats)").fill("20")
    page.get_by_label("Date", exact=True).fill("2027-03-01")
    page.get_by_label("Starts at").fill("09:00")
    page.get_by_label("Ends at").fill("12:00")
    page.get_by_label("Room").select_option(label="Room 101 (20 seats)")
    page.get_by_role("button", name="Create workshop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Number Talks in Grades 3-5")

    # A second one, with a bad price first: the form says what is wrong and keeps the rest.
    page.goto("/staff/offerings/new")
    page.get_by_label("Title").fill("Science Notebooks")
    page.get_by_label("Description").fill("Bring a **notebook**.\n\n- pencils\n- curiosity")
    page.get_by_label("Teachers").check()
    page.get_by_label("Maria Lopez").check()
    page.get_by_label("Capacity (seats)").fill("25")
    page.get_by_label("Price for member districts ($)").fill("12.345")
    page.get_by_role("button", name="Create workshop").click()
    expect(page.get_by_role("alert")).to_contain_text("Use at most two decimal places")
    expect(page.get_by_label("Title")).to_have_value("Science Notebooks")
    page.get_by_label("Price for member districts ($)").fill("45")
    page.get_by_role("button", name="Create workshop").click()
    expect(page.get_by_role("status").filter(has_text="The workshop is created")).to_be_visible()
    edit_url = page.url

    # The description preview, through htmx: the page stays, the preview appears.
    page.get_by_role("button", name="Preview the description").click()
    preview = page.get_by_role("region", name="Description preview")
    expect(preview.locator("strong")).to_have_text("notebook")
    expect(page).to_have_url(edit_url)

    # Its session clashes with Room 101: warned, then scheduled anyway with a reason.
    sessions = page.locator("#sessions")
    sessions.get_by_label("Date").fill("2027-03-01")
    sessions.get_by_label("Starts at").fill("10:00")
    sessions.get_by_label("Ends at").fill("11:30")
    sessions.get_by_label("Room").select_option(label="Room 101 (20 seats)")
    sessions.get_by_role("button", name="Add session").click()
    warnings = page.locator("#s-warnings")
    expect(warnings).to_contain_text("Room already booked")
    expect(warnings).to_contain_text("“Number Talks in Grades 3-5”")
    expect(warnings).to_contain_text("fewer than this workshop's capacity of 25")
    screenshot(page, "staff-session-warnings")
    warnings.get_by_label(re.compile("Schedule anyway")).check()
    warnings.get_by_label("Reason for scheduling anyway").fill("Joint kickoff in one room.")
    page.locator("#sessions").get_by_role("button", name="Add session").click()
    expect(page.get_by_role("status").filter(has_text="The session is added")).to_be_visible()
    expect(page.locator("#sessions")).to_contain_text("Joint kickoff in one room.")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").filter(has_text="The workshop is published")).to_be_visible()
    screenshot(page, "staff-offering-edit")

    # Reschedule the session: a later start, same room.
    page.locator("#sessions").get_by_role("link", name=re.compile("Change or cancel")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the session of Mon Mar 1, 2027")
    page.get_by_label("Starts at").fill("11:00")
    page.get_by_label("Ends at").fill("12:30")
    page.get_by_role("button", name="Save and tell everyone").click()
    expect(page.get_by_role("alert")).to_contain_text("Room already booked")
    expect(page.get_by_role("alert")).not_to_contain_text("Room too small")  # the room did not change
    screenshot(page, "staff-session-edit")
    page.get_by_label(re.compile("Schedule anyway")).check()
    page.get_by_label("Reason for scheduling anyway").fill("Still the kickoff.")
    page.get_by_role("button", name="Save and tell everyone").click()
    expect(page.get_by_role("status").filter(has_text="The session is changed")).to_be_visible()
    expect(page.locator("#sessions")).to_contain_text("11:00 AM to 12:30 PM PST")
    expect(page.locator("#sessions")).to_contain_text("changed 1 time")

    page.get_by_role("link", name="Cancel this workshop…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel “Science Notebooks”?")
    page.get_by_role("button", name="Cancel the workshop and email everyone").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why the workshop is cancelled")
    screenshot(page, "staff-offering-cancel")
    page.get_by_role("link", name="Keep it").click()

    page.get_by_role("link", name="← Manage catalog").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Science Notebooks")
    expect(table).to_contain_text("0 / 25")
    page.get_by_label("Status").select_option("published")
    expect(page).to_have_url(re.compile(r"status=published"))
    expect(page.get_by_role("table")).to_contain_text("Science Notebooks")
    expect(page.get_by_role("table")).not_to_contain_text("Number Talks")
    screenshot(page, "staff-offerings")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "staff-offerings-390")
    page.get_by_role("link", name="Science Notebooks").click()
    screenshot(page, "staff-offering-edit-390")
    assert staff["role"] == "staff"
