"""A person's own profile, password and API tokens."""

from __future__ import annotations

from booking.accounts.passwords import verify_password
from booking.accounts.tables import ApiToken, School, User
from booking.notifications.tables import OutboxMessage
from tests.factories import DEFAULT_PASSWORD, make_user, post_form, signed_in


async def _district_id(code: str) -> int:
    return (await User.raw("SELECT id FROM district WHERE code = {}", code))[0]["id"]


async def test_profile_is_saved(client):
    user = await signed_in(client, await make_user("attendee", district="EGUSD"))  # the district is set by others
    egusd = await _district_id("EGUSD")
    school = School(district=egusd, name="Florin Elementary")
    await school.save()
    response = await post_form(
        client,
        "/account",
        {
            "name": "  Taylor   Teacher ",
            "email": "Taylor@EGUSD.example",
            "job_title": "5th grade teacher",
            "district": str(egusd),
            "school": str(school.id),
        },
        token_from="/account",
    )
    assert response.status_code == 303
    row = await User.select().where(User.id == user["id"]).first()
    # The new address is only asked for (a link goes there: tests/accounts/test_email_change.py); the rest is saved.
    assert "notice=email-change-sent" in response.headers["location"]
    assert (row["name"], row["email"], row["district"], row["school"]) == (
        "Taylor Teacher",
        user["email"],
        egusd,
        school.id,
    )


async def test_profile_refuses_a_school_of_another_district(client):
    user = await signed_in(client, await make_user("attendee", district="EGUSD"))
    school = School(district=await _district_id("SJUSD"), name="Arden Middle")
    await school.save()
    response = await post_form(
        client,
        "/account",
        {
            "name": "X Y",
            "email": user["email"],
            "job_title": "",
            "district": str(await _district_id("EGUSD")),
            "school": str(school.id),
        },
        token_from="/account",
    )
    assert response.status_code == 422
    assert "not in the chosen district" in response.text
    assert (await User.select(User.school).where(User.id == user["id"]).first())["school"] is None


async def test_profile_refuses_an_email_someone_else_uses(client):
    other = await make_user("attendee")
    user = await signed_in(client, await make_user("attendee"))
    response = await post_form(
        client,
        "/account",
        {"name": "X Y", "email": other["email"], "job_title": "", "district": "", "school": ""},
        token_from="/account",
    )
    assert response.status_code == 409
    assert (await User.select(User.email).where(User.id == user["id"]).first())["email"] == user["email"]


async def test_coordinator_cannot_move_their_own_district(client):
    coordinator = await signed_in(client, await make_user("coordinator", district="EGUSD"))
    response = await post_form(
        client,
        "/account",
        {
            "name": "C",
            "email": coordinator["email"],
            "job_title": "",
            "district": str(await _district_id("SJUSD")),
            "school": "",
        },
        token_from="/account",
    )
    assert response.status_code == 422
    assert (await User.select(User.district).where(User.id == coordinator["id"]).first())["district"] == coordinator[
        "district"
    ]


async def test_change_password_needs_the_current_one(client):
    user = await signed_in(client, await make_user("attendee"))
    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "nope nope nope", "new_password": "fresh password 1", "confirmation": "fresh password 1"},
        token_from="/account",
    )
    assert wrong.status_code == 422
    ok = await post_form(
        client,
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "fresh password 1", "confirmation": "fresh password 1"},
        token_from="/account",
    )
    assert ok.status_code == 303
    row = await User.select(User.password_hash).where(User.id == user["id"]).first()
    assert verify_password(row["password_hash"], "fresh password 1")
    assert await OutboxMessage.count().where(OutboxMessage.subject == "Your password was changed") == 1


async def test_api_token_is_shown_once_stored_hashed_and_revocable(client):
    user = await signed_in(client, await make_user("attendee"))
    response = await post_form(
        client, "/account/tokens", {"label": "Roster sync"}, token_from="/account", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # an htmx fragment
    token = response.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("bk_")
    stored = await ApiToken.select().where(ApiToken.user == user["id"]).first()
    assert token not in str(stored.values())  # only a hash is kept
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["email"] == user["email"]
    again = await client.get("/account")
    assert token not in again.text  # never shown again
    revoke = await post_form(client, f"/account/tokens/{stored['id']}/revoke", {}, token_from="/account")
    assert revoke.status_code == 200
    after = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401
    assert after.headers["content-type"].startswith("application/problem+json")


async def test_nobody_revokes_someone_elses_token(client):
    owner = await make_user("attendee")
    from booking.accounts.api_tokens import create_api_token

    token = await create_api_token(owner["id"], "mine")
    row = await ApiToken.select(ApiToken.id).where(ApiToken.user == owner["id"]).first()
    await signed_in(client, await make_user("attendee"))
    response = await post_form(client, f"/account/tokens/{row['id']}/revoke", {}, token_from="/account")
    assert response.status_code == 404
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


async def test_token_label_too_long_is_refused(client):
    user = await signed_in(client, await make_user("attendee"))
    response = await post_form(client, "/account/tokens", {"label": "x" * 150}, token_from="/account")
    assert response.status_code == 422
    assert await ApiToken.count().where(ApiToken.user == user["id"]) == 0


async def test_changing_the_password_ends_other_sessions_and_revokes_api_tokens(client):
    from booking.accounts.api_tokens import create_api_token
    from booking.accounts.sessions import start_session
    from booking.accounts.tables import UserSession
    from booking.web.auth import SESSION_COOKIE

    user = await signed_in(client, await make_user("attendee"))
    this_browser = client.cookies.get(SESSION_COOKIE)
    other_browser = await start_session(user["id"], "the laptop left at school")
    stranger = await make_user("attendee")
    strangers_session = await start_session(stranger["id"], "someone else")
    token = await create_api_token(user["id"], "integration")
    strangers_token = await create_api_token(stranger["id"], "theirs")
    api = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/offerings", headers=api)).status_code == 200

    form = await client.get("/account")
    assert form.status_code == 200
    assert "signs out every other browser" in form.text and "revokes your API tokens" in form.text
    response = await post_form(
        client,
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "fresh password 1", "confirmation": "fresh password 1"},
        token_from="/account",
    )
    assert response.status_code == 303
    confirmation = await client.get(response.headers["location"])
    assert confirmation.status_code == 200  # this browser stays signed in
    assert "Every other browser signed in to your account is signed out" in confirmation.text
    assert "API tokens are revoked" in confirmation.text
    assert client.cookies.get(SESSION_COOKIE) == this_browser

    client.cookies.set(SESSION_COOKIE, other_browser, domain="testserver.local")
    assert (await client.get("/account")).status_code == 303  # sent to sign in
    assert (await client.get("/api/v1/offerings", headers=api)).status_code == 401
    assert await ApiToken.count().where((ApiToken.user == user["id"]) & ApiToken.revoked_at.is_null()) == 0
    # Nobody else's sessions or tokens are touched.
    assert await UserSession.count().where(UserSession.user == stranger["id"]) == 1
    client.cookies.set(SESSION_COOKIE, strangers_session, domain="testserver.local")
    assert (await client.get("/account")).status_code == 200
    assert (
        await client.get("/api/v1/offerings", headers={"Authorization": f"Bearer {strangers_token}"})
    ).status_code == 200


async def test_a_wrong_current_password_ends_nothing(client):
    from booking.accounts.api_tokens import create_api_token
    from booking.accounts.sessions import start_session
    from booking.accounts.tables import UserSession

    user = await signed_in(client, await make_user("attendee"))
    await start_session(user["id"], "another browser")
    await create_api_token(user["id"], "integration")
    response = await post_form(
        client,
        "/account/password",
        {"current_password": "nope nope nope", "new_password": "fresh password 1", "confirmation": "fresh password 1"},
        token_from="/account",
    )
    assert response.status_code == 422
    assert await UserSession.count().where(UserSession.user == user["id"]) == 2
    assert await ApiToken.count().where((ApiToken.user == user["id"]) & ApiToken.revoked_at.is_null()) == 1
