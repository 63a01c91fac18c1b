"""The input boundary (issue 12): hostile input is a 4xx naming the field and changes nothing, on both engines.

Each test here failed on the code before the boundary: a 500 (PostgreSQL refusing NUL, int("²"),
Decimal("NaN") < 0, an overflow on the way to UTC, msgspec's RecursionError, asyncpg's parameter
limit, the solver's ValueError), a NUL stored on SQLite, or a wrong 404.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.tables import Offering, OfferingSession
from booking.db import insert_many, write_transaction
from booking.errors import InvalidInput
from booking.fields import parse_date, parse_decimal, parse_int, parse_local_datetime, text_problem
from booking.slypark.allocation_runs import run_allocation
from booking.slypark.tables import AllocationRun
from booking.web.input_boundary import MAX_JSON_DEPTH, MAX_JSON_ITEMS, check_input, json_depth
from tests.api_helpers import bearer, create_offering, future_session
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.factories import csrf_token, make_user, post_form, signed_in
from tests.slypark.slypark_factory import make_school, make_season, request_week
from tests.workshop_factory import staff_actor

PROBLEM = "application/problem+json"


def offering_body(**overrides) -> dict:
    return {
        "kind": "workshop",
        "title": "Number Talks",
        "capacity": 20,
        "price_cents": 0,
        "sessions": [future_session()],
        "status": "published",
        **overrides,
    }


# --- NUL and control characters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path, field",
    [
        ("/sign-in", "email"),
        ("/sign-in/link", "email"),
        ("/password/forgot", "email"),
    ],
)
async def test_a_nul_byte_in_a_signed_out_form_is_a_422_naming_the_field(client, path, field):
    response = await post_form(client, path, {field: "a\x00b@example.org", "password": "whatever"})
    assert response.status_code == 422, response.text[:300]
    assert "NUL character" in response.text and field in response.text


async def test_a_nul_byte_in_the_catalog_search_is_a_422_not_a_500(client):
    response = await client.get("/workshops", params={"q": "math\x00"})
    assert response.status_code == 422
    assert "NUL character" in response.text


async def test_a_nul_byte_in_a_cabin_leader_code_names_nothing(client):
    assert (await client.get("/slypark/cabin-leaders/abc%00def")).status_code == 404
    token = await csrf_token(client)
    posted = await client.post("/slypark/cabin-leaders/abc%00def", data={"_csrf_token": token, "name": "Riley"})
    assert posted.status_code == 404


async def test_an_account_with_a_nul_in_its_email_is_never_created(client):
    await signed_in(client, await make_user("admin"))
    before = await User.count()
    response = await post_form(
        client,
        "/admin/users/new",
        {"name": "Nul Person", "email": "a\x00b@example.org", "role": "attendee", "job_title": ""},
        token_from="/admin/users/new",
    )
    assert response.status_code == 422
    assert await User.count() == before
    assert not await User.exists().where(User.email.like("a%b@example.org"))


async def test_control_characters_are_refused_but_line_breaks_and_tabs_in_text_are_kept(client):
    headers = await bearer(await make_user("staff"))
    refused = await client.post("/api/v1/offerings", json=offering_body(title="Escape \x1b[31m"), headers=headers)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["errors"] == {"title": "Remove the control character (U+001B): it cannot be stored here."}
    kept = await client.post(
        "/api/v1/offerings", json=offering_body(description="Line one\r\nLine two\tand a tab"), headers=headers
    )
    assert kept.status_code == 201, kept.text
    assert await Offering.count() == 1


async def test_a_lone_surrogate_in_json_is_refused(client):
    headers = await bearer(await make_user("staff"))
    body = b'{"kind": "workshop", "title": "Bad \\ud800 title", "capacity": 5}'
    response = await client.post(
        "/api/v1/offerings", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert await Offering.count() == 0


# --- Numbers from ASCII digits, finite decimals ------------------------------------------------


@pytest.mark.parametrize("page", ["²", "١٢", "1_0", "99999999999999999999999"])
async def test_the_catalog_page_number_takes_ascii_digits_only(client, page):
    response = await client.get("/workshops", params={"page": page})
    assert response.status_code == 400  # the catalog's answer to bad filters: the page again, the field marked
    assert "The page number must be a whole number from 1." in response.text


async def test_unicode_digits_in_a_staff_feed_scope_are_refused(client):
    await signed_in(client, await make_user("staff"))
    response = await post_form(client, "/account/calendar/staff", {"scope": "venue:²"}, token_from="/account/calendar")
    assert response.status_code == 422
    assert "Choose a venue, room or program from the list." in response.text


@pytest.mark.parametrize("instalments", ["²", "٤"])
async def test_unicode_digits_for_the_number_of_tuition_payments_are_refused(db, instalments):
    cohort = await make_cohort(await staff_actor(), instalment_options="1,4")
    with pytest.raises(InvalidInput) as refused:
        await submitted_applicant(cohort, instalments=instalments)
    assert refused.value.field_errors["instalments"] == "Choose how many payments: 1, 4."


@pytest.mark.parametrize("hours", ["NaN", "sNaN", "Infinity", "-Infinity", "1e3", "١٫٥"])
async def test_pd_hours_that_are_not_a_plain_number_are_refused_by_the_api(client, hours):
    headers = await bearer(await make_user("staff"))
    response = await client.post("/api/v1/offerings", json=offering_body(pd_hours=hours), headers=headers)
    assert response.status_code == 422, response.text
    assert "pd_hours" in response.json()["errors"]
    assert await Offering.count() == 0


async def test_nan_pd_hours_in_the_staff_form_is_a_422(client):
    await signed_in(client, await make_user("staff"))
    response = await post_form(
        client,
        "/staff/offerings/new",
        {"title": "Literacy", "capacity": "20", "price": "0", "pd_hours": "NaN", "format": "in_person"},
        token_from="/staff/offerings/new",
    )
    assert response.status_code == 422
    assert "Enter hours as a number" in response.text
    assert await Offering.count() == 0


def test_the_typed_parsers_refuse_what_python_would_accept_or_crash_on():
    for value in ("²", "١٢", "1_000", " 1 2 ", "+5", "0x1F"):
        with pytest.raises(InvalidInput):
            parse_int(value, "n", minimum=0, maximum=10**9)
    for value in ("NaN", "inf", "1e5", "1,5", "١٫٥"):
        with pytest.raises(InvalidInput):
            parse_decimal(value, "d", minimum=0, maximum=10**6, places=2)
    assert parse_int(" 42 ", "n", minimum=0, maximum=100) == 42
    assert str(parse_decimal("1.5", "d", minimum=0, maximum=10, places=1)) == "1.5"


# --- Dates within a range that makes sense ----------------------------------------------------


@pytest.mark.parametrize(
    "starts_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1899-05-01T09:00:00-08:00"]
)
async def test_a_session_date_out_of_range_is_a_422_on_both_engines(client, starts_at):
    headers = await bearer(await make_user("staff"))
    session = {"starts_at": starts_at, "ends_at": starts_at}
    response = await client.post("/api/v1/offerings", json=offering_body(sessions=[session]), headers=headers)
    assert response.status_code == 422, response.text  # was a 500 on SQLite, a 404 on PostgreSQL
    assert "between the years 2000 and 2100" in response.json()["errors"]["sessions[0].starts_at"]
    assert await Offering.count() == 0


async def test_a_registration_window_out_of_range_is_a_422(client):
    headers = await bearer(await make_user("staff"))
    response = await client.post(
        "/api/v1/offerings", json=offering_body(registration_opens_at="0001-01-01T00:00:00+05:00"), headers=headers
    )
    assert response.status_code == 422
    assert "registration_opens_at" in response.json()["errors"]


@pytest.mark.parametrize("opens", ["9999-12-31T23:59", "0001-01-01T00:00"])
async def test_a_local_date_whose_move_to_utc_overflows_is_a_422_in_the_staff_form(client, opens):
    await signed_in(client, await make_user("staff"))
    response = await post_form(
        client,
        "/staff/offerings/new",
        {
            "title": "Literacy",
            "capacity": "20",
            "price": "0",
            "pd_hours": "3",
            "format": "in_person",
            "registration_opens_at": opens,
        },
        token_from="/staff/offerings/new",
    )
    assert response.status_code == 422
    assert "between the years 2000 and 2100" in response.text
    assert await Offering.count() == 0


def test_date_parsers_check_the_range_before_any_time_zone_arithmetic():
    for value in ("9999-12-31T23:59", "0001-01-01T00:00", "2027-02-30T09:00"):
        with pytest.raises(InvalidInput):
            parse_local_datetime(value, "when")
    with pytest.raises(InvalidInput):
        parse_date("1066-10-14", "day")
    assert parse_local_datetime("2027-03-01T09:00", "when") == dt.datetime(2027, 3, 1, 17, tzinfo=dt.timezone.utc)


# --- Bodies, depth, lists, and bulk writes -----------------------------------------------------


async def test_deeply_nested_json_is_a_400_naming_the_body_not_a_recursion_error(client):
    headers = await bearer(await make_user("staff"))
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(
        "/api/v1/offerings", content=deep, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"body": f"The JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."}


def test_json_depth_is_measured_without_decoding_and_ignores_brackets_in_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[["}]}', 100) == 3
    assert json_depth(b'"\\"[[["', 100) == 0
    assert json_depth(b"[" * 10_000, 16) == 17  # stops counting past the limit


async def test_a_json_list_longer_than_the_limit_is_refused(client):
    headers = await bearer(await make_user("staff"))
    response = await client.post(
        "/api/v1/offerings", json=offering_body(audiences=["teachers"] * (MAX_JSON_ITEMS + 1)), headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"audiences": f"Too many items: at most {MAX_JSON_ITEMS:,}."}


async def test_an_offering_with_thousands_of_sessions_is_refused_with_the_field_named(client):
    headers = await bearer(await make_user("staff"))
    start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.timezone.utc)
    sessions = [
        {
            "starts_at": (start + dt.timedelta(days=i)).isoformat(),
            "ends_at": (start + dt.timedelta(days=i, hours=1)).isoformat(),
        }
        for i in range(900)
    ]
    response = await client.post("/api/v1/offerings", json=offering_body(sessions=sessions), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"]["sessions"] == "An offering can have at most 400 sessions."
    assert await OfferingSession.count() == 0


async def test_an_offering_with_more_sessions_than_a_json_list_may_hold_is_refused_not_a_500(client):
    """5,000 sessions once made one INSERT of 40,000 parameters: a 500 from asyncpg on PostgreSQL."""
    headers = await bearer(await make_user("staff"))
    start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.timezone.utc)
    sessions = [
        {
            "starts_at": (start + dt.timedelta(hours=2 * i)).isoformat(),
            "ends_at": (start + dt.timedelta(hours=2 * i + 1)).isoformat(),
        }
        for i in range(5_000)
    ]
    response = await client.post("/api/v1/offerings", json=offering_body(sessions=sessions), headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == {"sessions": f"Too many items: at most {MAX_JSON_ITEMS:,}."}
    assert await OfferingSession.count() == 0


async def test_the_largest_offering_allowed_is_stored(client):
    headers = await bearer(await make_user("staff"))
    start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.timezone.utc)
    sessions = [
        {
            "starts_at": (start + dt.timedelta(days=i)).isoformat(),
            "ends_at": (start + dt.timedelta(days=i, hours=1)).isoformat(),
        }
        for i in range(400)
    ]
    offering = await create_offering(client, headers, sessions=sessions)
    assert len(offering["sessions"]) == 400


async def test_bulk_inserts_are_chunked_under_the_drivers_parameter_limit(client):
    """4,500 sessions x 8 columns = 36,000 parameters: one INSERT is refused by asyncpg (32,767)."""
    offering_id = (await create_offering(client, await bearer(await make_user("staff"))))["id"]
    start = dt.datetime(2027, 1, 4, 17, tzinfo=dt.timezone.utc)
    rows = [
        OfferingSession(
            offering=offering_id,
            starts_at=start + dt.timedelta(hours=i),
            ends_at=start + dt.timedelta(hours=i, minutes=30),
        )
        for i in range(4_500)
    ]
    async with write_transaction():
        stored = await insert_many(OfferingSession, rows, OfferingSession.id)
    assert len(stored) == 4_500 and len({row["id"] for row in stored}) == 4_500
    assert await OfferingSession.count().where(OfferingSession.offering == offering_id) == 4_501


async def test_a_body_over_the_limit_is_a_413(client):
    headers = await bearer(await make_user("staff"))
    response = await client.post(
        "/api/v1/offerings",
        content=b'{"title": "' + b"x" * (3 * 1024 * 1024) + b'"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


# --- Sly Park allocation ----------------------------------------------------------------------


async def test_a_huge_allocation_weight_is_refused_with_the_field_named(db):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2)
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    await request_week(coordinator, season, await make_school("EGUSD", "Florin Elementary"), [season["weeks"][0]])
    with pytest.raises(InvalidInput) as refused:
        await run_allocation(staff, season["id"], choice_weights="10000000000000000,1")
    assert "choice_weights" in refused.value.field_errors
    assert await AllocationRun.count() == 0


# --- The boundary covers every route ----------------------------------------------------------


def test_every_route_of_the_app_runs_the_input_boundary(app):
    """A layer that set its own before_request would silently skip the boundary (Litestar keeps the nearest)."""
    from booking.payments.gateway import DOUBLE_MOUNT

    skipped = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith(("/static", DOUBLE_MOUNT)) or handler.handler_name == "options_handler":
                continue
            hook = handler.resolve_before_request()
            if getattr(hook, "__wrapped__", hook) is not check_input:
                skipped.append(f"{sorted(handler.http_methods)} {route.path}")
    assert not skipped, skipped


def test_text_problems_name_the_character():
    assert text_problem("ok\r\n\ttext") is None
    assert text_problem("a\nb", multiline=False) == "Remove the line break (U+000A): it cannot be stored here."
    assert text_problem("\x00") == "Remove the NUL character (U+0000): it cannot be stored here."
    assert text_problem("\x85") == "Remove the control character (U+0085): it cannot be stored here."
