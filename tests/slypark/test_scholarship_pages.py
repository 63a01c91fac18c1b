"""Scholarship pages through the HTTP app, on both engines: a coordinator asks, staff decide, finance sets the
budget and downloads the report; who may see what; and the budget under concurrent awards.

Why the concurrency test fails without the fund's lock: scholarships.decide_scholarship adds up what the fund
has committed and then writes the award. On PostgreSQL each request runs in its own READ COMMITTED transaction
on its own pooled connection; the only thing that makes the eight decisions below take turns is the
SELECT ... FOR UPDATE on the fund's row (scholarships._locked_fund). Without it, every transaction reads the
committed sum before the others commit, all see the whole budget free, and all eight awards of $300 go
through against a $1,000 budget (checked by hand by making _locked_fund skip its lock: PostgreSQL then
awarded more than 3 and the test failed, while SQLite still awarded 3). On SQLite write_transaction() (BEGIN IMMEDIATE) is that engine's form of the same lock.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io

from booking.accounts.actor import Actor
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.scholarship_tables import ScholarshipFund, ScholarshipRequest
from booking.slypark.scholarships import (
    AwardDecision,
    ScholarshipAsk,
    ask_for_scholarship,
    decide_scholarship,
    set_budget,
)
from booking.slypark.tables import Season
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import coordinator, make_school, make_season
from tests.slypark.test_concurrent_booking import browsers
from tests.workshop_factory import staff_actor


def said(response) -> str:
    return html.unescape(response.text)


async def open_season(staff, *, weeks: int = 1, beds: int = 60) -> dict:
    season = await make_season(staff, weeks=weeks, first=6, boys_beds=beds, girls_beds=beds)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    return season


async def a_booking(
    season: dict, who: Actor, school: str, district: str = "EGUSD", boys: int = 10, girls: int = 10
) -> int:
    school_id = await make_school(district, school)
    return await book_remaining(
        who,
        season["weeks"][0],
        school_id,
        Headcount(boys, girls, -(-(boys + girls) // 12)),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )


async def test_a_coordinator_asks_staff_decide_and_the_coordinator_sees_the_decision(client):
    staff = await staff_actor()
    season = await open_season(staff)
    egusd = Actor.from_row(await signed_in(client, await make_user("coordinator", district="EGUSD")))
    booking_id = await a_booking(season, egusd, "Elk Grove Elementary")
    await set_budget(staff, season["id"], "5000")

    booking_page = await client.get(f"/slypark/bookings/{booking_id}")
    assert f'href="/slypark/bookings/{booking_id}/scholarships"' in booking_page.text
    path = f"/slypark/bookings/{booking_id}/scholarships"
    token = await csrf_token(client, path)
    bad = await client.post(
        path, data={"_csrf_token": token, "students": "21", "kind": "each", "amount_each": "12.345", "reason": ""}
    )
    assert bad.status_code == 422
    text = said(bad)
    assert "from 1 to the 20 booked" in text and "dollars and cents" in text and "Say why" in text
    assert 'aria-invalid="true"' in bad.text and await ScholarshipRequest.count() == 0
    # Fields missing altogether, or sent twice, are refused the same way.
    assert (await client.post(path, data={"_csrf_token": token})).status_code == 422
    good = await client.post(
        path,
        data={
            "_csrf_token": token,
            "students": "4",
            "kind": "full",
            "amount_each": "",
            "reason": "Families who cannot pay the fee",
        },
    )
    assert good.status_code == 303 and good.headers["location"].endswith("notice=scholarship-asked")
    assert "Waiting for SCOE's decision" in said(await client.get(path))

    # Staff decide on the fund's page.
    await signed_in(client, await make_user("staff"))
    fund_path = f"/staff/slypark/scholarships/{season['id']}"
    fund_page = await client.get(fund_path)
    assert fund_page.status_code == 200 and "Families who cannot pay the fee" in fund_page.text
    [request] = await ScholarshipRequest.select()
    decide = f"/staff/slypark/scholarships/requests/{request['id']}/decide"
    token = await csrf_token(client, fund_path)
    refused = await client.post(decide, data={"_csrf_token": token, "students": "3", "amount_each": "abc", "note": ""})
    assert refused.status_code == 422 and "Enter an amount in dollars" in said(refused)
    partial = await client.post(decide, data={"_csrf_token": token, "students": "3", "amount_each": "", "note": ""})
    assert partial.status_code == 422 and "coordinator sees this note" in said(partial)
    done = await client.post(
        decide, data={"_csrf_token": token, "students": "3", "amount_each": "", "note": "Three this season"}
    )
    assert done.status_code == 303
    again = await client.post(decide, data={"_csrf_token": token, "students": "4", "amount_each": "", "note": ""})
    assert again.status_code == 409 and "already decided" in said(again)
    page = said(await client.get(fund_path))
    assert "$1,275.00" in page and "$3,725.00" in page  # awarded 3 × $425; remaining of $5,000

    await signed_in(client, egusd_user := await make_user("coordinator", district="EGUSD"))
    seen = said(await client.get(path))
    assert egusd_user["district"] and "Awarded" in seen and "Three this season" in seen and "$1,275.00" in seen


async def test_who_may_see_and_do_what(client):
    staff = await staff_actor()
    season = await open_season(staff)
    egusd = await coordinator("EGUSD")
    booking_id = await a_booking(season, egusd, "Elk Grove Elementary")
    await set_budget(staff, season["id"], "1000")
    request_id = await ask_for_scholarship(egusd, booking_id, ScholarshipAsk("2", "full", "", "Need"))
    path = f"/slypark/bookings/{booking_id}/scholarships"
    fund_path = f"/staff/slypark/scholarships/{season['id']}"
    decide = f"/staff/slypark/scholarships/requests/{request_id}/decide"

    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    token = await csrf_token(client, "/slypark")
    assert (await client.get(path)).status_code == 404
    assert (
        await client.post(path, data={"_csrf_token": token, "students": "1", "kind": "full", "reason": "x"})
    ).status_code == 404
    assert (await client.get(fund_path)).status_code == 403
    assert (await client.post(decide, data={"_csrf_token": token, "students": "2"})).status_code == 403
    assert (await client.get(f"{fund_path}/fund.csv")).status_code == 403

    await signed_in(client, await make_user("attendee", district="EGUSD"))
    token = await csrf_token(client, "/account")
    assert (await client.get(path)).status_code == 403
    assert (await client.post(path, data={"_csrf_token": token})).status_code == 403
    assert (await client.get(fund_path)).status_code == 403

    # Finance sets the budget and reads the fund, but staff decide.
    await decide_scholarship(staff, request_id, AwardDecision("2", "", ""))
    await signed_in(client, await make_user("finance"))
    token = await csrf_token(client, fund_path)
    assert (
        await client.post(decide, data={"_csrf_token": token, "students": "2", "amount_each": "", "note": ""})
    ).status_code == 403
    below = await client.post(f"{fund_path}/budget", data={"_csrf_token": token, "budget": "849.99"})
    assert below.status_code == 409 and "already awarded $850.00" in said(below)
    assert (await client.post(f"{fund_path}/budget", data={"_csrf_token": token, "budget": "-5"})).status_code == 422
    assert (await client.post(f"{fund_path}/budget", data={"_csrf_token": token, "budget": "1e9"})).status_code == 422
    assert (
        await client.post(f"{fund_path}/budget", data={"_csrf_token": token, "budget": "2,500.50"})
    ).status_code == 303
    assert (await ScholarshipFund.select(ScholarshipFund.budget_cents).first())["budget_cents"] == 250_050
    assert (await client.get("/staff/slypark/scholarships/999999")).status_code == 404
    assert (
        await client.post("/staff/slypark/scholarships/requests/999999/decide", data={"_csrf_token": token})
    ).status_code == 404
    csv_response = await client.get(f"{fund_path}/fund.csv")
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0]["level"] == "fund" and rows[0]["budget"] == "2500.50" and rows[0]["remaining"] == "1650.50"
    index = await client.get("/staff/slypark/scholarships")
    assert index.status_code == 200 and 'href="/staff/slypark/scholarships"' in index.text  # finance's nav item


async def test_concurrent_awards_never_pass_the_budget(app, client):
    staff = await staff_actor()
    season = await open_season(staff, beds=200)
    await set_budget(staff, season["id"], "1000")
    requests = []
    for n in range(8):
        district = ("EGUSD", "SJUSD", "SCUSD", "NUSD")[n % 4]
        who = await coordinator(district)
        booking_id = await a_booking(season, who, f"School {n}", district=district, boys=3, girls=3)
        requests.append(await ask_for_scholarship(who, booking_id, ScholarshipAsk("1", "each", "300", "Need")))
    async with browsers(app, len(requests)) as clients:
        tokens = []
        for browser in clients:
            await signed_in(browser, await make_user("staff"))
            tokens.append(await csrf_token(browser, f"/staff/slypark/scholarships/{season['id']}"))
        answers = await asyncio.gather(
            *[
                browser.post(
                    f"/staff/slypark/scholarships/requests/{request_id}/decide",
                    data={"_csrf_token": token, "students": "1", "amount_each": "", "note": ""},
                )
                for browser, token, request_id in zip(clients, tokens, requests)
            ]
        )
    assert sorted(a.status_code for a in answers) == [303] * 3 + [409] * 5
    assert all("is left in the fund" in said(a) for a in answers if a.status_code == 409)
    awarded = await ScholarshipRequest.select(ScholarshipRequest.awarded_cents).where(
        ScholarshipRequest.status == "awarded"
    )
    assert len(awarded) == 3 and sum(row["awarded_cents"] for row in awarded) == 90_000
