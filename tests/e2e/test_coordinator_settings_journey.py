"""A coordinator's housekeeping in a real browser, at desktop and phone size: turn on approvals and set the
billing contact on the district settings page, correct a mistyped PO, change a Sly Park request, copy the
cabin-leader sign-up link and remove a bogus sign-up after confirming. Every page on the way is audited for accessibility."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# A district of its own per viewport (no other browser test uses them) and Sly Park weeks far from the others'.
VIEWPORTS = [
    pytest.param({"width": 1280, "height": 900}, "FCUSD", 60, id="desktop"),
    pytest.param({"width": 390, "height": 844}, "NUSD", 63, id="phone"),
]


async def _booking_with_a_bogus_leader(staff: dict, coordinator: dict, district: str, tag: str, first_week: int) -> int:
    from booking.accounts.actor import Actor
    from booking.slypark.bookings import Headcount, book_remaining
    from booking.slypark.cabin_leaders import LeaderInput, sign_up
    from booking.slypark.tables import Booking, Season
    from tests.slypark.slypark_factory import make_school, make_season

    season = await make_season(Actor.from_row(staff), weeks=1, first=first_week, name=f"Sly Park {tag}")
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school = await make_school(district, f"Oak School {tag}")
    booking_id = await book_remaining(
        Actor.from_row(coordinator),
        season["weeks"][0],
        school,
        Headcount(9, 8, 2),
        lead_teacher_name="Dee Lead",
        lead_teacher_email="dee@school.example",
    )
    await Booking.update({Booking.cabin_leader_code: f"code{tag}"}).where(Booking.id == booking_id)
    for name in ("Mickey Mouse", "Riley Rivera"):
        await sign_up(
            f"code{tag}",
            LeaderInput(
                name=name,
                email=f"{name.split()[0].lower()}-{tag}@hs.example",
                high_school="Folsom High",
                gender="girl",
                guardian_name="Pat Rivera",
                guardian_phone="(916) 555-0134",
                signature=name,
            ),
        )
    return booking_id


async def _request(staff: dict, coordinator: dict, district: str, tag: str, week: int) -> None:
    from booking.accounts.actor import Actor
    from tests.slypark.slypark_factory import make_school, make_season, request_week

    season = await make_season(Actor.from_row(staff), weeks=1, first=week, name=f"Sly Park requests {tag}")
    school = await make_school(district, f"Pine School {tag}")
    await request_week(Actor.from_row(coordinator), season, school, season["weeks"], boys=20, girls=20)


async def _po(coordinator: dict, number: str) -> None:
    from booking.accounts.actor import Actor
    from booking.payments.purchase_orders import add_purchase_order

    await add_purchase_order(Actor.from_row(coordinator), {"number": number, "not_to_exceed": "500"})


async def _district(code: str) -> dict:
    from booking.accounts.tables import District

    return await District.select().where(District.code == code).first()


async def _approvals_off(code: str) -> None:
    from booking.accounts.tables import District

    await District.update({District.requires_supervisor_approval: False}).where(District.code == code)


@pytest.mark.parametrize("viewport, district, first_week", VIEWPORTS)
def test_a_coordinator_sets_approvals_corrects_a_po_edits_a_request_and_removes_a_bogus_cabin_leader(
    page, context, live_data, make_person, sign_in_as, screenshot, request, viewport, district, first_week
):
    size = request.node.callspec.id
    page.set_viewport_size(viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tag = uuid.uuid4().hex[:6]
    staff = make_person("staff")
    coordinator = make_person("coordinator", district=district, name=f"Cory Coordinator {tag}")
    booking_id = live_data.run(_booking_with_a_bogus_leader, staff, coordinator, district, tag, first_week)
    live_data.run(_po, coordinator, f"PO-{tag}-0145")
    live_data.run(_request, staff, coordinator, district, tag, first_week + 1)
    sign_in_as(coordinator)

    try:
        # District settings: approvals on, the billing contact set; the member rate is explained, not offered.
        page.goto("/")
        if size == "desktop":
            page.get_by_role("navigation", name="Main").get_by_role("link", name="District staff").click()
            page.get_by_role("link", name="District settings").click()
        else:
            page.goto("/district/settings")
        expect(page.get_by_role("heading", level=1)).to_contain_text("settings")
        expect(page.get_by_role("heading", name="Rate and billing address")).to_be_visible()
        approvals = page.get_by_role("group", name=re.compile("wait for a coordinator's approval"))
        approvals.get_by_label("Yes").check()
        page.get_by_label("Name", exact=True).fill("Pat Payables")
        page.get_by_label("Email address").fill("not an address")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("alert")).to_contain_text("Enter an email address like")
        page.get_by_label("Email address").fill(f"payables-{tag}@district.example")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status").filter(has_text="The district's settings are saved")).to_be_visible()
        expect(approvals.get_by_label("Yes")).to_be_checked()
        screenshot(page, f"coordinator-district-settings-{size}")
        saved = live_data.run(_district, district)
        assert saved["requires_supervisor_approval"] is True
        assert saved["billing_contact_email"] == f"payables-{tag}@district.example"

        # A mistyped PO, corrected.
        page.goto("/district/purchase-orders")
        page.get_by_role("link", name=f"Correct PO PO-{tag}-0145").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Correct PO PO-{tag}-0145")
        page.get_by_label("PO number").fill(f"PO-{tag}-0415")
        page.get_by_label("Not-to-exceed amount in dollars (optional)").fill("5,000")
        screenshot(page, f"coordinator-po-correct-{size}")
        page.get_by_role("button", name="Save the correction").click()
        expect(page.get_by_role("status").filter(has_text="The purchase order is corrected")).to_be_visible()
        expect(page.get_by_role("region", name="On file")).to_contain_text(f"PO-{tag}-0415")
        expect(page.get_by_role("region", name="On file")).to_contain_text("$5,000.00")

        # The Sly Park request, changed while requests are taken.
        page.goto("/slypark")
        page.get_by_role("link", name=f"Change the request for Pine School {tag}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Change the request for Pine School {tag}")
        expect(page.get_by_label("Boys", exact=True)).to_have_value("20")
        page.get_by_label("Boys", exact=True).fill("26")
        page.get_by_label("Teachers", exact=True).fill("4")
        screenshot(page, f"coordinator-request-edit-{size}")
        page.get_by_role("button", name="Save the changes").click()
        expect(page.get_by_role("status").filter(has_text="The request is changed")).to_be_visible()
        expect(page.get_by_role("row", name=re.compile(f"Pine School {tag}"))).to_contain_text("26 boys")

        # Cabin leaders: copy the sign-up link, then remove the bogus sign-up after confirming.
        page.goto(f"/slypark/bookings/{booking_id}/cabin-leaders")
        expect(page.get_by_role("textbox", name="Sign-up link")).to_have_value(
            re.compile(rf"/slypark/cabin-leaders/code{tag}$")
        )
        page.get_by_role("button", name="Copy the link").click()
        expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.endswith(f"/slypark/cabin-leaders/code{tag}")
        screenshot(page, f"coordinator-cabin-leaders-{size}")
        page.get_by_role("link", name="Remove Mickey Mouse's sign-up").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Remove Mickey Mouse's sign-up?")
        screenshot(page, f"coordinator-cabin-leader-remove-{size}")
        page.get_by_role("button", name="Remove the sign-up").click()
        expect(page.get_by_role("status").filter(has_text="The sign-up is removed")).to_be_visible()
        expect(page.get_by_role("region", name="Who signed up")).not_to_contain_text("Mickey Mouse")
        expect(page.get_by_role("region", name="Who signed up")).to_contain_text("Riley Rivera")
    finally:
        live_data.run(_approvals_off, district)  # the shared live server's other tests expect the default
