"""A teacher applies to a cohort in a real browser: opens /cohorts and the cohort, applies, saves a
draft, leaves and comes back, adds a document, submits; staff accept on the review page; the
participant sees "Accepted" and every session of the schedule."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both_widths(page, screenshot, name: str) -> None:
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


async def _cohort(staff: dict, title: str) -> dict:
    from booking.accounts.actor import Actor
    from tests.cohorts.cohort_factory import make_cohort

    return await make_cohort(Actor.from_row(staff), title=title, capacity=20, sessions=5)


async def _supervisor_link(address: str) -> str:
    from booking.notifications.tables import OutboxMessage

    row = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    return re.search(r"(/cohorts/supervisor/[A-Za-z0-9._-]+)", row["body_text"]).group(1)


def test_a_teacher_applies_staff_accept_and_the_participant_sees_the_schedule(
    page, context, live_data, make_person, sign_in_as, screenshot
):
    tag = uuid.uuid4().hex[:6]
    title = f"Preliminary Administrative Services Credential, Cohort {tag}"
    staff = make_person("staff", name=f"Pat Program {tag}")
    cohort = live_data.run(_cohort, staff, title)
    teacher = sign_in_as(make_person("attendee", district="EGUSD", name=f"Rita Teacher {tag}"))

    # Find the cohort and apply.
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort programs")
    both_widths(page, screenshot, "cohorts")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    schedule = page.get_by_role("table", name="Schedule")
    expect(schedule.locator("tbody tr")).to_have_count(5)
    expect(page.get_by_text("4 monthly payments of $1,200.00")).to_be_visible()
    both_widths(page, screenshot, "cohort")
    page.get_by_role("button", name="Apply").click()

    # Part of the form, then a draft.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your application")
    page.get_by_label("Multiple Subject").check()
    page.get_by_label("Years of experience in education").fill("7")
    page.get_by_label("County of employment").select_option("Sacramento")
    page.get_by_role("button", name="Submit application").click()  # too soon: the rest is missing
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert").get_by_role("link", name="Enter your supervisor's name.")).to_be_visible()
    expect(page.get_by_label("Years of experience in education")).to_have_value("7")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Your draft is saved")).to_be_visible()

    # Leave, and come back through My learning → My applications: the answers are still there.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    page.get_by_role("link", name="My applications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My applications")
    expect(page.get_by_text("Draft — not sent yet")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Continue your application")).click()
    expect(page.get_by_label("Years of experience in education")).to_have_value("7")
    expect(page.get_by_label("Multiple Subject")).to_be_checked()
    expect(page.get_by_label("County of employment")).to_have_value("Sacramento")

    # A document, added in place (htmx): what is typed but not saved stays on the page. The page came by a link,
    # so wait until its scripts have run: before htmx is ready the button submits the whole page (by design, the
    # way it works without JavaScript) and what was typed is gone.
    page.wait_for_load_state("load")
    page.get_by_label("Current position").fill("Assistant principal, Franklin Elementary")
    page.get_by_role("button", name="Add the document").click()  # nothing chosen: a clear error, in place
    expect(page.locator("#documents").get_by_role("alert")).to_contain_text("Choose a file to upload")
    expect(page.get_by_label("Current position")).to_have_value("Assistant principal, Franklin Elementary")
    page.get_by_label("What is this document?").fill("Copy of my teaching credential")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "credential.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Add the document").click()
    documents = page.locator("#documents")
    expect(documents.get_by_role("status")).to_contain_text("“Copy of my teaching credential” is added")
    expect(documents.get_by_role("link", name="Copy of my teaching credential")).to_be_visible()
    expect(page.get_by_label("Current position")).to_have_value("Assistant principal, Franklin Elementary")

    # Complete and submit.
    page.get_by_label("Supervisor's name").fill("Pat Principal")
    page.get_by_label("Supervisor's email address").fill(f"principal-{tag}@school.example")
    page.get_by_label("I pay").check()
    page.get_by_label("Number of payments").select_option("4")
    both_widths(page, screenshot, "application-form")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your application to {title}")
    expect(page.get_by_role("status").filter(has_text="Your application is submitted")).to_be_visible()
    expect(page.locator(".app-banner")).to_contain_text("Submitted")
    expect(page.get_by_text("Waiting for Pat Principal")).to_be_visible()

    # The supervisor, with no account, opens the emailed link and confirms.
    context.clear_cookies()
    page.goto(live_data.run(_supervisor_link, f"principal-{tag}@school.example"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Do you support Rita Teacher {tag}'s application?")
    page.get_by_label("I support this application").check()
    page.get_by_label("Comment (optional)").fill("A strong leader on our campus.")
    screenshot(page, "supervisor-request")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")

    # Staff accept on the review page.
    context.clear_cookies()
    sign_in_as(staff)
    page.goto(f"/staff/cohorts/{cohort['id']}/applications")
    page.get_by_role("link", name=f"Rita Teacher {tag}").click()
    page.get_by_label(f"Message to Rita Teacher {tag}").fill("Welcome to the cohort. See you in August.")
    page.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.get_by_text(re.compile(r"^Accepted on .*There is nothing more to decide"))).to_be_visible()

    # The participant sees the place and the whole schedule.
    context.clear_cookies()
    sign_in_as(teacher)
    page.goto("/my/learning")
    page.get_by_role("link", name="My applications").click()
    expect(page.get_by_text("Accepted", exact=True)).to_be_visible()
    page.get_by_role("link", name=title).click()
    expect(page.locator(".app-banner")).to_contain_text("Accepted")
    expect(page.get_by_text("Welcome to the cohort. See you in August.")).to_be_visible()
    expect(page.get_by_role("region", name="Your supervisor")).to_contain_text("Confirmed on")
    your_schedule = page.get_by_role("table", name="Your schedule")
    expect(your_schedule.locator("tbody tr")).to_have_count(5)
    expect(page.get_by_role("link", name=re.compile("Add to calendar"))).to_have_attribute(
        "href", f"/offerings/{cohort['id']}.ics"
    )
    both_widths(page, screenshot, "application-accepted")
