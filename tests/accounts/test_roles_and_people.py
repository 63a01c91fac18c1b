"""Roles gate pages; district data is scoped in the query; admins manage people."""

from __future__ import annotations

import pytest

from booking.accounts.tables import User, UserSession
from tests.factories import make_user, post_form, signed_in

NAV_PEOPLE = '<a href="/admin/users"'
NAV_DISTRICT = '<a href="/district/people"'


@pytest.mark.parametrize(
    "role, sees_people, sees_district",
    [
        ("attendee", False, False),
        ("coordinator", False, True),
        ("staff", False, False),
        ("finance", False, False),
        ("admin", True, False),
    ],
)
async def test_navigation_depends_on_the_role(client, role, sees_people, sees_district):
    await signed_in(client, await make_user(role))
    home = (await client.get("/")).text
    assert (NAV_PEOPLE in home) is sees_people
    assert (NAV_DISTRICT in home) is sees_district
    assert '<a href="/account"' in home


async def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    response = await client.get("/admin/users")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/admin/users"


@pytest.mark.parametrize("role", ["attendee", "coordinator", "staff", "finance"])
async def test_people_admin_is_for_admins_only(client, role):
    await signed_in(client, await make_user(role))
    response = await client.get("/admin/users")
    assert response.status_code == 403
    assert "does not give access" in response.text


async def test_coordinator_sees_only_their_districts_people(client):
    coordinator = await make_user("coordinator", district="EGUSD")
    colleague = await make_user("attendee", district="EGUSD", name="Elk Grove Teacher")
    outsider = await make_user("attendee", district="SJUSD", name="San Juan Teacher")
    await signed_in(client, coordinator)
    listing = (await client.get("/district/people")).text
    assert "Elk Grove Teacher" in listing and "San Juan Teacher" not in listing
    assert (await client.get(f"/district/people/{colleague['id']}")).status_code == 200
    assert (await client.get(f"/district/people/{outsider['id']}")).status_code == 404


async def test_coordinator_gets_404_for_every_id_outside_the_district(client):
    coordinator = await make_user("coordinator", district="EGUSD")
    await make_user("attendee", district="EGUSD")
    others = [await make_user("attendee", district="SJUSD") for _ in range(3)]
    staff = await make_user("staff")
    await signed_in(client, coordinator)
    mine = {row["id"] for row in await User.select(User.id).where(User.district == coordinator["district"])}
    top = max(row["id"] for row in await User.select(User.id)) + 5
    for user_id in range(1, top):
        page = await client.get(f"/district/people/{user_id}")
        assert page.status_code == (200 if user_id in mine else 404), user_id
    assert {o["id"] for o in others}.isdisjoint(mine) and staff["id"] not in mine


async def test_the_add_a_person_page_renders_with_every_field_empty(client):
    await signed_in(client, await make_user("admin"))
    page = await client.get("/admin/users/new")
    assert page.status_code == 200, page.text[:300]
    for name in ("name", "email", "job_title", "role", "district", "school"):
        assert f'name="{name}"' in page.text
    assert 'name="name" type="text" value=""' in page.text


async def test_admin_creates_a_person_with_a_role(client):
    await signed_in(client, await make_user("admin"))
    response = await post_form(
        client,
        "/admin/users/new",
        {
            "name": "New Coordinator",
            "email": "new.coord@example.org",
            "role": "coordinator",
            "district": "",
            "school": "",
            "job_title": "",
        },
        token_from="/admin/users/new",
    )
    assert response.status_code == 422
    assert "needs a district" in response.text
    assert not await User.exists().where(User.email == "new.coord@example.org")
    district_id = (await User.raw("SELECT id FROM district WHERE code = 'EGUSD'"))[0]["id"]
    response = await post_form(
        client,
        "/admin/users/new",
        {
            "name": "New Coordinator",
            "email": "New.Coord@Example.org",
            "role": "coordinator",
            "district": str(district_id),
            "school": "",
            "job_title": "PD lead",
        },
        token_from="/admin/users/new",
    )
    assert response.status_code == 303
    row = await User.select().where(User.email == "new.coord@example.org").first()
    assert row["role"] == "coordinator" and row["district"] == district_id and row["password_hash"] is None


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"role": "superuser"}, "Choose one of"),
        ({"email": "not-an-email"}, "Enter an email address like"),
        ({"name": "   "}, "Enter a name."),
        ({"district": "999999"}, "Choose a district from the list."),
        ({"district": "abc"}, "Choose an option from the list."),
    ],
)
async def test_admin_create_rejects_bad_input_and_changes_nothing(client, bad, message):
    await signed_in(client, await make_user("admin"))
    before = await User.count()
    data = {
        "name": "Someone",
        "email": "someone@example.org",
        "role": "attendee",
        "district": "",
        "school": "",
        "job_title": "",
    }
    response = await post_form(client, "/admin/users/new", {**data, **bad}, token_from="/admin/users/new")
    assert response.status_code == 422
    assert message in response.text
    assert await User.count() == before


async def test_admin_search_filters_by_text_and_role_and_serves_a_fragment_to_htmx(client):
    await signed_in(client, await make_user("admin", name="Ada Admin"))
    await make_user("finance", name="Frank Ledger")
    await make_user("attendee", name="Frances Teacher")
    page = await client.get("/admin/users?q=fran")
    assert "Frank Ledger" in page.text and "Frances Teacher" in page.text and "<html" in page.text
    fragment = await client.get("/admin/users?q=fran&role=finance", headers={"HX-Request": "true"})
    assert "Frank Ledger" in fragment.text and "Frances Teacher" not in fragment.text
    assert "<html" not in fragment.text
    assert fragment.headers["vary"] == "HX-Request"
    boosted = await client.get("/admin/users?q=fran", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


async def test_admin_changes_a_role_and_deactivation_signs_the_person_out(client):
    admin = await make_user("admin")
    teacher = await make_user("attendee")
    await signed_in(client, teacher)
    await signed_in(client, admin)
    response = await post_form(
        client,
        f"/admin/users/{teacher['id']}",
        {"role": "staff", "district": "", "school": "", "is_active": "on"},
        token_from=f"/admin/users/{teacher['id']}",
    )
    assert response.status_code == 303
    assert (await User.select(User.role).where(User.id == teacher["id"]).first())["role"] == "staff"
    assert await UserSession.count().where(UserSession.user == teacher["id"]) == 1
    await post_form(
        client,
        f"/admin/users/{teacher['id']}",
        {"role": "staff", "district": "", "school": ""},
        token_from=f"/admin/users/{teacher['id']}",
    )
    assert (await User.select(User.is_active).where(User.id == teacher["id"]).first())["is_active"] is False
    assert await UserSession.count().where(UserSession.user == teacher["id"]) == 0


async def test_an_admin_cannot_demote_or_deactivate_themself(client):
    admin = await signed_in(client, await make_user("admin"))
    own = await post_form(
        client, f"/admin/users/{admin['id']}", {"role": "staff", "is_active": "on"}, token_from="/admin/users"
    )
    assert own.status_code == 422 and "your own administrator role" in own.text
    off = await post_form(client, f"/admin/users/{admin['id']}", {"role": "admin"}, token_from="/admin/users")
    assert off.status_code == 422
    row = await User.select(User.role, User.is_active).where(User.id == admin["id"]).first()
    assert row == {"role": "admin", "is_active": True}


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(db):
    """The last-admin rule holds under concurrency: both demotions check the count under one lock."""
    import asyncio

    from booking.accounts.actor import Actor
    from booking.accounts.user_admin import admin_update_user
    from booking.errors import InvalidInput

    first, second = await make_user("admin"), await make_user("admin")
    actors = [Actor.from_row(first), Actor.from_row(second)]

    async def demote(actor, target):
        try:
            await admin_update_user(actor, target["id"], role="staff", district_id=None, school_id=None, is_active=True)
            return "done"
        except InvalidInput:
            return "refused"

    outcomes = await asyncio.gather(demote(actors[0], second), demote(actors[1], first))
    assert sorted(outcomes) == ["done", "refused"]
    assert await User.count().where(User.role == "admin") == 1


async def test_admin_edit_of_unknown_person_is_404(client):
    await signed_in(client, await make_user("admin"))
    assert (await client.get("/admin/users/987654")).status_code == 404
