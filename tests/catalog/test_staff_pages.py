"""Staff build the catalog through the HTML pages: list, create, edit, publish, venues; who may."""

from __future__ import annotations

import datetime as dt

from booking.catalog.tables import Offering, OfferingFacilitator, Program, Room, Venue
from tests.api_helpers import bearer
from tests.catalog.staff_helpers import (
    OFFERING_FORM,
    add_session,
    as_staff,
    location_id,
    make_room,
    new_offering,
    offering_row,
    post,
    published_offering,
)
from tests.factories import csrf_token, make_user, signed_in

UTC = dt.timezone.utc


async def test_create_offering_with_every_field_stores_cents_utc_and_facilitators(client):
    await as_staff(client)
    facilitator = await make_user("staff", name="Maria Lopez")
    page = await client.get("/staff/offerings/new")
    assert page.status_code == 200 and "Maria Lopez" in page.text

    offering_id = await new_offering(
        client,
        title="  Literacy   Foundations ",
        description_md="# Goals\n\nRead *more*.<script>x</script>",
        audiences=["teacher", "para-educator"],
        subject="English language arts",
        grade_band="TK-2",
        format="hybrid",
        pd_hours="6.5",
        facilitators="Maria Lopez, Sam Chen",
        facilitator_ids=[str(facilitator["id"])],
        capacity="30",
        price="45.50",
        nonmember_price="$1,200",
        registration_opens_at="2027-01-04T08:00",
        registration_closes_at="2027-07-01T17:00",
        cancellation_deadline="2027-02-26T12:30",
        attendance_rule="min_hours",
        min_attendance_hours="5",
    )

    row = await offering_row(offering_id)
    assert row["title"] == "Literacy Foundations"
    assert (row["price_cents"], row["nonmember_price_cents"]) == (4550, 120000)
    assert (row["capacity"], row["pd_hours_tenths"], row["min_attendance_tenths"]) == (30, 65, 50)
    assert (row["format"], row["attendance_rule"], row["status"]) == ("hybrid", "min_hours", "draft")
    # Entered in Pacific time; stored in UTC (January is PST, July is PDT).
    assert row["registration_opens_at"] == dt.datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
    assert row["registration_closes_at"] == dt.datetime(2027, 7, 2, 0, 0, tzinfo=UTC)
    assert row["cancellation_deadline"] == dt.datetime(2027, 2, 26, 20, 30, tzinfo=UTC)
    program = await Program.select().where(Program.id == row["program"]).first()
    assert (program["audiences"], program["subject"], program["grade_band"]) == (
        ",para-educator,teacher,",
        "English language arts",
        "TK-2",
    )
    links = await OfferingFacilitator.select(OfferingFacilitator.user).where(
        OfferingFacilitator.offering == offering_id
    )
    assert [link["user"] for link in links] == [facilitator["id"]]

    edit = await client.get(f"/staff/offerings/{offering_id}")
    assert edit.status_code == 200
    # The form shows local times and dollars again, exactly as typed.
    for shown in (
        'value="2027-01-04T08:00"',
        'value="2027-07-01T17:00"',
        'value="45.50"',
        'value="1200.00"',
        'value="6.5"',
    ):
        assert shown in edit.text, shown
    assert f'value="{facilitator["id"]}" checked' in edit.text


async def test_bad_inputs_are_all_reported_and_nothing_is_created(client):
    await as_staff(client)
    response = await post(
        client,
        "/staff/offerings/new",
        {
            **OFFERING_FORM,
            "title": " ",
            "capacity": "ten",
            "price": "abc",
            "nonmember_price": "-5",
            "pd_hours": "1.25",
            "registration_opens_at": "2027-03-14T02:30",
            "registration_closes_at": "not a date",
            "format": "space",
            "facilitator_ids": ["x"],
        },
    )
    assert response.status_code == 422
    text = response.text
    for message in (
        "Give the workshop a title",
        "Capacity must be a whole number",
        "Enter an amount in dollars",
        "A price cannot be negative",
        "at most one decimal place",
        "does not exist in Sacramento",
        "Enter a date and time",
        "Choose in person, virtual or hybrid",
        "Choose from the list",
    ):
        assert message in text, message
    assert await Offering.count() == 0
    # What was typed is kept.
    assert 'value="ten"' in text and 'value="abc"' in text

    for capacity in ("²", "٣", "0", "10001", "-4", "2.5"):
        response = await post(client, "/staff/offerings/new", {**OFFERING_FORM, "capacity": capacity})
        assert response.status_code == 422 and "Capacity must be a whole number" in response.text, capacity
    for price, message in (
        ("12.345", "at most two decimal places"),
        ("-5", "cannot be negative"),
        ("", "Enter the member-district price"),
    ):
        response = await post(client, "/staff/offerings/new", {**OFFERING_FORM, "price": price})
        assert response.status_code == 422 and message in response.text, price
    response = await post(
        client,
        "/staff/offerings/new",
        {**OFFERING_FORM, "registration_opens_at": "2027-02-01T09:00", "registration_closes_at": "2027-01-01T09:00"},
    )
    assert response.status_code == 422 and "Registration must close after it opens" in response.text
    response = await post(client, "/staff/offerings/new", {**OFFERING_FORM, "status": "published"})
    assert response.status_code == 422 and "needs at least one session" in response.text
    response = await post(
        client, "/staff/offerings/new", {**OFFERING_FORM, "facilitator_ids": [str((await make_user("attendee"))["id"])]}
    )
    assert response.status_code == 422 and "Choose facilitators from the list of SCOE staff" in response.text
    assert await Offering.count() == 0


async def test_create_with_a_first_session_and_publish_at_once(client):
    await as_staff(client)
    response = await post(
        client,
        "/staff/offerings/new",
        {
            **OFFERING_FORM,
            "status": "published",
            "first_date": "2027-03-01",
            "first_start_time": "09:00",
            "first_end_time": "08:00",
        },
    )
    assert response.status_code == 422 and "A session must end after it starts" in response.text
    assert 'id="d-first_end_time"' in response.text and await Offering.count() == 0

    offering_id = location_id(
        await post(
            client,
            "/staff/offerings/new",
            {
                **OFFERING_FORM,
                "status": "published",
                "first_date": "2027-03-01",
                "first_start_time": "09:00",
                "first_end_time": "12:00",
                "first_online_url": "https://zoom.example/j/1",
            },
        ),
        "/staff/offerings/",
    )
    row = await offering_row(offering_id)
    assert row["status"] == "published"
    public = await client.get(f"/api/v1/offerings/{offering_id}")
    assert public.json()["sessions"][0]["starts_at"].startswith("2027-03-01T17:00")


async def test_staff_list_shows_drafts_counts_fill_rate_and_filters_by_status(client):
    staff = await as_staff(client)
    draft = await new_offering(client, title="Draft workshop")
    published = await published_offering(client, title="Popular workshop", capacity="4")
    for _ in range(3):
        person = await make_user("attendee")
        assert (
            await client.post(f"/api/v1/offerings/{published}/registrations", json={}, headers=await bearer(person))
        ).status_code == 201
    await signed_in(client, staff)

    page = await client.get("/staff/offerings")
    assert page.status_code == 200
    assert "Draft workshop" in page.text and "Popular workshop" in page.text
    assert "3 / 4" in page.text and "75%" in page.text and "No sessions yet" in page.text
    assert f'href="/staff/offerings/{draft}"' in page.text and "New workshop" in page.text

    only_drafts = await client.get("/staff/offerings?status=draft")
    assert "Draft workshop" in only_drafts.text and "Popular workshop" not in only_drafts.text
    fragment = await client.get("/staff/offerings?status=published", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Popular workshop" in fragment.text and "Draft workshop" not in fragment.text
    past = await client.get("/staff/offerings?when=past")
    assert "Popular workshop" not in past.text
    nonsense = await client.get("/staff/offerings?status=bogus&when=bogus")
    assert nonsense.status_code == 200 and "Popular workshop" in nonsense.text


async def test_edit_saves_details_and_program_fields(client):
    await as_staff(client)
    offering_id = await new_offering(client)
    response = await post(
        client,
        f"/staff/offerings/{offering_id}",
        {
            **OFFERING_FORM,
            "title": "Number Talks, Part 2",
            "price": "20",
            "nonmember_price": "35.5",
            "audiences": ["administrator"],
            "subject": "Math",
            "capacity": "30",
        },
    )
    assert response.status_code == 303 and response.headers["location"].endswith("notice=offering-saved")
    row = await offering_row(offering_id)
    assert (row["title"], row["price_cents"], row["nonmember_price_cents"], row["capacity"]) == (
        "Number Talks, Part 2",
        2000,
        3550,
        30,
    )
    program = await Program.select().where(Program.id == row["program"]).first()
    assert program["audiences"] == ",administrator," and program["subject"] == "Math"

    bad = await post(
        client, f"/staff/offerings/{offering_id}", {**OFFERING_FORM, "price": "12.345", "title": "Changed"}
    )
    assert bad.status_code == 422 and "at most two decimal places" in bad.text and 'value="Changed"' in bad.text
    assert (await offering_row(offering_id))["title"] == "Number Talks, Part 2"
    cancelled_status = await post(client, f"/staff/offerings/{offering_id}", {**OFFERING_FORM, "status": "cancelled"})
    assert cancelled_status.status_code == 422 and "Cancel this workshop" in cancelled_status.text


async def test_description_preview_is_sanitised_with_and_without_htmx(client):
    await as_staff(client)
    offering_id = await new_offering(client)
    body = {
        **OFFERING_FORM,
        "title": "Kept as typed",
        "description_md": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
    }
    page = await post(client, f"/staff/offerings/{offering_id}/preview", body)
    # Without htmx: the whole page again, the form keeping what was typed, with the preview in it.
    assert page.status_code == 200 and "<html" in page.text and 'value="Kept as typed"' in page.text
    assert (
        "<strong>Bold</strong>" in page.text
        and "<script>alert" not in page.text
        and 'href="javascript' not in page.text
    )
    assert (await offering_row(offering_id))["title"] == OFFERING_FORM["title"]  # a preview saves nothing

    token = await csrf_token(client, "/account")
    fragment = await client.post(
        f"/staff/offerings/{offering_id}/preview",
        data={**body, "_csrf_token": token},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text and "<strong>Bold</strong>" in fragment.text
    assert "<script>alert" not in fragment.text
    new_page = await post(client, "/staff/offerings/new/preview", body)
    assert (
        new_page.status_code == 200
        and "<strong>Bold</strong>" in new_page.text
        and 'value="Kept as typed"' in new_page.text
    )


async def test_publish_and_unpublish(client):
    staff = await as_staff(client)
    offering_id = await new_offering(client)
    refused = await post(client, f"/staff/offerings/{offering_id}/publish", {})
    assert refused.status_code == 422 and "Add at least one session before publishing" in refused.text
    assert (await offering_row(offering_id))["status"] == "draft"
    assert (await add_session(client, offering_id, "2027-03-01")).status_code == 303
    assert (await post(client, f"/staff/offerings/{offering_id}/publish", {})).status_code == 303
    assert (await offering_row(offering_id))["status"] == "published"
    assert (await client.get(f"/api/v1/offerings/{offering_id}")).status_code == 200
    assert (await post(client, f"/staff/offerings/{offering_id}/unpublish", {})).status_code == 303
    assert (await offering_row(offering_id))["status"] == "draft"

    # Once someone registered, it cannot go back to draft.
    await post(client, f"/staff/offerings/{offering_id}/publish", {})
    person = await make_user("attendee")
    await client.post(f"/api/v1/offerings/{offering_id}/registrations", json={}, headers=await bearer(person))
    await signed_in(client, staff)
    refused = await post(client, f"/staff/offerings/{offering_id}/unpublish", {})
    assert refused.status_code == 409 and "cannot go back to draft" in refused.text
    assert (await offering_row(offering_id))["status"] == "published"


async def test_non_staff_get_403_anonymous_are_sent_to_sign_in_and_unknown_ids_404(client):
    await as_staff(client)
    offering_id = await new_offering(client)
    room_id = await make_room(client)
    venue_id = (await Room.select(Room.venue).where(Room.id == room_id).first())["venue"]
    for role in ("attendee", "coordinator", "finance"):
        await signed_in(client, await make_user(role))
        for path in (
            "/staff/offerings",
            f"/staff/offerings/{offering_id}",
            "/staff/venues",
            f"/staff/venues/{venue_id}",
        ):
            assert (await client.get(path)).status_code == 403, (role, path)
        response = await post(client, f"/staff/offerings/{offering_id}/capacity", {"capacity": "1"})
        assert response.status_code == 403
        response = await post(client, "/staff/venues", {"name": "Sneaky"})
        assert response.status_code == 403
    assert (await offering_row(offering_id))["capacity"] == 25
    assert not await Venue.exists().where(Venue.name == "Sneaky")

    client.cookies.clear()
    response = await client.get("/staff/offerings")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")

    await as_staff(client, role="admin")
    assert (await client.get("/staff/offerings")).status_code == 200
    for path in (
        "/staff/offerings/999999",
        "/staff/offerings/999999/cancel",
        f"/staff/offerings/{offering_id}/sessions/999999",
        "/staff/venues/999999",
    ):
        assert (await client.get(path)).status_code == 404, path
    for path, data in (
        ("/staff/offerings/999999", OFFERING_FORM),
        ("/staff/offerings/999999/capacity", {"capacity": "3"}),
        (
            "/staff/offerings/999999/sessions",
            {
                "date": "2027-03-01",
                "start_time": "09:00",
                "end_time": "10:00",
                "room_id": "",
                "online_url": "",
                "location_note": "",
            },
        ),
        ("/staff/offerings/999999/copy", {"first_date": "2027-04-01"}),
        ("/staff/offerings/999999/cancel", {"reason": "x"}),
        (f"/staff/venues/{venue_id}/rooms/999999", {"room_name": "A", "room_capacity": "3"}),
        ("/staff/venues/999999/rooms", {"room_name": "A", "room_capacity": "3"}),
    ):
        assert (await post(client, path, data)).status_code == 404, path


async def test_venues_and_rooms(client):
    await as_staff(client)
    page = await client.get("/staff/venues")
    assert page.status_code == 200 and "No venues yet" in page.text
    venue_id = location_id(
        await post(client, "/staff/venues", {"name": "SCOE Mather campus", "address": "10474 Mather Blvd"}),
        "/staff/venues/",
    )
    duplicate = await post(client, "/staff/venues", {"name": "SCOE Mather campus"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.text
    blank = await post(client, "/staff/venues", {"name": "  "})
    assert blank.status_code == 422 and await Venue.count() == 1

    for name, seats, message in (
        ("Room 1", "0", "Seats must be a whole number"),
        ("Room 1", "abc", "Seats must be"),
        ("Room 1", "²", "Seats must be"),
        ("", "20", "Give the room a name"),
    ):
        response = await post(client, f"/staff/venues/{venue_id}/rooms", {"room_name": name, "room_capacity": seats})
        assert response.status_code == 422 and message in response.text
    assert await Room.count() == 0
    assert (
        await post(client, f"/staff/venues/{venue_id}/rooms", {"room_name": "Room 1", "room_capacity": "24"})
    ).status_code == 303
    same = await post(client, f"/staff/venues/{venue_id}/rooms", {"room_name": "Room 1", "room_capacity": "30"})
    assert same.status_code == 422 and "room of that name already" in same.text
    room = await Room.select().first()
    assert (room["name"], room["capacity"]) == ("Room 1", 24)

    response = await post(
        client, f"/staff/venues/{venue_id}/rooms/{room['id']}", {"room_name": "Room 1A", "room_capacity": "-3"}
    )
    assert response.status_code == 422 and (await Room.select().first())["capacity"] == 24
    assert (
        await post(
            client, f"/staff/venues/{venue_id}/rooms/{room['id']}", {"room_name": "Room 1A", "room_capacity": "32"}
        )
    ).status_code == 303
    room = await Room.select().first()
    assert (room["name"], room["capacity"]) == ("Room 1A", 32)

    listing = await client.get("/staff/venues")
    assert "SCOE Mather campus" in listing.text and "Room 1A (32)" in listing.text
    # The room is offered in session forms, with its seats.
    offering_id = await new_offering(client)
    edit = await client.get(f"/staff/offerings/{offering_id}")
    assert "Room 1A (32 seats)" in edit.text

    # A venue not in use no longer offers its rooms.
    assert (
        await post(client, f"/staff/venues/{venue_id}", {"name": "SCOE Mather campus", "address": ""})
    ).status_code == 303
    edit = await client.get(f"/staff/offerings/{offering_id}")
    assert "Room 1A (32 seats)" not in edit.text
