"""Signing in with the district's account, end to end against a real OpenID Connect provider on loopback
(oidc-provider-mock, tests/oidc_provider.py), on both engines: the flow and every way it must fail."""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from booking.accounts.district_sign_in import DistrictSignInRefused, _verified_claims
from booking.accounts.districts import find_district
from booking.accounts.secrets_util import hash_token
from booking.accounts.sign_in_providers import set_provider
from booking.accounts.tables import (
    DistrictSignInAttempt,
    DistrictSignInIdentity,
    DistrictSignInProvider,
    User,
    UserSession,
)
from booking.web.auth import SESSION_COOKIE
from tests.accounts.test_links_and_resets import _link_from_outbox
from tests.conftest import free_port
from tests.factories import make_user, post_form, signed_in
from tests.oidc_provider import callback_query

CLIENT_ID = "client-egusd"
_subjects = itertools.count(1)


@pytest.fixture
async def district(db, oidc_provider) -> dict:
    await set_provider("EGUSD", oidc_provider.issuer, CLIENT_ID, "egusd-client-secret", "egusd.net,staff.egusd.net")
    return await find_district("EGUSD")


def teacher(email: str = "", **claims) -> tuple[str, dict]:
    number = next(_subjects)
    return f"subject-{number}", {
        "email": email or f"teacher{number}@egusd.net",
        "email_verified": True,
        "name": f"Teacher {number}",
        **claims,
    }


async def go_to_provider(client, email: str) -> str:
    response = await client.get("/sign-in/sso", params={"email": email})
    assert response.status_code in (302, 303), response.text[:500]
    return response.headers["location"]


async def sign_in_at_district(client, oidc_provider, email: str = "", **claims) -> httpx.Response:
    sub, user_claims = teacher(email, **claims)
    authorize_url = await go_to_provider(client, user_claims["email"])
    return await client.get(oidc_provider.sign_in_as(authorize_url, sub, user_claims))


async def assert_nobody_signed_in_and_no_account(response, status: int, *, users_before: int = 0):
    assert response.status_code == status, response.text[:500]
    assert "did not work" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert await UserSession.count() == 0
    assert await User.count() == users_before


async def test_first_sign_in_creates_an_attendee_in_the_district_and_signs_them_in(client, district, oidc_provider):
    response = await sign_in_at_district(client, oidc_provider, "Ms.Rivera@EGUSD.net")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/?notice=signed-in"
    assert response.cookies.get(SESSION_COOKIE)
    person = await User.select().where(User.email == "ms.rivera@egusd.net").first()
    assert person["role"] == "attendee" and person["district"] == district["id"] and person["password_hash"] is None
    account = await client.get("/account")
    assert account.status_code == 200 and "ms.rivera@egusd.net" in account.text


async def test_the_next_sign_in_finds_the_same_account_with_a_new_session_id(client, district, oidc_provider):
    sub, claims = teacher()
    first = await client.get(oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims))
    second = await client.get(oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub))
    assert first.status_code == second.status_code == 303
    assert first.cookies[SESSION_COOKIE] != second.cookies[SESSION_COOKIE]
    assert await User.count() == 1
    assert await UserSession.count() == 1  # the first session was ended by the second sign-in (no fixation)


async def test_the_sign_in_page_posts_the_address_and_goes_to_the_provider(client, district, oidc_provider):
    response = await post_form(client, "/sign-in/sso", {"email": "teacher.one@egusd.net"})
    assert response.status_code == 303 and response.headers["location"].startswith(oidc_provider.issuer + "/")
    assert await DistrictSignInAttempt.count() == 1


async def test_the_request_to_the_provider_uses_pkce_state_nonce_and_our_redirect_uri(client, district, oidc_provider):
    location = await go_to_provider(client, "someone@staff.egusd.net")
    assert location.startswith(oidc_provider.issuer + "/")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://testserver.local/sign-in/sso/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert "openid" in query["scope"].split()
    stored = await DistrictSignInAttempt.select().first()
    assert stored["state_hash"] == hash_token(query["state"]) and stored["nonce"] == query["nonce"]


async def test_an_address_without_a_district_provider_goes_back_to_the_sign_in_page(client, district):
    for params, back in [
        ({"email": "someone@gmail.com"}, "/sign-in?email=someone%40gmail.com&notice=no-district-sign-in"),
        ({"email": "not-an-email"}, "/sign-in?email=not-an-email&notice=no-district-sign-in"),
        (
            {"email": "pat@gmail.com", "next": "/account"},
            "/sign-in?email=pat%40gmail.com&next=%2Faccount&notice=no-district-sign-in",
        ),
        (
            {"email": "pat@gmail.com", "next": "https://evil.example"},
            "/sign-in?email=pat%40gmail.com&notice=no-district-sign-in",
        ),
        ({"email": ""}, "/sign-in?notice=no-district-sign-in"),
    ]:
        response = await client.get("/sign-in/sso", params=params)
        assert response.status_code == 303
        assert response.headers["location"] == back
    assert await DistrictSignInAttempt.count() == 0


async def test_the_sign_in_page_asks_for_the_email_first_then_the_password_or_a_link(client, district):
    first = await client.get("/sign-in")
    assert first.status_code == 200
    assert 'action="/sign-in/sso"' in first.text and 'for="district-email"' in first.text
    assert 'type="password"' not in first.text  # one question at a time
    continued = await post_form(client, "/sign-in/sso", {"email": "pat@gmail.com", "next": "/"})
    assert continued.status_code == 303
    assert continued.headers["location"] == "/sign-in?email=pat%40gmail.com&notice=no-district-sign-in"
    back = await client.get(continued.headers["location"])
    assert back.status_code == 200
    # one form, one address: the password signs in, or the second button emails a link to the same address
    assert 'action="/sign-in"' in back.text and 'formaction="/sign-in/link"' in back.text
    assert back.text.count('value="pat@gmail.com"') == 1 and 'type="password"' in back.text
    link = await post_form(client, "/sign-in/link", {"email": "pat@gmail.com", "password": ""})
    assert link.status_code == 303 and "notice=link-sent" in link.headers["location"]


async def test_a_replayed_answer_signs_nobody_in_the_second_time(client, district, oidc_provider):
    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    state = callback_query(callback)["state"]
    assert (await client.get(callback)).status_code == 303
    await client.post("/sign-out", headers={"HX-Request": "false"})
    await UserSession.delete(force=True)
    client.cookies.set("district_sign_in_state", state, domain="testserver.local", path="/sign-in/sso")
    replayed = await client.get(callback)
    await assert_nobody_signed_in_and_no_account(replayed, 400, users_before=1)


async def test_a_tampered_state_signs_nobody_in(client, district, oidc_provider):
    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    state = callback_query(callback)["state"]
    tampered = callback.replace(f"state={state}", f"state={state[:-2]}xy")
    client.cookies.set("district_sign_in_state", state[:-2] + "xy", domain="testserver.local", path="/sign-in/sso")
    await assert_nobody_signed_in_and_no_account(await client.get(tampered), 400)


async def test_an_answer_brought_to_another_browser_signs_nobody_in(client, district, oidc_provider, app):
    """Login CSRF: someone's valid answer pushed into another person's browser must not sign that browser in."""
    from tests.conftest import asgi_client

    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    async with asgi_client(app) as other_browser:
        response = await other_browser.get(callback)
    await assert_nobody_signed_in_and_no_account(response, 400)


async def test_an_expired_attempt_signs_nobody_in(client, district, oidc_provider):
    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    await DistrictSignInAttempt.update(
        {DistrictSignInAttempt.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}, force=True
    )
    await assert_nobody_signed_in_and_no_account(await client.get(callback), 400)


async def test_denied_consent_is_a_friendly_page_and_creates_nothing(client, district, oidc_provider):
    sub, claims = teacher()
    oidc_provider.set_user(sub, claims)
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, action="deny")
    assert callback_query(callback)["error"] == "access_denied"
    response = await client.get(callback)
    await assert_nobody_signed_in_and_no_account(response, 403)
    assert "did not allow" in response.text


async def test_an_email_outside_the_districts_domains_is_refused(client, district, oidc_provider):
    sub, claims = teacher("someone@sacramento.example.org")
    callback = oidc_provider.sign_in_as(await go_to_provider(client, "x@egusd.net"), sub, claims)
    await assert_nobody_signed_in_and_no_account(await client.get(callback), 403)


@pytest.mark.parametrize("verified", [False, None, "true"])
async def test_an_email_the_provider_does_not_vouch_for_is_refused(client, district, oidc_provider, verified):
    claims = {"email_verified": verified} if verified is not None else {}
    sub, user_claims = teacher(**claims)
    if verified is None:
        user_claims.pop("email_verified")
    callback = oidc_provider.sign_in_as(await go_to_provider(client, user_claims["email"]), sub, user_claims)
    await assert_nobody_signed_in_and_no_account(await client.get(callback), 403)


async def test_an_entra_id_answer_vouches_for_the_email_with_xms_edov(client, district, oidc_provider):
    sub, claims = teacher(xms_edov=True)
    claims.pop("email_verified")
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    assert (await client.get(callback)).status_code == 303
    assert await User.count() == 1


@pytest.mark.parametrize("edov", [False, "false", 0])
async def test_an_entra_id_answer_without_a_verified_domain_is_refused(client, district, oidc_provider, edov):
    sub, claims = teacher(xms_edov=edov)
    claims.pop("email_verified")
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    await assert_nobody_signed_in_and_no_account(await client.get(callback), 403)


async def test_an_existing_account_whose_address_was_never_confirmed_is_not_taken_over(client, district, oidc_provider):
    squatter = await make_user("attendee", email="teacher.lee@egusd.net")
    response = await sign_in_at_district(client, oidc_provider, "teacher.lee@egusd.net")
    await assert_nobody_signed_in_and_no_account(response, 409, users_before=1)
    assert (await User.select(User.district).where(User.id == squatter["id"]).first())["district"] == squatter[
        "district"
    ]
    assert await DistrictSignInIdentity.count() == 0
    # The way forward offered: a sign-in link to that address (whoever reads that mailbox owns the account).
    assert 'action="/sign-in/link"' in response.text and 'value="teacher.lee@egusd.net"' in response.text


async def test_an_existing_account_is_joined_once_its_owner_has_proven_the_address(client, district, oidc_provider):
    """The teacher had an account with a password before their district connected; they opened a sign-in link
    sent to that address (proving it), so their district account now opens the same account, in the district."""
    existing = await make_user("attendee", email="teacher.kim@egusd.net", district="SJUSD")
    refused = await sign_in_at_district(client, oidc_provider, "teacher.kim@egusd.net")
    assert refused.status_code == 409
    link_requested = await post_form(client, "/sign-in/link", {"email": "teacher.kim@egusd.net"})
    assert link_requested.status_code == 303
    link = await _link_from_outbox("teacher.kim@egusd.net", "/sign-in/link/")
    assert (await post_form(client, link, {}, token_from=link)).status_code == 303
    client.cookies.clear()

    sub, claims = teacher("teacher.kim@egusd.net")
    joined = await client.get(oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims))
    assert joined.status_code == 303, joined.text[:500]
    assert await User.count() == 1
    person = await User.select().where(User.id == existing["id"]).first()
    assert person["district"] == district["id"]  # the district now comes from the district
    assert (await DistrictSignInIdentity.select(DistrictSignInIdentity.user).first())["user"] == existing["id"]
    client.cookies.clear()
    again = await client.get(oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub))
    assert again.status_code == 303 and await User.count() == 1


async def test_a_first_sign_in_proves_the_address_of_the_account_it_creates(client, district, oidc_provider):
    assert (await sign_in_at_district(client, oidc_provider, "new.teacher@egusd.net")).status_code == 303
    person = await User.select(User.email_confirmed_at).where(User.email == "new.teacher@egusd.net").first()
    assert person["email_confirmed_at"] is not None


async def test_a_provider_that_is_down_gets_a_friendly_page(client, district, oidc_provider):
    await DistrictSignInProvider.update({DistrictSignInProvider.issuer: f"http://127.0.0.1:{free_port()}"}, force=True)
    response = await client.get("/sign-in/sso", params={"email": "t@egusd.net"})
    assert response.status_code == 400 and "not answering" in response.text
    assert await DistrictSignInAttempt.count() == 0


async def test_a_code_the_provider_refuses_signs_nobody_in(client, district, oidc_provider):
    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    state = callback_query(callback)["state"]
    forged = f"/sign-in/sso/callback?code=made-up-code&state={state}"
    await assert_nobody_signed_in_and_no_account(await client.get(forged), 400)


# --- the ID token checks, on real tokens from the provider ------------------------------------------


async def real_id_token(client, oidc_provider) -> tuple[str, dict, str]:
    """(ID token, JWKS, nonce): a real answer of the provider for CLIENT_ID, exchanged by the test itself."""
    sub, claims = teacher()
    callback = oidc_provider.sign_in_as(await go_to_provider(client, claims["email"]), sub, claims)
    query = callback_query(callback)
    attempt = (
        await DistrictSignInAttempt.select()
        .where(DistrictSignInAttempt.state_hash == hash_token(query["state"]))
        .first()
    )
    metadata = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration", trust_env=False).json()
    tokens = httpx.post(
        metadata["token_endpoint"],
        auth=(CLIENT_ID, "egusd-client-secret"),
        trust_env=False,
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "code_verifier": attempt["code_verifier"],
            "redirect_uri": "http://testserver.local/sign-in/sso/callback",
        },
    )
    assert tokens.status_code == 200, tokens.text
    return tokens.json()["id_token"], httpx.get(metadata["jwks_uri"], trust_env=False).json(), attempt["nonce"]


async def test_a_real_id_token_passes_and_each_wrong_claim_or_signature_is_refused(client, district, oidc_provider):
    id_token, jwks, nonce = await real_id_token(client, oidc_provider)
    claims = _verified_claims(id_token, jwks, oidc_provider.issuer, CLIENT_ID, nonce)
    assert CLIENT_ID in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
    assert claims["nonce"] == nonce
    header, payload, signature = id_token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    for token, issuer, audience, expected_nonce in [
        (id_token, oidc_provider.issuer, "client-of-another-app", nonce),  # another audience
        (id_token, "http://127.0.0.1:1", CLIENT_ID, nonce),  # another issuer
        (id_token, oidc_provider.issuer, CLIENT_ID, "another-nonce"),  # another nonce
        (f"{header}.{payload}.{flipped}", oidc_provider.issuer, CLIENT_ID, nonce),  # signature broken
        (f"{header}.{payload}.", oidc_provider.issuer, CLIENT_ID, nonce),  # unsigned
    ]:
        with pytest.raises(DistrictSignInRefused):
            _verified_claims(token, jwks, issuer, audience, expected_nonce)
    with pytest.raises(DistrictSignInRefused):
        _verified_claims(id_token, {"keys": []}, oidc_provider.issuer, CLIENT_ID, nonce)  # key not published


async def test_an_expired_id_token_is_refused(client, district, oidc_provider, monkeypatch):
    id_token, jwks, nonce = await real_id_token(client, oidc_provider)
    import time

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 2 * 3600)  # the mock's tokens live one hour
    with pytest.raises(DistrictSignInRefused):
        _verified_claims(id_token, jwks, oidc_provider.issuer, CLIENT_ID, nonce)


async def test_a_state_is_used_once_even_before_the_provider_would_refuse_its_code(client, district, oidc_provider):
    """The provider also refuses a reused code; our own rule must hold without relying on it."""
    from booking.accounts.district_sign_in import _use_attempt

    location = await go_to_provider(client, "t@egusd.net")
    state = parse_qs(urlsplit(location).query)["state"][0]
    assert (await _use_attempt(state, state))["district"] == district["id"]
    with pytest.raises(DistrictSignInRefused):
        await _use_attempt(state, state)


async def test_the_district_of_someone_who_signs_in_with_their_district_is_not_moved_by_coordinators(
    client, district, oidc_provider
):
    assert (await sign_in_at_district(client, oidc_provider, "ms.ortiz@egusd.net")).status_code == 303
    account = await client.get("/account")
    assert account.status_code == 200 and "your district comes from it" in account.text
    client.cookies.clear()
    await signed_in(client, await make_user("coordinator", district="SJUSD"))
    refused = await post_form(
        client, "/district/people/add", {"email": "ms.ortiz@egusd.net"}, token_from="/district/people"
    )
    assert refused.status_code == 409 and "signs in with their district" in refused.text
    assert (await User.select(User.district).where(User.email == "ms.ortiz@egusd.net").first())["district"] == district[
        "id"
    ]
