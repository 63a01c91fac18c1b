"""Each role's home in a real browser, on a desktop (1280×800) and a phone (390×844): the home shows what needs
the person and its items lead to where the work is done; on the phone the header stays short, the menu is a
disclosure button that opens and closes from the keyboard, and a table people act on reads as a list. Every page
is audited for accessibility (tests/e2e/conftest.py)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PHONE_HEADER_MAX_PX = 120


def on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, link_name: str, screenshot=None) -> None:
    """At 390×844: the header (with its collapsed menu) fits in 120 px; Enter opens the menu, Tab reaches its first
    link, Escape closes it and gives focus back to the button; then the menu is used to go to `link_name`."""
    page.set_viewport_size(PHONE)
    # The menu collapses once small-screens.js has run (without it the menu stays open, by design): on a busy
    # machine the page may still be loading its scripts when the viewport changes.
    page.wait_for_load_state("load")
    page.locator("html.menu-collapsible").wait_for(state="attached")
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height <= PHONE_HEADER_MAX_PX, header_height
    button = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Main")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu.get_by_role("link", name=link_name)).to_be_hidden()
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Home")).to_be_visible()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Home")).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(menu.get_by_role("link", name="Home")).to_be_hidden()
    page.keyboard.press("Space")
    expect(button).to_have_attribute("aria-expanded", "true")
    if screenshot:
        screenshot(page, "menu-open-phone")
    menu.get_by_role("link", name=link_name).click()


def section(page, title: str):
    return page.get_by_role("region", name=title)


async def _attendee_data(person: dict, tag: str) -> None:
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register
    from tests.workshop_factory import make_workshop

    online = await make_workshop(f"Webinar {tag}", days=2, format="virtual", online_url="https://meet.example.org/w")
    paid = await make_workshop(f"Paid series {tag}", days=9, price_cents=4_000)
    await register(Actor.from_row(person), online, RegistrationRequest())
    await register(Actor.from_row(person), paid, RegistrationRequest(payer="card"))


def test_an_attendee_home_on_desktop_and_phone(page, live_data, make_person, sign_in_as, screenshot):
    tag = uuid.uuid4().hex[:6]
    person = make_person("attendee", district="SJUSD", name=f"Ana Attendee {tag}")
    live_data.run(_attendee_data, person, tag)
    sign_in_as(person)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, Ana Attendee {tag}")
    expect(
        section(page, "Your next sessions").get_by_role("link", name=f"Join online for Webinar {tag}")
    ).to_be_visible()
    expect(section(page, "Seats to pay")).to_contain_text(f"Paid series {tag}")
    expect(section(page, "Offers to accept")).to_contain_text("No offers waiting for you.")
    screenshot(page, "attendee-home-desktop")
    section(page, "Seats to pay").get_by_role("link", name=f"Paid series {tag}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting payment")

    page.goto("/")
    page.set_viewport_size(PHONE)
    screenshot(page, "attendee-home-phone")
    on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, "My learning")
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    screenshot(page, "attendee-my-learning-phone")


async def _coordinator_data(coordinator: dict, teacher: dict, tag: str) -> int:
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register
    from booking.slypark.bookings import Headcount, book_remaining
    from booking.slypark.tables import Season
    from tests.slypark.slypark_factory import make_school, make_season
    from tests.workshop_factory import make_workshop, require_approval, staff_actor

    await require_approval("EGUSD")
    workshop = await make_workshop(f"Coaching day {tag}", days=12, price_cents=9_000)
    await register(Actor.from_row(teacher), workshop, RegistrationRequest(payer="district"))
    await require_approval("EGUSD", False)
    season = await make_season(await staff_actor(), weeks=1, first=4, name=f"Season {tag}")
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school = await make_school("EGUSD", f"Oak School {tag}")
    return await book_remaining(
        Actor.from_row(coordinator),
        season["weeks"][0],
        school,
        Headcount(2, 1, 1),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )


def test_a_coordinator_home_approves_and_lists_students_on_a_phone(
    page, live_data, make_person, sign_in_as, screenshot
):
    tag = uuid.uuid4().hex[:6]
    coordinator = make_person("coordinator", district="EGUSD", name=f"Cora Coordinator {tag}")
    teacher = make_person("attendee", district="EGUSD", name=f"Tess Teacher {tag}")
    booking_id = live_data.run(_coordinator_data, coordinator, teacher, tag)
    sign_in_as(coordinator)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    approvals = section(page, "Approvals waiting")
    expect(approvals).to_contain_text(f"Tess Teacher {tag} · Coaching day {tag}")
    expect(section(page, "Student lists missing")).to_contain_text("0 of 3 students listed")
    screenshot(page, "coordinator-home-desktop")
    approvals.get_by_role("link", name=f"Tess Teacher {tag} · Coaching day {tag}").click()
    approve = page.get_by_role("button", name=f"Approve Tess Teacher {tag} for Coaching day {tag}")
    approve.click()
    expect(approve).to_be_hidden()
    page.goto("/")
    expect(section(page, "Approvals waiting")).to_contain_text("No registrations wait for your approval.")

    page.set_viewport_size(PHONE)
    screenshot(page, "coordinator-home-phone")
    section(page, "Student lists missing").get_by_role("link", name=f"Oak School {tag}", exact=False).click()
    expect(page).to_have_url(f"{page.url.split('/slypark')[0]}/slypark/bookings/{booking_id}/students")
    # Each field is named by its column and its student (not "Last name, row 2" on the first row).
    page.get_by_label("First name, student 1", exact=True).fill("Ana")
    page.get_by_label("Last name, student 1", exact=True).fill("Lopez")
    page.get_by_label("Gender, student 1", exact=True).select_option("girl")
    expect(page.get_by_label("Last name, student 2", exact=True)).to_be_visible()
    page.wait_for_load_state("load")  # the page came by a link: measure once its stylesheet is in
    grid_width = page.locator(".intake-grid").bounding_box()["width"]
    assert grid_width <= PHONE["width"], grid_width  # no sideways scrolling on a phone
    screenshot(page, "coordinator-students-phone")
    page.get_by_role("button", name="Save all students").click()
    expect(page.get_by_label("First name, student 1", exact=True)).to_have_value("Ana")
    on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, "Invoices")
    expect(page.get_by_role("heading", level=1)).to_contain_text("invoices")


async def _staff_data(tag: str) -> int:
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register
    from tests.factories import make_user
    from tests.workshop_factory import make_workshop

    today = await make_workshop(f"Today's workshop {tag}", days=0)
    await register(Actor.from_row(await make_user("attendee", name=f"Person 0 {tag}")), today, RegistrationRequest())
    full = await make_workshop(f"Full workshop {tag}", days=5, capacity=1)
    for name in (f"Seated {tag}", f"Waiting {tag}"):
        await register(Actor.from_row(await make_user("attendee", name=name)), full, RegistrationRequest())
    return today


def test_a_staff_home_leads_to_attendance_and_the_catalog_reads_as_a_list_on_a_phone(
    page, live_data, make_person, sign_in_as, screenshot
):
    tag = uuid.uuid4().hex[:6]
    staff = make_person("staff", name=f"Sam Staff {tag}")
    live_data.run(_staff_data, tag)
    sign_in_as(staff)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    today = section(page, "Today's sessions")
    expect(today).to_contain_text(f"Today's workshop {tag}")
    expect(section(page, "Waiting lists")).to_contain_text(f"Full workshop {tag} 1 waiting")
    expect(section(page, "Filling or under-filled")).to_contain_text(f"Full workshop {tag} Filling: 1 of 1 seats")
    screenshot(page, "staff-home-desktop")
    today.get_by_role("link", name=f"Today's workshop {tag}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Attendance: Today's workshop {tag}")
    page.get_by_role("button", name=f"Person 0 {tag}").click()
    expect(page.locator(".att-person").first).to_contain_text("Present")

    page.goto("/")
    page.set_viewport_size(PHONE)
    screenshot(page, "staff-home-phone")
    on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, "Manage catalog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage catalog")
    row = page.locator("table.table tbody tr").filter(has_text=f"Full workshop {tag}")
    page.wait_for_load_state("load")  # the page came by the menu: measure once its stylesheet is in
    assert row.bounding_box()["width"] <= PHONE["width"]
    labelled = row.locator("td[data-label]")
    assert labelled.count() >= 2  # each value carries its column's name on the phone
    screenshot(page, "staff-catalog-phone")


async def _finance_data(tag: str) -> None:
    from tests.payments.money_factory import district_billed_seats, set_billing_contact

    await set_billing_contact("RDUSD", email=f"ap-{tag}@rdusd.example")
    await district_billed_seats(2, district="RDUSD", title=f"Billed workshop {tag}")


def test_a_finance_home_leads_to_issuing_invoices(page, live_data, make_person, sign_in_as, screenshot):
    tag = uuid.uuid4().hex[:6]
    person = make_person("finance", name=f"Fran Finance {tag}")
    live_data.run(_finance_data, tag)
    sign_in_as(person)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    to_issue = section(page, "Invoices to issue")
    expect(to_issue).to_contain_text("River Delta Unified")
    screenshot(page, "finance-home-desktop")
    to_issue.get_by_role("link", name="River Delta Unified", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("invoice", ignore_case=True)

    page.goto("/")
    page.set_viewport_size(PHONE)
    screenshot(page, "finance-home-phone")
    on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, "Finance")
    expect(page.get_by_role("heading", level=1)).to_have_text("Finance at a glance")
    screenshot(page, "finance-dashboard-phone")


def test_an_admin_home_leads_to_people(page, make_person, sign_in_as, screenshot):
    person = make_person("admin", name=f"Ada Admin {uuid.uuid4().hex[:6]}")
    sign_in_as(person)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    screenshot(page, "admin-home-desktop")
    section(page, "People and settings").get_by_role("link", name="People and their roles").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("People")

    page.goto("/")
    page.set_viewport_size(PHONE)
    screenshot(page, "admin-home-phone")
    on_phone_the_header_is_short_and_the_menu_works_by_keyboard(page, "People", screenshot)
    expect(page.get_by_role("heading", level=1)).to_contain_text("People")
    screenshot(page, "admin-people-phone")
