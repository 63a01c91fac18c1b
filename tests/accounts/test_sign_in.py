"""Signing in and out: passwords, sessions, fixation, CSRF, rate limits."""

from __future__ import annotations

from booking.accounts.tables import UserSession
from booking.web.auth import SESSION_COOKIE
from tests.factories import DEFAULT_PASSWORD, csrf_token, make_user, post_form


async def test_password_sign_in_starts_a_server_side_session(client):
    user = await make_user("attendee")
    response = await post_form(
        client, "/sign-in", {"email": user["email"].upper(), "password": DEFAULT_PASSWORD, "next": "/account"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account?notice=signed-in"
    cookie = response.cookies.get(SESSION_COOKIE)
    assert cookie
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert await UserSession.count().where(UserSession.user == user["id"]) == 1
    page = await client.get("/account")
    assert page.status_code == 200
    assert user["email"] in page.text


async def test_wrong_password_is_refused_and_creates_no_session(client):
    user = await make_user("attendee")
    response = await post_form(client, "/sign-in", {"email": user["email"], "password": "not the password"})
    assert response.status_code == 400
    assert "do not match" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert await UserSession.count() == 0


async def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = await post_form(client, "/sign-in", {"email": "nobody@example.org", "password": "whatever-it-is"})
    assert response.status_code == 400
    assert "do not match" in response.text


async def test_empty_fields_are_named(client):
    response = await post_form(client, "/sign-in", {"email": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your email address." in response.text
    assert "Enter your password." in response.text


async def test_deactivated_person_cannot_sign_in(client):
    from booking.accounts.tables import User

    user = await make_user("attendee")
    await User.update({User.is_active: False}).where(User.id == user["id"])
    response = await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert await UserSession.count() == 0


async def test_sign_in_issues_a_new_session_id_not_the_one_the_browser_sent(client):
    """Session fixation: an attacker-planted id must not become the victim's session."""
    user = await make_user("attendee")
    client.cookies.set(SESSION_COOKIE, "planted-by-attacker", domain="testserver.local")
    response = await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})
    issued = response.cookies.get(SESSION_COOKIE)
    assert issued and issued != "planted-by-attacker"


async def test_signing_in_again_replaces_the_previous_session(client):
    user = await make_user("attendee")
    first = (await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})).cookies[
        SESSION_COOKIE
    ]
    client.cookies.set(SESSION_COOKIE, first, domain="testserver.local")
    second = (await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})).cookies[
        SESSION_COOKIE
    ]
    assert first != second
    assert await UserSession.count().where(UserSession.user == user["id"]) == 1


async def test_sign_out_invalidates_the_session_on_the_server(client):
    user = await make_user("attendee")
    token = (await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})).cookies[
        SESSION_COOKIE
    ]
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    assert (await client.get("/account")).status_code == 200
    response = await post_form(client, "/sign-out", {}, token_from="/account")
    assert response.status_code == 303
    assert await UserSession.count() == 0
    # Replaying the old cookie (e.g. copied before sign-out) gets nowhere.
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    replay = await client.get("/account")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/sign-in")


async def test_forms_without_csrf_token_are_refused_and_change_nothing(client):
    user = await make_user("attendee")
    await csrf_token(client)  # the browser has the cookie, but the form lacks the token
    response = await client.post("/sign-in", data={"email": user["email"], "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert await UserSession.count() == 0


async def test_forged_csrf_token_is_refused(client):
    user = await make_user("attendee")
    await csrf_token(client)
    response = await client.post(
        "/sign-in", data={"email": user["email"], "password": DEFAULT_PASSWORD, "_csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert await UserSession.count() == 0


async def test_next_parameter_cannot_redirect_off_site(client):
    user = await make_user("attendee")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await post_form(
            client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD, "next": evil}
        )
        assert response.headers["location"] == "/?notice=signed-in"


async def test_sign_in_page_escapes_a_hostile_next_value(client):
    response = await client.get('/sign-in?next=/"><script>alert(1)</script>')
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


async def test_a_csrf_pair_minted_anonymously_is_refused_in_a_signed_in_browser(client):
    from booking.accounts.tables import User
    from tests.factories import signed_in, token_from_page

    anonymous_token = await csrf_token(client)  # the pair an attacker could fetch and plant
    user = await signed_in(client, await make_user("attendee", name="Original Name"))
    refused = await client.post(
        "/account",
        data={"_csrf_token": anonymous_token, "name": "Changed By Attacker", "email": user["email"], "job_title": ""},
    )
    assert refused.status_code == 403
    assert "Reload the page" in refused.text
    assert (await User.select(User.name).where(User.id == user["id"]).first())["name"] == "Original Name"
    # The page of this session carries a token of its own, which works.
    fresh = token_from_page(await client.get("/account"))
    assert fresh != anonymous_token
    saved = await client.post(
        "/account", data={"_csrf_token": fresh, "name": "New Name", "email": user["email"], "job_title": ""}
    )
    assert saved.status_code == 303
    assert (await User.select(User.name).where(User.id == user["id"]).first())["name"] == "New Name"


async def test_a_csrf_pair_of_another_session_is_refused(client):
    from booking.accounts.sessions import start_session
    from tests.factories import signed_in, token_from_page

    user = await signed_in(client, await make_user("attendee"))
    first_token = token_from_page(await client.get("/account"))
    client.cookies.set(SESSION_COOKIE, await start_session(user["id"], "another"), domain="testserver.local")
    refused = await client.post("/sign-out", data={"_csrf_token": first_token})
    assert refused.status_code == 403
    assert await UserSession.count().where(UserSession.user == user["id"]) == 2
