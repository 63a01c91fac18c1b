"""One-time sign-in links and password resets: emailed through the outbox, single use, expiring."""

from __future__ import annotations

import datetime as dt
import re

from booking.accounts.passwords import verify_password
from booking.accounts.tables import OneTimeToken, User, UserSession
from booking.notifications.tables import OutboxMessage
from booking.web.auth import SESSION_COOKIE
from tests.factories import DEFAULT_PASSWORD, make_user, post_form, signed_in


async def _link_from_outbox(to: str, path_prefix: str) -> str:
    message = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == to)
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    assert message is not None, f"no email to {to}"
    match = re.search(r"http://testserver\.local(" + re.escape(path_prefix) + r"[A-Za-z0-9_\-]+)", message["body_text"])
    assert match, message["body_text"]
    return match.group(1)


async def test_sign_in_link_is_emailed_and_works_once(client):
    user = await make_user("attendee", password=None)
    response = await post_form(client, "/sign-in/link", {"email": user["email"]})
    assert response.status_code == 303
    assert "notice=link-sent" in response.headers["location"]
    path = await _link_from_outbox(user["email"], "/sign-in/link/")
    # Opening the link (or a mail scanner prefetching it) does not use it up.
    landing = await client.get(path)
    assert landing.status_code == 200 and "Sign me in" in landing.text
    used = await post_form(client, path, {}, token_from=path)
    assert used.status_code == 303
    assert used.cookies.get(SESSION_COOKIE)
    client.cookies.clear()
    again = await post_form(client, path, {}, token_from=path)
    assert again.status_code == 400
    assert "expired or was already used" in again.text
    assert await UserSession.count() == 1


async def test_expired_sign_in_link_is_refused(client):
    user = await make_user("attendee")
    await post_form(client, "/sign-in/link", {"email": user["email"]})
    path = await _link_from_outbox(user["email"], "/sign-in/link/")
    await OneTimeToken.update(
        {OneTimeToken.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}
    ).where(OneTimeToken.user == user["id"])
    response = await post_form(client, path, {}, token_from=path)
    assert response.status_code == 400
    assert await UserSession.count() == 0


async def test_made_up_link_is_refused(client):
    response = await post_form(client, "/sign-in/link/not-a-real-token", {}, token_from="/sign-in")
    assert response.status_code == 400
    assert await UserSession.count() == 0


async def test_link_request_for_unknown_email_looks_the_same_and_sends_nothing(client):
    response = await post_form(client, "/sign-in/link", {"email": "stranger@example.org"})
    assert response.status_code == 303
    assert "notice=link-sent" in response.headers["location"]
    assert await OutboxMessage.count() == 0


async def test_link_request_with_empty_email_is_a_clear_error(client):
    response = await post_form(client, "/sign-in/link", {"email": "  "})
    assert response.status_code == 422
    assert "Enter your email address." in response.text
    assert await OutboxMessage.count() == 0


async def test_link_requests_from_one_browser_are_rate_limited(client):
    user = await make_user("attendee")
    for _ in range(3):
        assert (await post_form(client, "/sign-in/link", {"email": user["email"]})).status_code == 303
    limited = await post_form(client, "/sign-in/link", {"email": user["email"]})
    assert limited.status_code == 429
    assert await OutboxMessage.count() == 3


async def test_password_reset_changes_the_password_and_signs_out_everywhere(client):
    user = await make_user("attendee")
    await signed_in(client, user)  # a browser session that must end
    assert await UserSession.count() == 1
    client.cookies.clear()
    response = await post_form(client, "/password/forgot", {"email": user["email"]})
    assert response.status_code == 303
    path = await _link_from_outbox(user["email"], "/password/reset/")
    mismatch = await post_form(
        client, path, {"password": "a brand new secret", "confirmation": "something else"}, token_from=path
    )
    assert mismatch.status_code == 422
    assert "not the same" in mismatch.text
    short = await post_form(client, path, {"password": "short", "confirmation": "short"}, token_from=path)
    assert short.status_code == 422
    row = await User.select(User.password_hash).where(User.id == user["id"]).first()
    assert verify_password(row["password_hash"], DEFAULT_PASSWORD)  # bad input changed nothing
    done = await post_form(
        client, path, {"password": "a brand new secret", "confirmation": "a brand new secret"}, token_from=path
    )
    assert done.status_code == 303
    row = await User.select(User.password_hash).where(User.id == user["id"]).first()
    assert verify_password(row["password_hash"], "a brand new secret")
    assert await UserSession.count() == 0
    reused = await post_form(
        client, path, {"password": "yet another secret", "confirmation": "yet another secret"}, token_from=path
    )
    assert reused.status_code == 400
    notices = await OutboxMessage.select(OutboxMessage.subject).where(OutboxMessage.to_address == user["email"])
    assert [n["subject"] for n in notices] == ["Choose a new password", "Your password was changed"]


async def test_a_sign_in_link_cannot_reset_a_password(client):
    user = await make_user("attendee")
    await post_form(client, "/sign-in/link", {"email": user["email"]})
    path = await _link_from_outbox(user["email"], "/sign-in/link/")
    token = path.rsplit("/", 1)[1]
    response = await post_form(
        client, f"/password/reset/{token}", {"password": "a brand new secret", "confirmation": "a brand new secret"}
    )
    assert response.status_code == 400
    row = await User.select(User.password_hash).where(User.id == user["id"]).first()
    assert verify_password(row["password_hash"], DEFAULT_PASSWORD)


async def test_a_password_reset_also_revokes_api_tokens(client):
    from booking.accounts.api_tokens import create_api_token

    user = await make_user("attendee")
    token = await create_api_token(user["id"], "integration")
    assert (await client.get("/api/v1/offerings", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    assert (await post_form(client, "/password/forgot", {"email": user["email"]})).status_code == 303
    path = await _link_from_outbox(user["email"], "/password/reset/")
    done = await post_form(
        client, path, {"password": "a brand new secret", "confirmation": "a brand new secret"}, token_from=path
    )
    assert done.status_code == 303
    assert (await client.get("/api/v1/offerings", headers={"Authorization": f"Bearer {token}"})).status_code == 401
