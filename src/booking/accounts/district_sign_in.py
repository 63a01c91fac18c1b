"""Signing in with the district's own account (OpenID Connect, authorization code flow with PKCE).

`start_district_sign_in` records one attempt server-side (state hashed, nonce, PKCE verifier) and returns
the provider's authorization URL; `finish_district_sign_in` takes the provider's answer and checks
everything a relying party must before anyone is signed in: the state (this browser's, unused, fresh),
the code exchange, the ID token's signature against the provider's current JWKS (fetched by discovery
each time, so a rotated key is simply found), issuer, audience, expiry, nonce, a verified email and
its domain being one of the district's. The JWT checks are joserfc's (Authlib's JOSE library).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from booking.accounts import district_change
from booking.accounts.secrets_util import hash_token
from booking.accounts.sign_in_providers import (
    ProviderUnreachable,
    email_domain,
    fetch_discovery,
    provider_for_email,
    provider_of_district,
)
from booking.accounts.tables import DistrictSignInAttempt, DistrictSignInIdentity, User
from booking.accounts.users import create_user, mark_email_confirmed, normalize_email
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import DomainError
from booking.settings import current_settings

log = logging.getLogger("booking.district_sign_in")

ATTEMPT_LIFETIME = dt.timedelta(minutes=10)
HTTP_TIMEOUT_SECONDS = 10
CLOCK_LEEWAY_SECONDS = 60
CALLBACK_PATH = "/sign-in/sso/callback"
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]  # never "none", never HMAC


class DistrictSignInRefused(DomainError):
    """Shown to the person as a friendly page; `reason` goes to the log, never to the page."""

    code = "district_sign_in_refused"
    status_hint = 400
    title = "Signing in with your district's account did not work"

    def __init__(self, message: str, reason: str, status: int = 400, unconfirmed_email: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.status_hint = status
        # Set when the way forward is to prove this address by a link sent to it (the page offers one).
        self.unconfirmed_email = unconfirmed_email


class NoDistrictProvider(DomainError):
    code = "no_district_provider"
    status_hint = 404
    title = "No district sign-in for that address"


def redirect_uri() -> str:
    return current_settings().base_url.rstrip("/") + CALLBACK_PATH


async def _metadata(issuer: str) -> dict:
    try:
        return await fetch_discovery(issuer)
    except ProviderUnreachable as error:
        raise DistrictSignInRefused(
            "Your district's sign-in service is not answering. Please try again in a few minutes.",
            reason=f"provider unreachable: {error.message}",
            status=400,
        ) from error


async def start_district_sign_in(email: str) -> tuple[str, str]:
    """(authorization URL, state). The state also goes to the browser's cookie, binding the answer to it."""
    email = normalize_email(email)
    provider = await provider_for_email(email) if len(email) <= 254 else None
    if provider is None:
        raise NoDistrictProvider("That address's district does not sign in with its own account here.")
    metadata = await _metadata(provider["issuer"])
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = utc_now()
    async with write_transaction():
        await DistrictSignInAttempt.insert(
            DistrictSignInAttempt(
                state_hash=hash_token(state),
                district=provider["district"],
                nonce=nonce,
                code_verifier=verifier,
                created_at=now,
                expires_at=now + ATTEMPT_LIFETIME,
            )
        )
        await DistrictSignInAttempt.delete().where(DistrictSignInAttempt.expires_at < now - dt.timedelta(days=1))
    url = add_params_to_uri(
        metadata["authorization_endpoint"],
        {
            "response_type": "code",
            "client_id": provider["client_id"],
            "redirect_uri": redirect_uri(),
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
            "login_hint": email,
        },
    )
    return url, state


async def _use_attempt(state: str, browser_state: str | None) -> dict:
    """The attempt this state names, marked used: once only, fresh only, and only from the browser that began it."""
    if not state or len(state) > 200 or not browser_state or not secrets.compare_digest(state, browser_state):
        raise DistrictSignInRefused(
            "This sign-in did not start in this browser, or it was already used. Please start again.",
            reason="state missing or not this browser's",
        )
    now = utc_now()
    async with write_transaction():
        used = (
            await DistrictSignInAttempt.update({DistrictSignInAttempt.used_at: now})
            .where(
                (DistrictSignInAttempt.state_hash == hash_token(state))
                & DistrictSignInAttempt.used_at.is_null()
                & (DistrictSignInAttempt.expires_at > now)
            )
            .returning(DistrictSignInAttempt.district, DistrictSignInAttempt.nonce, DistrictSignInAttempt.code_verifier)
        )
    if not used:
        raise DistrictSignInRefused(
            "This sign-in has expired or was already used. Please start again.", reason="state unknown, used or expired"
        )
    return used[0]


async def _exchange_code(metadata: dict, provider: dict, code: str, verifier: str) -> dict:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, trust_env=False) as http:
            response = await http.post(
                metadata["token_endpoint"],
                auth=(provider["client_id"], provider["client_secret"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri(),
                    "code_verifier": verifier,
                },
            )
            tokens = response.json() if response.status_code == 200 else None
            jwks = (await http.get(metadata["jwks_uri"])).json() if tokens else None
    except (httpx.HTTPError, ValueError) as error:
        raise DistrictSignInRefused(
            "Your district's sign-in service is not answering. Please try again in a few minutes.",
            reason=f"token endpoint or JWKS unreachable ({type(error).__name__})",
        ) from error
    if not tokens or not isinstance(tokens.get("id_token"), str):
        raise DistrictSignInRefused(
            "Your district's sign-in service did not confirm who you are. Please start again.",
            reason=f"code refused by the token endpoint (status {response.status_code})",
        )
    return {"id_token": tokens["id_token"], "jwks": jwks}


def _verified_claims(id_token: str, jwks: object, issuer: str, client_id: str, nonce: str) -> dict:
    try:
        keys = KeySet.import_key_set(jwks)
        token = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
        audiences = token.claims["aud"] if isinstance(token.claims["aud"], list) else [token.claims["aud"]]
        if len(audiences) > 1 and token.claims.get("azp") != client_id:
            raise ValueError("several audiences and we are not the authorized party")  # Core 1.0, 3.1.3.7 (4, 5)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise DistrictSignInRefused(
            "Your district's sign-in service sent an answer we cannot trust. Please start again.",
            reason=f"ID token refused ({type(error).__name__}: {error})",
        ) from error
    return token.claims


async def finish_district_sign_in(*, state: str, browser_state: str | None, code: str, error: str) -> int:
    """Returns the id of the person to sign in. Raises DistrictSignInRefused, having changed nothing but the attempt."""
    if error:
        # The provider's refusal changes nothing here whatever its state; its attempt, if genuine, is spent.
        # (Some providers leave `state` out of an error answer, so a missing one is not a reason to say otherwise.)
        try:
            await _use_attempt(state, browser_state)
        except DistrictSignInRefused:
            pass
        if error == "access_denied":
            raise DistrictSignInRefused(
                "You did not allow the sign-in at your district. Nothing was changed.",
                reason="consent denied at the provider",
                status=403,
            )
        raise DistrictSignInRefused(
            "Your district's sign-in service refused the sign-in. Please start again.",
            reason=f"provider error {error[:60]!r}",
        )
    attempt = await _use_attempt(state, browser_state)
    if not code or len(code) > 2000:
        raise DistrictSignInRefused(
            "Your district's sign-in service sent no answer. Please start again.", reason="no code"
        )
    provider = await provider_of_district(attempt["district"])
    if provider is None:
        raise DistrictSignInRefused(
            "Your district no longer signs in with its own account here.", reason="provider removed during the sign-in"
        )
    metadata = await _metadata(provider["issuer"])
    answer = await _exchange_code(metadata, provider, code, attempt["code_verifier"])
    claims = _verified_claims(
        answer["id_token"], answer["jwks"], provider["issuer"], provider["client_id"], attempt["nonce"]
    )
    email = normalize_email(str(claims.get("email") or ""))
    # Google sends email_verified; Microsoft Entra ID sends instead, when asked for it as an optional claim,
    # xms_edov: the address's domain is verified as the tenant's own (Microsoft's advice against email spoofing).
    if claims.get("email_verified") is not True and claims.get("xms_edov") not in (True, 1, "1", "true"):
        raise DistrictSignInRefused(
            "Your district's account does not confirm your email address, so we cannot use it here.",
            reason="email not verified by the provider",
            status=403,
        )
    if email_domain(email) not in provider["domains"]:
        raise DistrictSignInRefused(
            "That account's email address does not belong to this district.",
            reason="email domain outside the district's domains",
            status=403,
        )
    return await _person_for(provider, str(claims["sub"]), email, str(claims.get("name") or ""))


async def _person_for(provider: dict, subject: str, email: str, name: str) -> int:
    """The account of this identity; a first sign-in creates an attendee in the district.

    An existing account with the same address is joined to this identity only when its address is proven
    theirs (`email_confirmed_at`: they opened a link we sent there). An address typed into an account and
    never proven is not taken over — anyone could have typed a teacher's address before the teacher arrived —
    and the person is offered a link to that address instead (opening it proves it; then they come back)."""
    district_id = provider["district"]
    now = utc_now()
    async with write_transaction():
        known = (
            await DistrictSignInIdentity.select(DistrictSignInIdentity.user)
            .where((DistrictSignInIdentity.issuer == provider["issuer"]) & (DistrictSignInIdentity.subject == subject))
            .first()
        )
        user = None
        if known is not None:
            user = (
                await User.select(User.id, User.is_active, User.district, User.email)
                .where(User.id == known["user"])
                .first()
            )
        else:
            user = (
                await User.select(User.id, User.is_active, User.district, User.email, User.email_confirmed_at)
                .where(User.email == email)
                .first()
            )
            if user is not None and user["email_confirmed_at"] is None:
                raise DistrictSignInRefused(
                    "An account here already uses this address, but the address was never confirmed as yours, so we "
                    "cannot join it to your district's account yet.",
                    reason="existing account with that email, address never confirmed: not linked",
                    status=409,
                    unconfirmed_email=email,
                )
            if user is not None and user["is_active"]:
                # Proven twice over: the provider vouches for the address and the account's owner opened a link
                # sent to it. From now on this identity signs in to that account.
                await DistrictSignInIdentity.insert(
                    DistrictSignInIdentity(issuer=provider["issuer"], subject=subject, user=user["id"])
                )
                log.info("district sign-in joined to the existing account %s", user["id"])
        if user is not None:
            if not user["is_active"]:
                raise DistrictSignInRefused("This account is not active.", reason="account inactive", status=403)
            if user["district"] != district_id:
                await district_change.join_district_from_sign_in(user["id"], district_id)
            if user["email"] == email:
                await mark_email_confirmed(user["id"], now)  # the provider vouches for the address the account has
            return user["id"]
        user = await create_user(
            email=email, name=(name.strip() or email.split("@")[0])[:200], role="attendee", district_id=district_id
        )
        await mark_email_confirmed(user["id"], now)  # the provider vouched for it (email_verified / xms_edov)
        await DistrictSignInIdentity.insert(
            DistrictSignInIdentity(issuer=provider["issuer"], subject=subject, user=user["id"])
        )
    return user["id"]
