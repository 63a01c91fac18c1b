"""A scholarship in a real browser on a phone: the coordinator asks for it on their Sly Park booking, staff
award part of it on the fund's page, and once the balance is billed and invoiced the district's invoice shows
the scholarship as its own line taken off the total. Every page on the way is audited for accessibility
(tests/e2e/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def _booked_week(staff: dict, coordinator: dict, season_name: str, school_name: str) -> dict:
    from booking.accounts.actor import Actor
    from booking.slypark.bookings import Headcount, book_remaining
    from booking.slypark.scholarships import set_budget
    from booking.slypark.tables import Season
    from tests.slypark.slypark_factory import make_school, make_season

    # Weeks of their own: a night's beds belong to one season; other browser tests book weeks 10 to 12 and 30.
    season = await make_season(Actor.from_row(staff), weeks=1, first=34, name=season_name)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    school_id = await make_school("EGUSD", school_name)
    booking_id = await book_remaining(
        Actor.from_row(coordinator),
        season["weeks"][0],
        school_id,
        Headcount(10, 10, 2),
        lead_teacher_name="Lena Lead",
        lead_teacher_email="lena@school.example",
    )
    await set_budget(Actor.from_row(staff), season["id"], "5000")
    return {"season_id": season["id"], "booking_id": booking_id}


async def _bill_and_invoice(finance: dict, booking_id: int) -> int:
    """After the freeze date: the balance and the scholarship on actual numbers, invoiced to the district."""
    from booking.accounts.actor import Actor
    from booking.clock import LOCAL_TZ
    from booking.payments.charge_lines import gather_charge_lines
    from booking.payments.invoicing import LineSelection, issue_invoices, open_lines
    from booking.slypark.charges import bill_balances
    from booking.slypark.tables import Booking

    booking = (
        await Booking.select(Booking.district, Booking.week.starts_on.as_alias("starts_on"))
        .where(Booking.id == booking_id)
        .first()
    )
    frozen = dt.datetime.combine(booking["starts_on"] - dt.timedelta(days=20), dt.time(12), tzinfo=LOCAL_TZ)
    await bill_balances(frozen)
    await gather_charge_lines()
    lines = await open_lines(booking["district"], LineSelection(slypark_booking_id=booking_id))
    [invoice] = await issue_invoices(
        Actor.from_row(finance), booking["district"], [line["id"] for line in lines], acknowledge_warnings=True
    )
    return invoice["id"]


def test_staff_award_a_scholarship_and_the_districts_invoice_shows_it(page, live_data, make_person, sign_in_as):
    tag = uuid.uuid4().hex[:6]
    school_name = f"Pioneer Elementary {tag}"
    staff = make_person("staff", name=f"Sam Staff {tag}")
    finance = make_person("finance", name=f"Fran Finance {tag}")
    coordinator = make_person("coordinator", district="EGUSD", name=f"Cora Coordinator {tag}")
    setup = live_data.run(_booked_week, staff, coordinator, f"Scholarship season {tag}", school_name)
    page.set_viewport_size(PHONE)

    # The coordinator asks on the booking's page: first without a reason, then with one.
    sign_in_as(coordinator)
    page.goto(f"/slypark/bookings/{setup['booking_id']}")
    page.get_by_role("link", name="Ask for a scholarship or see the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Scholarships for {school_name}")
    page.get_by_label("How many students").fill("4")
    page.get_by_label("The full fee ($425.00)").check()
    page.get_by_role("button", name="Ask for the scholarship").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why these students need a scholarship")
    page.get_by_label("Why these students need a scholarship").fill("Four families cannot pay the fee this year.")
    page.get_by_role("button", name="Ask for the scholarship").click()
    expect(page.get_by_role("status").filter(has_text="The request is sent")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("4 students at \\$425.00"))).to_contain_text(
        "Waiting for SCOE's decision"
    )

    # Staff award three of the four, with a note, on the season's fund page.
    sign_in_as(staff)
    page.goto("/staff/slypark/scholarships")
    page.get_by_role("link", name=f"Scholarship season {tag}").click()
    request = page.get_by_role("article", name=re.compile(school_name))
    expect(request).to_contain_text("Four families cannot pay the fee this year.")
    request.get_by_label("Students awarded").fill("3")
    request.get_by_label("Note to the coordinator").fill("Three this season; ask again in spring.")
    request.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status").filter(has_text="The request is decided")).to_be_visible()
    expect(page.get_by_role("region", name="The fund")).to_contain_text("$1,275.00")  # 3 × $425 awarded
    expect(page.get_by_role("region", name="The fund")).to_contain_text("$3,725.00")  # left of $5,000

    # After the freeze date the balance is billed and invoiced; the coordinator's invoice shows the scholarship.
    invoice_id = live_data.run(_bill_and_invoice, finance, setup["booking_id"])
    sign_in_as(coordinator)
    page.goto(f"/slypark/bookings/{setup['booking_id']}/scholarships")
    expect(page.get_by_role("row", name=re.compile("4 students"))).to_contain_text("Three this season")
    page.goto(f"/district/invoices/{invoice_id}")
    scholarship = page.get_by_role("row", name=re.compile("scholarship from the foundation"))
    expect(scholarship).to_contain_text("-$1,275.00")
    # 20 students: deposit $1,000 + balance $7,500 − scholarship $1,275.
    expect(page.get_by_role("row", name=re.compile("^Total"))).to_contain_text("$7,225.00")
