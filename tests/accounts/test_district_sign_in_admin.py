"""The admin side of district sign-in (issue 17): the page that connects districts to their provider, password
sign-in turned off per district, and the provider's sign-out offered after ours. Against the real OpenID Connect
provider on loopback (tests/oidc_provider.py), on both engines."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booking.accounts.districts import find_district
from booking.accounts.sign_in_providers import set_provider
from booking.accounts.sign_in_secrets import decrypt_client_secret
from booking.accounts.tables import AttemptThrottle, DistrictSignInDomain, DistrictSignInProvider, UserSession
from booking.audit.tables import AuditEntry
from booking.notifications.tables import OutboxMessage
from booking.web.auth import SESSION_COOKIE
from tests.accounts.test_district_sign_in import sign_in_at_district
from tests.conftest import TEST_SECRET, free_port
from tests.factories import DEFAULT_PASSWORD, make_user, post_form, signed_in

SECRET = "egusd-client-secret-7731"
PAGE = "/admin/sign-in"


@pytest.fixture
async def admin(client) -> dict:
    return await signed_in(client, await make_user("admin"))


async def connect(client, **fields):
    data = {
        "district": "EGUSD",
        "issuer": "",
        "client_id": "client-egusd",
        "client_secret": SECRET,
        "domains": "egusd.net, staff.egusd.net",
        **fields,
    }
    return await post_form(client, f"{PAGE}/connect", data, token_from=f"{PAGE}/connect")


async def providers() -> list[dict]:
    return await DistrictSignInProvider.select(
        DistrictSignInProvider.all_columns(), DistrictSignInProvider.district.code.as_alias("code")
    )


async def audit(kind: str) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.kind == kind).order_by(AuditEntry.id)


async def test_only_admins_see_the_page_and_it_is_in_their_menu(client, admin, oidc_provider):
    await set_provider("EGUSD", oidc_provider.issuer, "client-egusd", SECRET, "egusd.net")
    home = await client.get("/")
    assert f'href="{PAGE}"' in home.text
    listed = await client.get(PAGE)
    assert listed.status_code == 200
    for shown in (
        "EGUSD",
        oidc_provider.issuer,
        "egusd.net",
        "client-egusd",
        "Password sign-in",
        "http://testserver.local/sign-in/sso/callback",
        "Administrators are exempt",
    ):
        assert shown in listed.text, shown
    assert SECRET not in listed.text
    for role in ("staff", "coordinator", "finance", "attendee"):
        await signed_in(client, await make_user(role))
        assert (await client.get(PAGE)).status_code == 403
        assert f'href="{PAGE}"' not in (await client.get("/")).text
        refused = await post_form(client, f"{PAGE}/EGUSD/remove", {}, token_from="/account")
        assert refused.status_code == 403
    assert len(await providers()) == 1


async def test_an_admin_connects_a_district_and_the_secret_is_stored_encrypted_and_never_shown(
    client, admin, oidc_provider
):
    response = await connect(client, issuer=oidc_provider.issuer + "/")
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == f"{PAGE}?notice=district-sign-in-connected"
    [row] = await providers()
    assert row["code"] == "EGUSD" and row["issuer"] == oidc_provider.issuer and row["password_sign_in"] is True
    assert decrypt_client_secret(row["client_secret_encrypted"], TEST_SECRET) == SECRET
    assert sorted(d["domain"] for d in await DistrictSignInDomain.select()) == ["egusd.net", "staff.egusd.net"]
    form = await client.get(f"{PAGE}/connect?district=EGUSD")
    assert "Leave empty to keep the current secret" in form.text and SECRET not in form.text
    assert 'value="client-egusd"' in form.text and "egusd.net, staff.egusd.net" in form.text
    [entry] = await audit("district_sign_in.connected")
    assert entry["actor_id"] == admin["id"] and entry["district_id"] == (await find_district("EGUSD"))["id"]
    assert json.loads(entry["detail"])["client_secret"] == "set"
    assert SECRET not in json.dumps(entry, default=str) and row["client_secret_encrypted"] not in json.dumps(
        entry, default=str
    )


async def test_replacing_with_the_secret_left_empty_keeps_it_and_keeps_password_sign_in_off(
    client, admin, oidc_provider
):
    assert (await connect(client, issuer=oidc_provider.issuer)).status_code == 303
    assert (
        await post_form(client, f"{PAGE}/EGUSD/password-sign-in", {"password_sign_in": "off"}, token_from=PAGE)
    ).status_code == 303
    replaced = await connect(
        client, issuer=oidc_provider.issuer, client_id="client-2", client_secret="", domains="egusd.org"
    )
    assert replaced.status_code == 303, replaced.text[:800]
    [row] = await providers()
    assert row["client_id"] == "client-2" and row["password_sign_in"] is False
    assert decrypt_client_secret(row["client_secret_encrypted"], TEST_SECRET) == SECRET
    assert [d["domain"] for d in await DistrictSignInDomain.select()] == ["egusd.org"]
    detail = json.loads((await audit("district_sign_in.connected"))[-1]["detail"])
    assert detail["client_secret"] == "kept" and detail["before"]["domains"] == ["egusd.net", "staff.egusd.net"]

    # Turning it off again changes nothing; on, then: each change recorded once.
    assert "Turn password sign-in on" in (await client.get(PAGE)).text
    for choice in ("off", "on"):
        assert (
            await post_form(client, f"{PAGE}/EGUSD/password-sign-in", {"password_sign_in": choice}, token_from=PAGE)
        ).status_code == 303
    assert [json.loads(e["detail"]) for e in await audit("district_sign_in.password_sign_in")] == [
        {"password_sign_in": "off"},
        {"password_sign_in": "on"},
    ]
    bad = await post_form(client, f"{PAGE}/EGUSD/password-sign-in", {"password_sign_in": "maybe"}, token_from=PAGE)
    assert bad.status_code == 422
    missing = await post_form(client, f"{PAGE}/FCUSD/password-sign-in", {"password_sign_in": "off"}, token_from=PAGE)
    assert missing.status_code == 404


async def test_form_errors_are_clear_and_change_nothing(client, admin, oidc_provider):
    await set_provider("FCUSD", oidc_provider.issuer, "client-fcusd", SECRET, "fcusd.org")
    cases = [
        ({"issuer": f"http://127.0.0.1:{free_port()}"}, "issuer", "did not answer"),
        ({"issuer": oidc_provider.issuer, "domains": "egusd.net, FCUSD.org"}, "domains", "fcusd.org (FCUSD)"),
        ({"issuer": oidc_provider.issuer, "client_secret": ""}, "client_secret", "client secret"),
        ({"issuer": "not a url"}, "issuer", "issuer URL"),
        ({"issuer": oidc_provider.issuer, "district": "NOPE"}, "district", "Choose a district"),
        ({"issuer": oidc_provider.issuer, "district": ""}, "district", "Choose the district"),
        ({"issuer": oidc_provider.issuer, "domains": "egusd"}, "domains", "Not an email domain"),
        ({"issuer": oidc_provider.issuer, "client_id": "x" * 301}, "client_id", "characters"),
    ]
    for fields, field, words in cases:
        response = await connect(client, **fields)
        assert response.status_code == 422, (fields, response.status_code, response.text[:500])
        assert f'id="f-{field}-error"' in response.text, (fields, response.text[:2000])
        assert words.lower() in response.text.lower(), (fields, words)
        assert SECRET not in response.text
    assert [row["code"] for row in await providers()] == ["FCUSD"]
    assert [d["domain"] for d in await DistrictSignInDomain.select()] == ["fcusd.org"]
    assert [e["subject"] for e in await audit("district_sign_in.connected")] == ["district FCUSD"]  # the setup's only


async def test_removing_asks_first_then_disconnects_and_is_recorded(client, admin, oidc_provider):
    await set_provider("EGUSD", oidc_provider.issuer, "client-egusd", SECRET, "egusd.net")
    confirm = await client.get(f"{PAGE}/EGUSD/remove")
    assert confirm.status_code == 200 and "Disconnect" in confirm.text and "egusd.net" in confirm.text
    assert len(await providers()) == 1  # asking changes nothing
    assert (await client.get(f"{PAGE}/FCUSD/remove")).status_code == 404
    removed = await post_form(client, f"{PAGE}/EGUSD/remove", {}, token_from=PAGE)
    assert removed.status_code == 303 and removed.headers["location"] == f"{PAGE}?notice=district-sign-in-removed"
    assert await providers() == [] and await DistrictSignInDomain.count() == 0
    [entry] = await audit("district_sign_in.removed")
    assert entry["actor_id"] == admin["id"] and json.loads(entry["detail"]) == {"issuer": oidc_provider.issuer}
    assert (await post_form(client, f"{PAGE}/EGUSD/remove", {}, token_from=PAGE)).status_code == 404


# --- Password sign-in off: what people see ---------------------------------------------------------------------


@pytest.fixture
async def passwords_off(db, oidc_provider):
    await set_provider("EGUSD", oidc_provider.issuer, "client-egusd", SECRET, "egusd.net")
    await DistrictSignInProvider.update({DistrictSignInProvider.password_sign_in: False}).where(
        DistrictSignInProvider.issuer == oidc_provider.issuer
    )


async def sign_in_with_password(client, email: str, password: str = DEFAULT_PASSWORD):
    return await post_form(client, "/sign-in", {"email": email, "password": password})


async def test_a_password_sign_in_for_the_districts_addresses_is_refused_except_for_admins(client, passwords_off):
    teacher = await make_user("attendee", district="EGUSD", email="teacher@egusd.net")
    for email, password in [
        (teacher["email"], DEFAULT_PASSWORD),
        (teacher["email"], "wrong password here"),
        ("nobody-here@EGUSD.net", "any password at all"),
    ] * 4:
        refused = await sign_in_with_password(client, email, password)
        assert refused.status_code == 403, refused.text[:500]
        assert "Sign in with your district account" in refused.text
        assert SESSION_COOKIE not in refused.cookies
    # The same words whether or not the account exists, and none of it counted as a guess.
    assert await AttemptThrottle.count() == 0 and await UserSession.count() == 0
    elsewhere = await make_user("attendee", email="teacher@other.org")
    assert (await sign_in_with_password(client, elsewhere["email"])).status_code == 303

    # Administrators keep their password; a wrong one gets the same refusal as everyone, and counts as a guess.
    admin = await make_user("admin", email="it.admin@egusd.net")
    wrong = await sign_in_with_password(client, admin["email"], "not the admin password")
    assert wrong.status_code == 403 and "Sign in with your district account" in wrong.text
    assert await AttemptThrottle.count() > 0
    right = await sign_in_with_password(client, admin["email"])
    assert right.status_code == 303 and right.cookies.get(SESSION_COOKIE)


async def test_a_forgotten_password_is_refused_but_a_sign_in_link_still_works(client, passwords_off):
    teacher = await make_user("attendee", district="EGUSD", email="teacher@egusd.net")
    admin = await make_user("admin", email="it.admin@egusd.net")
    for email in (teacher["email"], admin["email"], "nobody@egusd.net"):
        refused = await post_form(client, "/password/forgot", {"email": email})
        assert refused.status_code == 403 and "Sign in with your district account" in refused.text
    assert await OutboxMessage.count() == 0
    link = await post_form(client, "/sign-in/link", {"email": teacher["email"]})
    assert link.status_code == 303
    [mail] = await OutboxMessage.select()
    assert mail["to_address"] == teacher["email"]


# --- Signing out offers the provider's sign-out -----------------------------------------------------------------


async def test_signing_out_offers_the_providers_sign_out_only_after_a_district_sign_in_it_answers_for(
    client, db, oidc_provider
):
    await set_provider("EGUSD", oidc_provider.issuer, "client-egusd", SECRET, "egusd.net")
    assert (await sign_in_at_district(client, oidc_provider)).status_code == 303
    signed_out = await post_form(client, "/sign-out", {}, token_from="/account")
    assert signed_out.status_code == 200, signed_out.text[:500]
    assert await UserSession.count() == 0  # our session ended first
    assert "Also sign out of your district account" in signed_out.text and "Signed in as" not in signed_out.text
    href = signed_out.text.split('href="')[1:]
    offer = next(h.split('"')[0].replace("&amp;", "&") for h in href if h.startswith(oidc_provider.issuer))
    assert urlsplit(offer).path == "/oauth2/end_session"
    query = {key: values[0] for key, values in parse_qs(urlsplit(offer).query).items()}
    assert query == {"client_id": "client-egusd", "post_logout_redirect_uri": "http://testserver.local/sign-in"}
    # At the provider: its sign-out page, and back to our sign-in page.
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        assert (await http.get(offer)).status_code == 200
        back = await http.post(
            f"{oidc_provider.issuer}/oauth2/end_session/confirm",
            data={"redirect_uri": query["post_logout_redirect_uri"]},
        )
    assert back.status_code == 302 and back.headers["location"] == "http://testserver.local/sign-in"

    # No offer for an account without a district identity, nor when the provider does not answer.
    await signed_in(client, await make_user("attendee"))
    plain = await post_form(client, "/sign-out", {}, token_from="/account")
    assert plain.status_code == 303 and plain.headers["location"] == "/?notice=signed-out"
    assert (await sign_in_at_district(client, oidc_provider)).status_code == 303
    await DistrictSignInProvider.update({DistrictSignInProvider.issuer: f"http://127.0.0.1:{free_port()}"}, force=True)
    down = await post_form(client, "/sign-out", {}, token_from="/account")
    assert down.status_code == 303 and down.headers["location"] == "/?notice=signed-out"
    assert await UserSession.count() == 0


# --- Two districts claiming one domain at once ------------------------------------------------------------------


async def test_a_domain_claimed_by_a_transaction_still_open_is_a_conflict_once_it_commits(db, settings, oidc_provider):
    """The race of two `booking sso set`, made certain: another district's claim is written but not committed
    when ours checks. PostgreSQL: our check cannot see it, our insert waits on the unique index, then fails;
    SQLite: our BEGIN IMMEDIATE waits for the writer, then our check sees it. Either way: a Conflict, nothing kept."""
    from booking.errors import Conflict

    egusd = (await find_district("EGUSD"))["id"]
    claim = f"INSERT INTO district_sign_in_domain (domain, district) VALUES ('shared.example.org', {egusd})"
    if settings.database_url.startswith("sqlite"):
        import sqlite3

        from booking.db import sqlite_path_from_url

        other = sqlite3.connect(sqlite_path_from_url(settings.database_url), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(claim)
        commit, close = (lambda: other.execute("COMMIT")), other.close
    else:
        import asyncpg

        other = await asyncpg.connect(settings.database_url)
        transaction = other.transaction()
        await transaction.start()
        await other.execute(claim)
        commit, close = transaction.commit, other.close
    ours = asyncio.ensure_future(
        set_provider("FCUSD", oidc_provider.issuer, "client-fcusd", SECRET, "shared.example.org")
    )
    try:
        await asyncio.sleep(0.5)
        assert not ours.done(), "our set_provider should be waiting for the other transaction"
        result = commit()
        if asyncio.iscoroutine(result):
            await result
        with pytest.raises(Conflict, match="claimed by another district"):
            await ours
    finally:
        result = close()
        if asyncio.iscoroutine(result):
            await result
    assert [row["code"] for row in await providers()] == []
    assert [(d["domain"], d["district"]) for d in await DistrictSignInDomain.select()] == [
        ("shared.example.org", egusd)
    ]
