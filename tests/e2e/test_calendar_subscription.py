"""In a real browser: a teacher subscribes to their calendar, copies the address, and replaces it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


async def _booked_teacher(suffix: str) -> dict:
    from booking.accounts.actor import Actor
    from booking.scheduling.registration import RegistrationRequest, register
    from tests.factories import make_user
    from tests.workshop_factory import make_workshop

    teacher = await make_user("attendee", district="EGUSD", email=f"cal-{suffix}@example.org", name="Rosa Díaz")
    offering_id = await make_workshop(f"Writers' Workshop {suffix}", sessions=2)
    await register(Actor.from_row(teacher), offering_id, RegistrationRequest())
    return {"teacher": teacher, "title": f"Writers' Workshop {suffix}"}


def test_a_teacher_subscribes_copies_the_address_and_replaces_it(page, context, live_data, sign_in_as, screenshot):
    story = live_data.run(_booked_teacher, uuid.uuid4().hex[:8])
    sign_in_as(story["teacher"])
    context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.goto("/my/learning")
    page.get_by_role("link", name="Subscribe in your calendar app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar subscription")
    page.get_by_role("button", name="Make my calendar address").click()
    expect(page.get_by_text("Your calendar address is ready")).to_be_visible()

    address_field = page.get_by_label("Calendar address")
    address = address_field.input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{43}\.ics", address)
    page.get_by_role("button", name="Copy address").click()
    expect(page.get_by_role("status").filter(has_text="Address copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    subscribe = page.get_by_role("list", name=re.compile("Subscribe to"))
    expect(subscribe.get_by_role("link", name="Apple Calendar (iPhone, iPad, Mac)")).to_have_attribute(
        "href", address.replace("http://", "webcal://")
    )
    expect(subscribe.get_by_role("link", name=re.compile("^Google Calendar"))).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/render\?cid=webcal")
    )
    screenshot(page, "calendar-subscription")

    feed = page.request.get(address)
    assert feed.status == 200 and story["title"] in feed.text()
    again = page.request.get(address, headers={"If-None-Match": feed.headers["etag"]})
    assert again.status == 304

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^New address")).click()
    expect(page.get_by_text("The calendar has a new address")).to_be_visible()
    new_address = page.get_by_label("Calendar address").input_value()
    assert new_address != address
    assert page.request.get(address).status == 404
    assert page.request.get(new_address).status == 200

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^Turn off")).click()
    expect(page.get_by_text("The calendar address is turned off")).to_be_visible()
    expect(page.get_by_role("button", name="Make my calendar address")).to_be_visible()
    assert page.request.get(new_address).status == 404
