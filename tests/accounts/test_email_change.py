"""A new email address is confirmed by a link sent to it before the account uses it; the old address is told.
Signing in by a link, resetting a password or the district's sign-in prove the address too."""

from __future__ import annotations

import datetime as dt

from booking.accounts.tables import EmailChange, User
from booking.notifications.tables import OutboxMessage
from tests.accounts.test_links_and_resets import _link_from_outbox
from tests.factories import make_user, post_form, signed_in


async def _ask_for(client, user: dict, new_email: str):
    return await post_form(
        client, "/account", {"name": user["name"], "email": new_email, "job_title": ""}, token_from="/account"
    )


async def _email(user_id: int) -> str:
    return (await User.select(User.email).where(User.id == user_id).first())["email"]


async def test_a_new_address_is_used_only_once_the_link_sent_there_is_opened(client):
    user = await signed_in(client, await make_user("attendee", email="old.address@example.org"))
    asked = await _ask_for(client, user, "New.Address@Example.org")
    assert asked.status_code == 303 and "notice=email-change-sent" in asked.headers["location"]
    assert await _email(user["id"]) == "old.address@example.org"
    account = await client.get("/account")
    assert account.status_code == 200
    assert "Waiting for confirmation:</strong> new.address@example.org" in account.text

    path = await _link_from_outbox("new.address@example.org", "/account/email/confirm/")
    landing = await client.get(path)  # a mail scanner's prefetch changes nothing
    assert landing.status_code == 200 and "Confirm my new address" in landing.text
    assert await _email(user["id"]) == "old.address@example.org"

    confirmed = await post_form(client, path, {}, token_from=path)
    assert confirmed.status_code == 303 and "notice=email-changed" in confirmed.headers["location"]
    row = await User.select(User.email, User.email_confirmed_at).where(User.id == user["id"]).first()
    assert row["email"] == "new.address@example.org" and row["email_confirmed_at"] is not None
    told = (
        await OutboxMessage.select()
        .where(
            (OutboxMessage.to_address == "old.address@example.org")
            & (OutboxMessage.subject == "Your email address was changed")
        )
        .first()
    )
    assert told is not None and "new.address@example.org" in told["body_text"]

    again = await post_form(client, path, {}, token_from=path)
    assert again.status_code == 400 and "already used" in again.text


async def test_a_link_works_without_being_signed_in_and_only_before_it_expires(client):
    user = await signed_in(client, await make_user("attendee"))
    await _ask_for(client, user, "elsewhere@example.org")
    path = await _link_from_outbox("elsewhere@example.org", "/account/email/confirm/")
    await EmailChange.update(
        {EmailChange.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}, force=True
    )
    client.cookies.clear()
    expired = await post_form(client, path, {}, token_from=path)
    assert expired.status_code == 400 and "expired" in expired.text
    assert await _email(user["id"]) == user["email"]


async def test_a_newer_request_replaces_the_older_link_and_cancelling_kills_it(client):
    user = await signed_in(client, await make_user("attendee"))
    await _ask_for(client, user, "first@example.org")
    first = await _link_from_outbox("first@example.org", "/account/email/confirm/")
    await _ask_for(client, user, "second@example.org")
    second = await _link_from_outbox("second@example.org", "/account/email/confirm/")
    assert (await post_form(client, first, {}, token_from=first)).status_code == 400
    cancelled = await post_form(client, "/account/email/cancel", {}, token_from="/account")
    assert cancelled.status_code == 303 and "notice=email-change-cancelled" in cancelled.headers["location"]
    assert (await post_form(client, second, {}, token_from=second)).status_code == 400
    assert await _email(user["id"]) == user["email"]
    assert await EmailChange.count() == 0


async def test_an_address_taken_before_the_link_is_opened_is_not_given_to_two_accounts(client):
    user = await signed_in(client, await make_user("attendee"))
    await _ask_for(client, user, "shared@example.org")
    path = await _link_from_outbox("shared@example.org", "/account/email/confirm/")
    await make_user(
        "coordinator", district="EGUSD", email="shared@example.org"
    )  # an administrator created it meanwhile
    response = await post_form(client, path, {}, token_from=path)
    assert response.status_code == 409 and "Another account now uses" in response.text
    assert await _email(user["id"]) == user["email"]
    assert await User.count().where(User.email == "shared@example.org") == 1


async def test_typing_back_the_current_address_sends_nothing(client):
    user = await signed_in(client, await make_user("attendee"))
    response = await _ask_for(client, user, user["email"].upper())
    assert response.status_code == 303 and "notice=profile-saved" in response.headers["location"]
    assert await EmailChange.count() == 0
    assert await OutboxMessage.count().where(OutboxMessage.subject == "Confirm your new email address") == 0


async def test_signing_in_by_link_and_resetting_a_password_prove_the_address(client):
    by_link = await make_user("attendee", password=None)
    await post_form(client, "/sign-in/link", {"email": by_link["email"]})
    path = await _link_from_outbox(by_link["email"], "/sign-in/link/")
    assert (await post_form(client, path, {}, token_from=path)).status_code == 303
    client.cookies.clear()
    by_reset = await make_user("attendee")
    await post_form(client, "/password/forgot", {"email": by_reset["email"]})
    reset = await _link_from_outbox(by_reset["email"], "/password/reset/")
    done = await post_form(
        client, reset, {"password": "a brand new password", "confirmation": "a brand new password"}, token_from=reset
    )
    assert done.status_code == 303
    untouched = await make_user("attendee")
    confirmed = {row["id"]: row["email_confirmed_at"] for row in await User.select(User.id, User.email_confirmed_at)}
    assert confirmed[by_link["id"]] is not None and confirmed[by_reset["id"]] is not None
    assert confirmed[untouched["id"]] is None  # created by someone else, never proven
