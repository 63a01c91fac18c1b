"""A teacher filters the catalog, opens a workshop, registers (billed to the district), sees the
confirmation, goes to My learning and cancels; a coordinator approves a registration in place."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.workshop_factory import make_workshop, require_approval

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both_widths(page, screenshot, name: str) -> None:
    """Screenshots at desktop width and at 390 px (a phone), back to desktop after."""
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_teacher_filters_registers_and_cancels(page, live_data, make_person, sign_in_as, screenshot):
    tag = uuid.uuid4().hex[:6]
    literacy = f"Close Reading Routines {tag}"
    workshop_id = live_data.run(
        make_workshop,
        literacy,
        subject=f"Literacy {tag}",
        grade_band="3-5",
        price_cents=4500,
        nonmember_price_cents=6000,
        capacity=12,
        sessions=2,
        facilitators="Ana Ruiz, Ben Okafor",
        description="Practical routines for **close reading** with grade 3-5 texts.\n\n- Annotating\n- Text-dependent questions",
        pd_hours="6",
    )
    live_data.run(
        make_workshop,
        f"Fractions on a Number Line {tag}",
        subject=f"Mathematics {tag}",
        format="virtual",
        online_url="https://zoom.us/j/123456789",
    )
    live_data.run(make_workshop, f"Science Notebooks {tag}", subject=f"Science {tag}", grade_band="6-8", days=45)
    teacher = sign_in_as(make_person("attendee", district="EGUSD"))

    page.goto("/workshops")
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshops")
    expect(page.get_by_role("link", name=literacy)).to_be_visible()
    both_widths(page, screenshot, "catalog")

    # htmx: choosing a subject updates the results in place and the address bar keeps a shareable URL.
    page.get_by_label("Subject").select_option(f"Literacy {tag}")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^1 workshop found for these filters"))
    expect(page).to_have_url(re.compile(r"/workshops\?subject=Literacy"))
    expect(page.get_by_role("link", name=f"Fractions on a Number Line {tag}")).to_have_count(0)
    page.get_by_label("Only workshops with seats available now").check()
    expect(page).to_have_url(re.compile(r"available=1"))
    expect(page.get_by_role("link", name=literacy)).to_be_visible()
    expect(page.locator(".workshop-card").first).to_contain_text("12 seats left")
    expect(page.locator(".workshop-card").first).to_contain_text("$45.00 for Elk Grove Unified")
    both_widths(page, screenshot, "catalog-filtered")

    # The shared URL shows the same filtered view on a full page load.
    page.reload()
    expect(page.get_by_label("Subject")).to_have_value(f"Literacy {tag}")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^1 workshop found"))

    page.get_by_role("link", name=literacy).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(literacy)
    expect(page.get_by_role("link", name="Download every session (.ics)")).to_have_attribute(
        "href", f"/offerings/{workshop_id}.ics"
    )
    expect(page.get_by_text("Ana Ruiz, Ben Okafor")).to_be_visible()
    expect(page.get_by_label("Pay by card")).to_be_enabled()
    both_widths(page, screenshot, "workshop")

    page.get_by_label("Bill my district (Elk Grove Unified)").check()
    page.get_by_label("Purchase order (PO) number (optional)").fill("PO-2026-118")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're registered")
    expect(page.get_by_text("PO PO-2026-118")).to_be_visible()
    both_widths(page, screenshot, "registered")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    upcoming = page.get_by_role("region", name="Upcoming workshops")
    expect(upcoming.get_by_role("link", name=literacy, exact=True)).to_be_visible()
    expect(upcoming).to_contain_text("Confirmed")
    expect(page.get_by_role("link", name="Transcript and certificates")).to_have_attribute("href", "/my/transcript")
    both_widths(page, screenshot, "my-learning")

    upcoming.get_by_role("button", name=re.compile("Cancel registration")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your registration?")
    page.get_by_role("button", name="Yes, cancel my registration").click()

    expect(page.get_by_role("status").filter(has_text="Your registration is cancelled")).to_be_visible()
    expect(page.get_by_role("region", name="Upcoming workshops")).to_contain_text("You have no upcoming workshops")
    page.get_by_text("Cancelled and expired (1)").click()
    expect(page.locator("details.ended")).to_contain_text(literacy)
    both_widths(page, screenshot, "my-learning-cancelled")
    assert teacher["email"]


def test_coordinator_approves_in_place(page, live_data, make_person, sign_in_as, screenshot):
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register

    tag = uuid.uuid4().hex[:6]
    live_data.run(require_approval, "SJUSD")
    try:
        workshop_id = live_data.run(make_workshop, f"Paid PD {tag}", price_cents=9900)
        teacher = make_person("attendee", district="SJUSD", name=f"Rita Teacher {tag}")
        live_data.run(register, Actor.from_row(teacher), workshop_id, RegistrationRequest(payer="district"))
        sign_in_as(make_person("coordinator", district="SJUSD"))

        page.goto("/district/approvals")
        row = page.get_by_role("row").filter(has_text=f"Rita Teacher {tag}")
        expect(row).to_contain_text(f"Paid PD {tag}")
        both_widths(page, screenshot, "approvals")
        row.get_by_role("button", name=re.compile("^Approve")).click()
        expect(row).to_contain_text("Approved")
        expect(page).to_have_url(re.compile(r"/district/approvals$"))  # updated in place, no reload
    finally:
        live_data.run(require_approval, "SJUSD", False)


def test_coordinator_registers_colleagues_from_a_pasted_list(page, live_data, make_person, sign_in_as, screenshot):
    tag = uuid.uuid4().hex[:6]
    workshop_id = live_data.run(make_workshop, f"Team PD {tag}", capacity=2, price_cents=2500)
    known = make_person("attendee", district="EGUSD")
    sign_in_as(make_person("coordinator", district="EGUSD"))

    page.goto(f"/workshops/{workshop_id}")
    panel = page.get_by_role("region", name="Register other people")
    panel.get_by_label("People to register").fill(
        f"{known['email']}\nnot an email\nNew Colleague <new.{tag}@egusd.example>"
    )
    panel.get_by_role("button", name="Register these people").click()
    expect(panel.get_by_role("alert")).to_contain_text("Nobody was registered: 1 line needs fixing")
    expect(panel.get_by_role("alert")).to_contain_text("Line 2")

    panel.get_by_label("People to register").fill(
        f"{known['email']}\nNew Colleague <new.{tag}@egusd.example>\nLate Comer <late.{tag}@egusd.example>"
    )
    panel.get_by_label("Purchase order (PO) number (optional)").fill("PO-88")
    panel.get_by_role("button", name="Register these people").click()
    report = panel.get_by_role("status")
    expect(report).to_contain_text("2 registered, 0 waiting for approval, 1 on the waiting list")
    expect(panel.get_by_role("row").filter(has_text=f"late.{tag}@egusd.example")).to_contain_text(
        "On the waiting list, at position 1"
    )
    expect(page.locator("#seat-state")).to_have_text("Full — join the waiting list")
    both_widths(page, screenshot, "register-others")


def test_waiting_list_join_and_leave_and_bad_filters(page, live_data, make_person, sign_in_as, screenshot):
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register

    tag = uuid.uuid4().hex[:6]
    workshop_id = live_data.run(make_workshop, f"Tiny room {tag}", capacity=1)
    live_data.run(register, Actor.from_row(make_person("attendee")), workshop_id, RegistrationRequest())
    sign_in_as(make_person("attendee", district="EGUSD"))

    page.goto("/workshops?from=2026-02-30&audience=wizards")
    expect(page.get_by_role("alert")).to_contain_text("Enter a date like 2026-03-14.")
    expect(page.locator("#result-count")).to_have_text("Please correct the filters: no workshops are shown.")
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")

    page.goto(f"/workshops/{workshop_id}")
    expect(page.locator("#seat-state")).to_have_text("Full — join the waiting list")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're on the waiting list")
    expect(page.get_by_text("You are number 1 on the waiting list.")).to_be_visible()
    both_widths(page, screenshot, "waitlisted")

    page.goto("/my/learning")
    waiting = page.get_by_role("region", name="Waiting lists")
    expect(waiting).to_contain_text("Waiting list: number 1")
    waiting.get_by_role("button", name=re.compile("^Leave the waiting list")).click()
    page.get_by_role("button", name="Yes, leave the waiting list").click()
    expect(page.get_by_role("status").filter(has_text="You left the waiting list.")).to_be_visible()
    expect(page.get_by_role("region", name="Waiting lists")).to_contain_text("You are not on any waiting list.")
