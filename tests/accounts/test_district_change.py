"""A person's district changes only by an admin, by a coordinator of the district the person joins, or from
the district's sign-in; the change never moves existing charges, and both districts' coordinators are told
(issue 13). On both engines, through the pages and the use cases."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.district_change import join_district_from_sign_in
from booking.accounts.tables import DistrictChange, User
from booking.accounts.user_admin import admin_update_user
from booking.notifications.tables import OutboxMessage
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.tables import ChargeLine
from booking.scheduling.registration import RegistrationRequest, register
from tests.factories import make_user, post_form, signed_in
from tests.payments.test_money_invariants import district_id_of
from tests.workshop_factory import make_workshop


async def district_of(user_id: int) -> int | None:
    return (await User.select(User.district).where(User.id == user_id).first())["district"]


async def mail_to(address: str) -> list[dict]:
    return await OutboxMessage.select().where(OutboxMessage.to_address == address)


async def test_an_attendee_cannot_move_themself_to_another_district(client):
    teacher = await signed_in(client, await make_user("attendee", district="EGUSD"))
    sjusd = await district_id_of("SJUSD")
    response = await post_form(
        client,
        "/account",
        {"name": teacher["name"], "email": teacher["email"], "job_title": "", "district": str(sjusd), "school": ""},
        token_from="/account",
    )
    assert response.status_code == 422
    assert "A coordinator of the district you are joining" in response.text
    assert await district_of(teacher["id"]) == await district_id_of("EGUSD")
    assert await DistrictChange.count() == 0
    # The page shows the district read-only, with how to change it, and no district to choose.
    account = await client.get("/account")
    assert account.status_code == 200
    assert "Elk Grove Unified" in account.text and "A coordinator of the district you are joining" in account.text
    assert 'name="district"' not in account.text


async def test_a_coordinator_brings_a_teacher_into_their_district_and_both_districts_are_told(client):
    teacher = await make_user("attendee", district="SJUSD", name="Tam Teacher")
    egusd_coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))
    sjusd_coordinator = await make_user("coordinator", district="SJUSD")
    third_district = await make_user("coordinator", district="TRUSD")
    page = await client.get("/district/people")
    assert page.status_code == 200 and "Add someone to Elk Grove Unified" in page.text

    response = await post_form(
        client, "/district/people/add", {"email": teacher["email"].upper()}, token_from="/district/people"
    )
    assert response.status_code == 303, response.text
    assert await district_of(teacher["id"]) == await district_id_of("EGUSD")
    [change] = await DistrictChange.select()
    assert (change["from_district"], change["to_district"], change["via"], change["changed_by"]) == (
        await district_id_of("SJUSD"),
        await district_id_of("EGUSD"),
        "coordinator",
        egusd_coordinator["id"],
    )
    [joined] = await mail_to(egusd_coordinator["email"])
    [left] = await mail_to(sjusd_coordinator["email"])
    assert joined["subject"] == "Tam Teacher joined Elk Grove Unified"
    assert left["subject"] == "Tam Teacher left San Juan Unified"
    assert "stay with San Juan Unified" in left["body_text"]
    assert await mail_to(third_district["email"]) == []
    assert "Tam Teacher" in (await client.get("/district/people")).text


async def test_a_coordinator_cannot_take_a_coordinator_or_staff_and_bad_input_changes_nothing(client):
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    other_coordinator = await make_user("coordinator", district="SJUSD")
    staff = await make_user("staff")
    for email, status, words in (
        (other_coordinator["email"], 409, "Only teachers"),
        (staff["email"], 409, "Only teachers"),
        ("nobody@example.org", 422, "Nobody has an account"),
        ("not an email", 422, "email"),
        ("", 422, "email"),
    ):
        response = await post_form(client, "/district/people/add", {"email": email}, token_from="/district/people")
        assert response.status_code == status, (email, response.text[:300])
        assert words in response.text
    assert await DistrictChange.count() == 0 and await OutboxMessage.count() == 0
    assert await district_of(other_coordinator["id"]) == await district_id_of("SJUSD")
    # An attendee has no such page.
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    refused = await post_form(client, "/district/people/add", {"email": staff["email"]}, token_from="/account")
    assert refused.status_code in (403, 404)


async def test_a_move_never_carries_earlier_seats_to_the_new_district(db):
    teacher = await make_user("attendee", district="SJUSD")
    sjusd, egusd = await district_id_of("SJUSD"), await district_id_of("EGUSD")
    first = await make_workshop("Before the move: invoiced", price_cents=7_500)
    second = await make_workshop("Before the move: not yet gathered", price_cents=7_500)
    later = await make_workshop("After the move", price_cents=7_500)
    me = Actor.from_row(teacher)
    await register(me, first, RegistrationRequest(payer="district"))
    await gather_charge_lines()
    await register(me, second, RegistrationRequest(payer="district"))  # confirmed, no charge line yet

    admin = Actor.from_row(await make_user("admin"))
    await admin_update_user(admin, teacher["id"], role="attendee", district_id=egusd, school_id=None, is_active=True)
    await register(
        Actor.from_row(await User.select().where(User.id == teacher["id"]).first()),
        later,
        RegistrationRequest(payer="district"),
    )
    await gather_charge_lines()

    lines = {row["description"]: row["district"] for row in await ChargeLine.select()}
    assert lines == {
        "Before the move: invoiced": sjusd,
        "Before the move: not yet gathered": sjusd,
        "After the move": egusd,
    }
    [change] = await DistrictChange.select()
    assert (change["via"], change["changed_by"]) == ("admin", admin.id)


async def test_an_admin_move_and_the_sign_in_hook_tell_both_districts(db):
    teacher = await make_user("attendee", district="EGUSD", name="Ari Attendee")
    egusd_coordinator = await make_user("coordinator", district="EGUSD")
    sjusd_coordinator = await make_user("coordinator", district="SJUSD")
    admin = Actor.from_row(await make_user("admin"))
    await admin_update_user(
        admin, teacher["id"], role="attendee", district_id=await district_id_of("SJUSD"), school_id=None, is_active=True
    )
    assert len(await mail_to(egusd_coordinator["email"])) == 1 and len(await mail_to(sjusd_coordinator["email"])) == 1
    # Saving the same district again is no change: nobody is told twice.
    await admin_update_user(
        admin, teacher["id"], role="attendee", district_id=await district_id_of("SJUSD"), school_id=None, is_active=True
    )
    assert await DistrictChange.count() == 1

    # The district's own sign-in (when built) vouches for the person: it calls this hook.
    assert await join_district_from_sign_in(teacher["id"], await district_id_of("EGUSD")) is True
    assert await district_of(teacher["id"]) == await district_id_of("EGUSD")
    assert len(await mail_to(egusd_coordinator["email"])) == 2 and len(await mail_to(sjusd_coordinator["email"])) == 2
    assert [row["via"] for row in await DistrictChange.select().order_by(DistrictChange.id)] == [
        "admin",
        "district_sign_in",
    ]
    assert await join_district_from_sign_in(teacher["id"], await district_id_of("EGUSD")) is False
