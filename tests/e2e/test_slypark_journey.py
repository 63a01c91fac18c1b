"""A district coordinator requests a Sly Park week in a real browser; staff run the allocation and publish the
offers on their Sly Park pages (/staff/slypark); the coordinator accepts the offer and sees the booking with
its week and deposit. Every page on the way is audited for accessibility (tests/e2e/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


async def _season(staff: dict, name: str) -> dict:
    from booking.accounts.actor import Actor
    from tests.slypark.slypark_factory import make_season

    return await make_season(Actor.from_row(staff), weeks=3, boys_beds=40, girls_beds=40, first=10, name=name)


async def _school(name: str) -> int:
    from tests.slypark.slypark_factory import make_school

    return await make_school("EGUSD", name)


def test_a_coordinator_requests_a_week_staff_allocate_and_the_coordinator_accepts(
    page, live_data, make_person, sign_in_as
):
    from booking.slypark.pages import week_label
    from tests.slypark.slypark_factory import monday

    tag = uuid.uuid4().hex[:6]
    season_name = f"Sly Park season {tag}"
    school_name = f"Jackson Elementary {tag}"
    staff = make_person("staff", name=f"Sam Staff {tag}")
    coordinator = make_person("coordinator", district="EGUSD", name=f"Cora Coordinator {tag}")
    season = live_data.run(_season, staff, season_name)
    live_data.run(_school, school_name)
    second_week = monday(11)
    wanted = week_label(second_week, second_week + dt.timedelta(days=4))

    # The coordinator files a request.
    sign_in_as(coordinator)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sly Park").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sly Park weeks")
    page.get_by_role("link", name=f"Request a week in {season_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a week at Sly Park")
    page.get_by_label("School", exact=True).select_option(label=school_name)
    page.get_by_label("Lead teacher's name").fill("Lena Lead")
    page.get_by_label("Lead teacher's email address").fill("lena@jackson.example")
    page.get_by_label("Boys", exact=True).fill("18")
    page.get_by_label("Girls", exact=True).fill("22")
    page.get_by_label("Teachers", exact=True).fill("2")  # too few for 40 students: one per 12
    page.get_by_label("First choice", exact=True).select_option(label=wanted)
    expect(page.get_by_label("Our school can share the week with other schools")).to_be_checked()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("alert")).to_contain_text("Bring at least 4 teachers")
    expect(page.get_by_label("Boys", exact=True)).to_have_value("18")
    page.get_by_label("Teachers", exact=True).fill("4")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status").filter(has_text="The request is sent")).to_be_visible()
    season_panel = page.get_by_role("region", name=season_name)
    expect(season_panel.get_by_role("row", name=re.compile(school_name))).to_contain_text("Waiting for the allocation")

    # Staff run the allocation and publish the offers on their Sly Park pages.
    sign_in_as(staff)
    page.goto(f"/staff/slypark/{season['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(season_name)
    page.get_by_role("button", name="Find the best allocation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Allocation run of")
    page.get_by_role("link", name="Publish offers…").click()
    # Before any email: who is told, and a button naming the count.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Publish offers and email")
    expect(
        page.get_by_role("table", name="Who is emailed").get_by_role("row", name=re.compile(school_name))
    ).to_contain_text("An offer")
    page.get_by_role("button", name=re.compile(r"^Publish and send \d+ email")).click()
    expect(page.get_by_role("status").filter(has_text="The offers are published")).to_be_visible()

    # The coordinator accepts the offer and sees the booking.
    sign_in_as(coordinator)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sly Park").click()
    expect(
        page.get_by_role("region", name=season_name).get_by_role("row", name=re.compile(school_name))
    ).to_contain_text("Offered — answer by")
    page.get_by_role("link", name="Offers and bookings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sly Park offers and bookings")
    expect(page.get_by_role("heading", name=f"{school_name}: {wanted}")).to_be_visible()
    page.get_by_role("button", name=f"Accept the week for {school_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{school_name} at Sly Park")
    expect(page.get_by_role("status").filter(has_text="The offer is accepted")).to_be_visible()
    expect(page.locator(".lead")).to_contain_text(wanted)
    expect(page.locator(".lead")).to_contain_text("Confirmed")
    amounts = page.get_by_role("table", name="Amounts due for this booking")
    expect(amounts.get_by_role("row", name=re.compile("Deposit"))).to_contain_text("$2,000.00")  # 40 students × $50
    expect(page.get_by_text("18 boys and 22 girls: 40 in all")).to_be_visible()
