"""Staff pages for Sly Park, through HTTP as staff use them: seasons, a new season, the season's
steps, beds by week, request priorities, allocation runs and publishing their offers."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from markupsafe import escape

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.slypark import allocation_runs
from booking.slypark.beds import bed_use
from booking.slypark.staff_pages import in_words, week_label
from booking.slypark.tables import AllocationRun, Booking, Season, Week, WeekRequest
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import coordinator, make_school, make_season, request_week

UTC = dt.timezone.utc


def season_form(**changes) -> dict:
    form = {
        "name": "2027-28 school year",
        "first_week": "2027-09-13",
        "last_week": "2027-11-29",
        "boys_beds": "60",
        "girls_beds": "58",
        "cabin_size": "12",
        "price": "425",
        "deposit": "50.00",
        "students_per_teacher": "12",
        "students_per_cabin_leader": "8",
        "freeze_days": "21",
        "offer_days": "14",
        "requests_open_at": "2027-01-04T08:00",
        "requests_close_at": "2027-03-01T17:00",
        "closed_weeks": "2027-11-22\n",
    }
    form.update(changes)
    return form


async def as_role(client, role: str) -> Actor:
    return Actor.from_row(await signed_in(client, await make_user(role)))


async def post(client, path: str, data: dict, **kwargs):
    token = await csrf_token(client, "/account")
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


def htmx() -> dict:
    return {"HX-Request": "true"}


async def season_with_requests(staff: Actor, *, weeks: int = 3, beds: int = 40) -> dict:
    season = await make_season(staff, weeks=weeks, boys_beds=beds, girls_beds=beds)
    egusd = await coordinator("EGUSD")
    w = season["weeks"]
    season["requests"] = [
        await request_week(
            egusd, season, await make_school("EGUSD", "Alpha Elementary"), [w[0], w[1]], boys=30, girls=25
        ),
        await request_week(
            egusd, season, await make_school("EGUSD", "Bravo Elementary"), [w[0], w[2]], boys=20, girls=20
        ),
        await request_week(egusd, season, await make_school("EGUSD", "Charlie Elementary"), [w[0]], boys=35, girls=35),
        await request_week(egusd, season, await make_school("EGUSD", "Delta Elementary"), [w[0]], boys=30, girls=30),
    ]
    return season


# --- Seasons and a new season ---------------------------------------------------------------


async def test_staff_create_a_season_with_its_weeks_and_see_it_listed(client):
    await as_role(client, "staff")
    catalog = await client.get("/staff/offerings")
    assert 'href="/staff/slypark"' in catalog.text and "Sly Park seasons" in catalog.text
    assert (await client.get("/staff/slypark")).status_code == 200
    form = await client.get("/staff/slypark/new")
    assert form.status_code == 200 and 'name="closed_weeks"' in form.text and 'type="datetime-local"' in form.text

    response = await post(client, "/staff/slypark/new", season_form())

    assert response.status_code == 303, response.text[:3000]
    match = re.fullmatch(r"/staff/slypark/(\d+)\?notice=slypark-season-created", response.headers["location"])
    assert match, response.headers["location"]
    season = await Season.select().where(Season.id == int(match.group(1))).first()
    assert (season["status"], season["price_per_student_cents"], season["deposit_per_student_cents"]) == (
        "draft",
        42_500,
        5_000,
    )
    assert season["requests_open_at"] == dt.datetime(2027, 1, 4, 16, 0, tzinfo=UTC)  # 8:00 PST
    weeks = await Week.select().where(Week.season == season["id"]).order_by(Week.starts_on)
    assert (
        len(weeks) == 12
        and weeks[0]["starts_on"] == dt.date(2027, 9, 13)
        and weeks[0]["ends_on"] == dt.date(2027, 9, 17)
    )
    assert [w["starts_on"] for w in weeks if w["closed"]] == [dt.date(2027, 11, 22)]
    assert {(w["boys_beds"], w["girls_beds"], w["cabin_size"]) for w in weeks} == {(60, 58, 12)}

    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "The season is created as a draft" in page.text and "Open requests" in page.text
    assert "Sep 13–17, 2027" in page.text and "Closed: Holiday" in page.text and "0 of 60" in page.text
    listing = await client.get("/staff/slypark")
    assert "2027-28 school year" in listing.text and "11 of 12" in listing.text and "Draft" in listing.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_week": "2027-09-14"}, "first_week", "must start on a Monday"),
        ({"last_week": "2027-09-06"}, "last_week", "comes after the first"),
        ({"boys_beds": "-5"}, "boys_beds", "whole number"),
        ({"deposit": "500"}, "deposit", "cannot be more than the price"),
        ({"price": "lots"}, "price", "amount in dollars"),
        ({"closed_weeks": "2027-11-23"}, "closed_weeks", "not a Monday"),
        ({"closed_weeks": "2028-01-03"}, "closed_weeks", "not a week of this season"),
        ({"requests_close_at": "2026-12-01T09:00"}, "requests_close_at", "close after they open"),
        ({"first_week": "soon"}, "first_week", "Enter a date"),
    ],
)
async def test_a_bad_season_form_is_refused_whole_and_kept(client, changes, field, message):
    await as_role(client, "staff")
    response = await post(client, "/staff/slypark/new", season_form(**changes))
    assert response.status_code == 422
    assert message in response.text
    assert f'id="s-{field}"' in response.text
    assert re.search(rf'id="s-{field}"[^>]*aria-invalid="true"', response.text, re.S)
    assert 'class="error-summary"' in response.text and f'href="#s-{field}"' in response.text
    assert 'value="2027-28 school year"' in response.text  # what was typed is kept
    assert await Season.count() == 0 and await Week.count() == 0


async def test_a_season_name_is_used_once(client):
    staff = await as_role(client, "staff")
    await make_season(staff, name="2027-28 school year")
    response = await post(client, "/staff/slypark/new", season_form())
    assert response.status_code == 422 and "A season with that name exists" in response.text
    assert await Season.count() == 1


# --- The season: steps, beds, requests ------------------------------------------------------


async def test_the_season_moves_through_its_steps_and_refuses_a_step_out_of_order(client):
    staff = await as_role(client, "staff")
    season = await make_season(staff, status="draft")
    path = f"/staff/slypark/{season['id']}"

    refused = await post(client, f"{path}/status", {"status": "closed"})
    assert refused.status_code == 409 and "cannot become closed" in refused.text
    assert (await Season.select(Season.status).where(Season.id == season["id"]).first())["status"] == "draft"

    opened = await post(client, f"{path}/status", {"status": "requests_open"})
    assert opened.status_code == 303 and opened.headers["location"] == f"{path}?notice=slypark-status-changed"
    page = await client.get(path)
    assert "Taking week requests" in page.text and "Close requests and allocate" in page.text
    assert "Find the best allocation" in page.text
    assert (await post(client, f"{path}/status", {"status": "allocating"})).status_code == 303
    assert (await Season.select(Season.status).where(Season.id == season["id"]).first())["status"] == "allocating"


async def test_a_weeks_beds_change_but_never_below_what_is_held(client):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff)
    week_id = season["weeks"][1]
    path = f"/staff/slypark/{season['id']}"
    changed = await post(client, f"{path}/weeks/{week_id}/beds", {"boys_beds": "45", "girls_beds": "44"})
    assert changed.status_code == 303
    assert (await bed_use([week_id], utc_now()))[week_id].boys_beds == 45

    bad = await post(client, f"{path}/weeks/{week_id}/beds", {"boys_beds": "-1", "girls_beds": "x"})
    assert bad.status_code == 422 and f'id="w{week_id}-boys_beds"' in bad.text and 'value="-1"' in bad.text
    assert re.search(rf'id="w{week_id}-boys_beds"[^>]*aria-invalid="true"', bad.text)

    run_id = await allocation_runs.run_allocation(staff, season["id"])
    await allocation_runs.publish(staff, run_id)
    week_id = (await Booking.select(Booking.week).where(Booking.status == "offered").first())["week"]
    use = (await bed_use([week_id], utc_now()))[week_id]
    assert use.boys > 0
    below = await post(client, f"{path}/weeks/{week_id}/beds", {"boys_beds": str(use.boys - 1), "girls_beds": "60"})
    assert below.status_code == 422 and "already booked or offered" in below.text
    assert (await bed_use([week_id], utc_now()))[week_id] == use

    page = await client.get(path)
    assert f"{use.boys} of {use.boys_beds}" in page.text

    other = await make_season(staff, name="Another season", first=30)
    assert (
        await post(
            client, f"/staff/slypark/{other['id']}/weeks/{week_id}/beds", {"boys_beds": "50", "girls_beds": "50"}
        )
    ).status_code == 404


async def test_staff_set_a_requests_tier_returning_pin_and_exclusion(client):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff, weeks=4)
    await Week.update({Week.closed: True}).where(Week.id == season["weeks"][3])
    request_id = season["requests"][0]
    path = f"/staff/slypark/{season['id']}/requests/{request_id}/priority"
    page = await client.get(f"/staff/slypark/{season['id']}")
    assert (
        "Alpha Elementary" in page.text and "30 boys, 25 girls" in page.text and "Waiting for allocation" in page.text
    )
    assert f'id="request-{request_id}"' in page.text

    # htmx: the row comes back updated.
    response = await post(
        client,
        path,
        {"tier": "0", "returning_school": "on", "pinned_week": str(season["weeks"][1]), "excluded": ""},
        headers=htmx(),
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="request-{request_id}"') and "Saved" in response.text
    assert "Pinned to" in response.text and "returning school" in response.text
    row = await WeekRequest.select().where(WeekRequest.id == request_id).first()
    assert (row["tier"], row["returning_school"], row["pinned_week"], row["excluded"]) == (
        0,
        True,
        season["weeks"][1],
        False,
    )

    # Plain POST: unpin and exclude.
    response = await post(client, path, {"tier": "2", "pinned_week": "", "excluded": "on"})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=slypark-request-saved")
    row = await WeekRequest.select().where(WeekRequest.id == request_id).first()
    assert (row["tier"], row["returning_school"], row["pinned_week"], row["excluded"]) == (2, False, None, True)

    # A closed week, a tier out of range, junk: refused, nothing changed.
    for data, field, message in (
        ({"tier": "1", "pinned_week": str(season["weeks"][3])}, "pinned_week", "Choose an open week"),
        ({"tier": "9"}, "tier", "from 0 (first) to 5"),
        ({"tier": "top"}, "tier", "Choose an option"),
    ):
        for headers in (htmx(), {}):
            refused = await post(client, path, data, headers=headers)
            assert refused.status_code == 422, (data, refused.text[:500])
            assert message in refused.text
            assert re.search(rf'id="r{request_id}-{field}"[^>]*aria-invalid="true"', refused.text)
    assert await WeekRequest.select().where(WeekRequest.id == request_id).first() == row

    other = await make_season(staff, name="Another season", first=30)
    assert (
        await post(client, f"/staff/slypark/{other['id']}/requests/{request_id}/priority", {"tier": "1"})
    ).status_code == 404


# --- Allocation -----------------------------------------------------------------------------


async def test_staff_allocate_see_the_report_run_again_and_publish(client):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff)
    path = f"/staff/slypark/{season['id']}"

    response = await post(client, f"{path}/runs", {"choice_weights": "100,70,45,25,10", "split_penalty": "15"})
    assert response.status_code == 303, response.text[:2000]
    run_path = response.headers["location"]
    first_run = int(re.fullmatch(r"/staff/slypark/runs/(\d+)", run_path).group(1))
    report = await client.get(run_path)
    assert report.status_code == 200
    text = report.text
    assert "Best possible (proven optimal)" in text and "OR-Tools CP-SAT" in text and "seconds" in text
    assert "1st choice" in text and "No week" in text and "Split over two weeks" in text
    for school in ("Alpha Elementary", "Bravo Elementary", "Charlie Elementary"):
        assert school in text
    run = await allocation_runs.get_run(first_run)
    unplaced = [o for o in run["outcomes"] if not o["parts"]]
    # Four schools want the first week; one gets none, and the report says why, in dates rather than ids.
    assert [o["school"] for o in unplaced] == ["Delta Elementary"]
    first_week = await Week.select().where(Week.id == season["weeks"][0]).first()
    reason = str(escape(in_words(unplaced[0]["reason"], {first_week["id"]: first_week})))
    assert "filled by schools of higher priority" in reason and "week of " + week_label(first_week) in reason
    assert reason in text
    assert "Publish offers" in text and "Run again" in text and "Finding the best allocation…" in text

    # Run again after excluding a school (htmx: the form's POST redirects the page).
    await post(client, f"{path}/requests/{season['requests'][2]}/priority", {"tier": "1", "excluded": "on"})
    again = await post(client, f"{path}/runs", {"choice_weights": "100,50", "split_penalty": "0"}, headers=htmx())
    assert again.status_code == 200 and again.headers["hx-redirect"].startswith("/staff/slypark/runs/")
    second_run = int(again.headers["hx-redirect"].rsplit("/", 1)[1])
    season_page = await client.get(path)
    assert (
        f'href="/staff/slypark/runs/{first_run}"' in season_page.text
        and f'href="/staff/slypark/runs/{second_run}"' in season_page.text
    )

    stale = await post(client, f"/staff/slypark/runs/{first_run}/publish", {})
    assert stale.status_code == 409 and "A newer run exists" in stale.text
    assert await Booking.count() == 0

    # Publishing asks first: who is emailed, and a button naming the count.
    unconfirmed = await post(client, f"/staff/slypark/runs/{second_run}/publish", {})
    assert unconfirmed.status_code == 409 and "Nothing was published yet" in unconfirmed.text
    confirm = await client.get(f"/staff/slypark/runs/{second_run}/publish")
    assert confirm.status_code == 200 and "Who is emailed" in confirm.text
    emails = int(re.search(r'name="confirm_emails" value="(\d+)"', confirm.text).group(1))
    assert emails >= 1 and f"Publish and send {emails} email" in confirm.text
    assert await Booking.count() == 0
    assert (
        await post(client, f"/staff/slypark/runs/{second_run}/publish", {"confirm_emails": str(emails + 1)})
    ).status_code == 409  # the list changed: nothing sent
    assert await Booking.count() == 0
    published = await post(client, f"/staff/slypark/runs/{second_run}/publish", {"confirm_emails": str(emails)})
    assert published.status_code == 303 and published.headers["location"] == f"{path}?notice=slypark-offers-published"
    assert await Booking.count() > 0
    assert (await Season.select(Season.status).where(Season.id == season["id"]).first())["status"] == "offers_out"
    page = await client.get(published.headers["location"])
    assert "Offers out to coordinators" in page.text and "Open remaining beds for booking" in page.text
    assert "Published" in page.text

    again = await post(client, f"/staff/slypark/runs/{second_run}/publish", {})
    assert again.status_code == 409 and "already out" in again.text
    late = await post(client, f"{path}/runs", {"choice_weights": "100,70", "split_penalty": "15"})
    assert late.status_code == 409 and "before offers go out" in late.text
    assert await AllocationRun.count() == 2


async def test_an_infeasible_run_shows_why_and_cannot_be_published(client):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff, beds=40)
    w1 = season["weeks"][0]
    for request_id in season["requests"][:2]:  # 30 + 20 boys pinned to a week of 40 boys' beds
        await WeekRequest.update({WeekRequest.pinned_week: w1}).where(WeekRequest.id == request_id)
    response = await post(
        client, f"/staff/slypark/{season['id']}/runs", {"choice_weights": "100,70", "split_penalty": "15"}
    )
    assert response.status_code == 303
    report = await client.get(response.headers["location"])
    assert "No allocation possible" in report.text and "No allocation can honour these pins" in report.text
    assert "Publish offers" not in report.text
    assert "Alpha Elementary" in report.text and "pinned to week of " in report.text and "request " not in report.text
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    refused = await post(client, f"/staff/slypark/runs/{run_id}/publish", {})
    assert refused.status_code == 409 and "no allocation to publish" in refused.text
    assert await Booking.count() == 0


async def test_a_run_stopped_early_says_how_far_from_the_best_it_may_be(client):
    staff = await as_role(client, "staff")
    season = await make_season(staff)
    summary = {
        "status": "feasible",
        "choice_counts": {"1": 3, "2": 1},
        "unplaced": 2,
        "splits": 1,
        "gap": 0.05,
        "errors": [],
        "weights": [100, 70],
        "split_penalty": 15,
        "requests": 6,
    }
    run_id = (
        await AllocationRun.insert(
            AllocationRun(
                season=season["id"],
                status="feasible",
                solver="OR-Tools CP-SAT 9",
                solve_ms=120_000,
                summary=json.dumps(summary),
                outcomes="[]",
            )
        ).returning(AllocationRun.id)
    )[0]["id"]
    report = await client.get(f"/staff/slypark/runs/{run_id}")
    assert report.status_code == 200
    assert "Good, not proven best" in report.text and "at most 5.0% from the best" in report.text
    assert "120.00 seconds" in report.text and "2nd choice" in report.text
    assert (await client.get("/staff/slypark/runs/999999")).status_code == 404
    assert (await client.get("/staff/slypark/999999")).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"choice_weights": "100,100", "split_penalty": "15"}, "choice_weights", "each smaller than the one before"),
        ({"choice_weights": "a lot", "split_penalty": "15"}, "choice_weights", "whole numbers separated by commas"),
        ({"choice_weights": "100,70", "split_penalty": "-1"}, "split_penalty", "whole number"),
        ({"choice_weights": "100,70", "split_penalty": "5000"}, "split_penalty", "from 0 to 1000"),
    ],
)
async def test_bad_allocation_settings_are_refused_and_nothing_runs(client, data, field, message):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff)
    for headers in ({}, htmx()):
        response = await post(client, f"/staff/slypark/{season['id']}/runs", data, headers=headers)
        assert response.status_code == 422 and message in response.text
        assert re.search(rf'id="a-{field}"[^>]*aria-invalid="true"', response.text)
        assert f'value="{data[field]}"' in response.text
    assert (
        (
            await client.post(
                f"/staff/slypark/{season['id']}/runs",
                data={**data, "_csrf_token": await csrf_token(client, "/account")},
                headers=htmx(),
            )
        )
        .text.lstrip()
        .startswith('<form id="allocate-form"')
    )
    assert await AllocationRun.count() == 0


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["attendee", "coordinator", "finance"])
async def test_only_staff_reach_sly_park_staff_pages(client, role):
    staff = Actor.from_row(await make_user("staff"))
    season = await season_with_requests(staff)
    run_id = await allocation_runs.run_allocation(staff, season["id"])
    await signed_in(client, await make_user(role, district="EGUSD" if role == "coordinator" else None))
    sid, week_id, request_id = season["id"], season["weeks"][0], season["requests"][0]
    for path in ("/staff/slypark", "/staff/slypark/new", f"/staff/slypark/{sid}", f"/staff/slypark/runs/{run_id}"):
        assert (await client.get(path)).status_code == 403, path
    for path, data in (
        ("/staff/slypark/new", season_form(name="Sneaky")),
        (f"/staff/slypark/{sid}/status", {"status": "requests_open"}),
        (f"/staff/slypark/{sid}/weeks/{week_id}/beds", {"boys_beds": "1", "girls_beds": "1"}),
        (f"/staff/slypark/{sid}/requests/{request_id}/priority", {"tier": "3"}),
        (f"/staff/slypark/{sid}/runs", {"choice_weights": "100", "split_penalty": "1"}),
        (f"/staff/slypark/runs/{run_id}/publish", {}),
    ):
        assert (await post(client, path, data)).status_code == 403, path
    assert await Season.count() == 1 and await AllocationRun.count() == 1 and await Booking.count() == 0
    assert (await WeekRequest.select(WeekRequest.tier).where(WeekRequest.id == request_id).first())["tier"] == 0


async def test_allocation_settings_in_words_stand_for_the_solvers_numbers(client):
    staff = await as_role(client, "staff")
    season = await season_with_requests(staff)
    path = f"/staff/slypark/{season['id']}"
    page = await client.get(path)
    assert "How much a school's first choice counts against its later ones" in page.text
    assert 'id="a-choice-balanced" name="choice_preset" value="balanced" checked' in page.text  # the season's default
    response = await post(
        client,
        f"{path}/runs",
        {"choice_preset": "first_choices", "choice_weights": "garbage", "split_preset": "rarely", "split_penalty": ""},
    )
    assert response.status_code == 303, response.text[:2000]
    run = await AllocationRun.select().where(AllocationRun.season == season["id"]).first()
    summary = json.loads(run["summary"])
    assert summary["weights"] == [100, 40, 15, 5, 2] and summary["split_penalty"] == 100
    report = await client.get(response.headers["location"])
    assert 'value="first_choices" checked' in report.text and 'value="rarely" checked' in report.text
    # "My own numbers" uses what was typed, checked as before.
    refused = await post(
        client,
        f"{path}/runs",
        {"choice_preset": "custom", "choice_weights": "10,20", "split_preset": "custom", "split_penalty": "15"},
    )
    assert refused.status_code == 422 and "each smaller than the one before" in refused.text
    assert 'id="a-choice-custom" name="choice_preset" value="custom" checked' in refused.text
    assert await AllocationRun.count() == 1
