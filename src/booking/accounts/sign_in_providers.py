"""Connecting a district to its OpenID Connect provider: set, list, remove, and find one by email.

Used by `booking sso ...` (CONTRACT.md, "District sign-in") and by the district sign-in itself.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from booking.accounts.districts import find_district
from booking.accounts.sign_in_secrets import decrypt_client_secret, encrypt_client_secret
from booking.accounts.tables import DistrictSignInDomain, DistrictSignInProvider
from booking.accounts.users import normalize_email
from booking.audit.trail import record_by
from booking.clock import utc_now
from booking.db import is_unique_violation, lock_rows_for_update, write_transaction
from booking.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from booking.settings import current_settings

DISCOVERY_TIMEOUT_SECONDS = 10
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ProviderUnreachable(DomainError):
    code = "provider_unreachable"
    status_hint = 502
    title = "The district's sign-in service did not answer"


def clean_issuer(issuer: str) -> str:
    """An absolute http(s) URL without query or fragment (OpenID Connect Discovery 1.0, section 2)."""
    issuer = (issuer or "").strip().rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput({"issuer": "Enter the provider's issuer URL, like https://accounts.google.com."})
    if parts.scheme == "http" and current_settings().is_production and parts.hostname not in ("localhost", "127.0.0.1"):
        raise InvalidInput({"issuer": "The issuer must use https."})
    return issuer


def clean_domains(domains: str | list[str]) -> list[str]:
    items = domains.split(",") if isinstance(domains, str) else domains
    cleaned = sorted({d.strip().lower().lstrip("@") for d in items if d.strip()})
    if not cleaned:
        raise InvalidInput({"domains": "Give at least one email domain, like sanjuan.edu."})
    bad = [d for d in cleaned if not _DOMAIN.match(d)]
    if bad:
        raise InvalidInput({"domains": f"Not an email domain: {', '.join(bad)}."})
    return cleaned


async def fetch_discovery(issuer: str, *, timeout: float = DISCOVERY_TIMEOUT_SECONDS) -> dict:
    """The provider's metadata; its `issuer` must be exactly the one we were given (Discovery 1.0, 4.3)."""
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as http:
            response = await http.get(url)
        response.raise_for_status()
        metadata = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderUnreachable(f"Cannot read {url} ({type(error).__name__}).") from error
    if not isinstance(metadata, dict) or str(metadata.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnreachable(f"{url} does not describe the issuer {issuer}.")
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(needed), str):
            raise ProviderUnreachable(f"{url} has no {needed}.")
    return metadata


def _require_admin(actor) -> None:
    """`actor` None: the command line (whoever runs it on the server already holds the keys)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only administrators connect districts to their sign-in.")


async def _provider_row(district_id: int) -> dict | None:
    return await DistrictSignInProvider.select().where(DistrictSignInProvider.district == district_id).first()


async def set_provider(
    district: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    domains: str | list[str],
    *,
    actor=None,
    keep_secret_if_empty: bool = False,
) -> dict:
    """Connects (or reconnects, replacing its settings) a district; the issuer must answer discovery.

    `keep_secret_if_empty`: the admin page never shows the secret back, so replacing a district's
    settings with the secret left empty keeps the one stored. Password sign-in (on or off) is kept too."""
    _require_admin(actor)
    district_row = await find_district(district)
    issuer = clean_issuer(issuer)
    domain_list = clean_domains(domains)
    client_id, client_secret = (client_id or "").strip(), (client_secret or "").strip()
    if not client_id or len(client_id) > 300:
        raise InvalidInput({"client_id": "Enter the client id the provider gave (at most 300 characters)."})
    keep_secret = keep_secret_if_empty and not client_secret
    if keep_secret and await _provider_row(district_row["id"]) is None:
        raise InvalidInput({"client_secret": "Enter the client secret the provider gave (this district has none yet)."})
    if not keep_secret and (not client_secret or len(client_secret) > 1000):
        raise InvalidInput({"client_secret": "Enter the client secret the provider gave."})
    await fetch_discovery(issuer)  # before writing: a mistyped issuer is refused, not stored
    encrypted = encrypt_client_secret(client_secret, current_settings().secret_key) if not keep_secret else None
    try:
        async with write_transaction():
            await lock_rows_for_update(DistrictSignInProvider, DistrictSignInProvider.district == district_row["id"])
            current = await _provider_row(district_row["id"])
            if current is None and encrypted is None:
                raise InvalidInput(
                    {"client_secret": "Enter the client secret the provider gave (this district has none yet)."}
                )
            taken = await DistrictSignInDomain.select(
                DistrictSignInDomain.domain, DistrictSignInDomain.district.code
            ).where(
                DistrictSignInDomain.domain.is_in(domain_list) & (DistrictSignInDomain.district != district_row["id"])
            )
            if taken:
                raise _domains_taken(", ".join(f"{row['domain']} ({row['district.code']})" for row in taken))
            previous_domains = [
                row["domain"]
                for row in await DistrictSignInDomain.select(DistrictSignInDomain.domain)
                .where(DistrictSignInDomain.district == district_row["id"])
                .order_by(DistrictSignInDomain.domain)
            ]
            await DistrictSignInDomain.delete().where(DistrictSignInDomain.district == district_row["id"])
            if current is None:
                await DistrictSignInProvider.insert(
                    DistrictSignInProvider(
                        district=district_row["id"],
                        issuer=issuer,
                        client_id=client_id,
                        client_secret_encrypted=encrypted,
                        updated_at=utc_now(),
                    )
                )
            else:
                await DistrictSignInProvider.update(
                    {
                        DistrictSignInProvider.issuer: issuer,
                        DistrictSignInProvider.client_id: client_id,
                        DistrictSignInProvider.client_secret_encrypted: encrypted or current["client_secret_encrypted"],
                        DistrictSignInProvider.updated_at: utc_now(),
                    }
                ).where(DistrictSignInProvider.id == current["id"])
            await DistrictSignInDomain.insert(
                *[DistrictSignInDomain(domain=domain, district=district_row["id"]) for domain in domain_list]
            )
            # Never the secret itself, nor its ciphertext: only whether it changed.
            detail = {
                "issuer": issuer,
                "client_id": client_id,
                "domains": domain_list,
                "client_secret": "kept" if keep_secret else ("set" if current is None else "replaced"),
            }
            if current is not None:
                detail["before"] = {
                    "issuer": current["issuer"],
                    "client_id": current["client_id"],
                    "domains": previous_domains,
                }
            await record_by(
                actor,
                "district_sign_in.connected",
                subject=f"district {district_row['code']}",
                district_id=district_row["id"],
                detail=detail,
            )
    except Exception as error:
        # PostgreSQL: another `set` for another district claimed one of these domains (or this district) between
        # our check and our insert; its unique index refuses ours. Same answer as when the check saw it.
        if is_unique_violation(error):
            raise _domains_taken(
                "one of these domains, or this district, was just set by someone else; "
                "run `booking sso list` (or reload the page) and try again"
            ) from error
        raise
    return {"district": district_row["code"], "issuer": issuer, "domains": domain_list}


def _domains_taken(which: str) -> Conflict:
    return Conflict(f"Already claimed by another district: {which}.")


async def list_providers() -> list[dict]:
    providers = await DistrictSignInProvider.select(
        DistrictSignInProvider.district,
        DistrictSignInProvider.district.code.as_alias("code"),
        DistrictSignInProvider.district.name.as_alias("name"),
        DistrictSignInProvider.issuer,
        DistrictSignInProvider.client_id,
        DistrictSignInProvider.updated_at,
        DistrictSignInProvider.password_sign_in,
    ).order_by(DistrictSignInProvider.district.code)
    domains = await DistrictSignInDomain.select().order_by(DistrictSignInDomain.domain)
    for provider in providers:
        provider["domains"] = [d["domain"] for d in domains if d["district"] == provider["district"]]
    return providers


async def remove_provider(district: str, *, actor=None) -> bool:
    """False when the district had no provider (nothing to remove is not an error)."""
    _require_admin(actor)
    district_row = await find_district(district)
    async with write_transaction():
        await DistrictSignInDomain.delete().where(DistrictSignInDomain.district == district_row["id"])
        removed = (
            await DistrictSignInProvider.delete()
            .where(DistrictSignInProvider.district == district_row["id"])
            .returning(DistrictSignInProvider.id, DistrictSignInProvider.issuer)
        )
        if removed:
            await record_by(
                actor,
                "district_sign_in.removed",
                subject=f"district {district_row['code']}",
                district_id=district_row["id"],
                detail={"issuer": removed[0]["issuer"]},
            )
    return bool(removed)


async def set_password_sign_in(district: str, allowed: bool, *, actor) -> bool:
    """Turns password sign-in on or off for the district's addresses; False when it already was so."""
    _require_admin(actor)
    district_row = await find_district(district)
    async with write_transaction():
        changed = (
            await DistrictSignInProvider.update({DistrictSignInProvider.password_sign_in: allowed})
            .where(
                (DistrictSignInProvider.district == district_row["id"])
                & (DistrictSignInProvider.password_sign_in == (not allowed))
            )
            .returning(DistrictSignInProvider.id)
        )
        if not changed and not await DistrictSignInProvider.exists().where(
            DistrictSignInProvider.district == district_row["id"]
        ):
            raise NotFound(f"District {district_row['code']} does not sign in with its own account here.")
        if changed:
            await record_by(
                actor,
                "district_sign_in.password_sign_in",
                subject=f"district {district_row['code']}",
                district_id=district_row["id"],
                detail={"password_sign_in": "on" if allowed else "off"},
            )
    return bool(changed)


async def password_sign_in_is_off(email: str) -> bool:
    """Whether the address belongs to a district that turned password sign-in off."""
    domain = email_domain(email)
    if not domain:
        return False
    owner = (
        await DistrictSignInDomain.select(DistrictSignInDomain.district)
        .where(DistrictSignInDomain.domain == domain)
        .first()
    )
    if owner is None:
        return False
    return await DistrictSignInProvider.exists().where(
        (DistrictSignInProvider.district == owner["district"]) & (DistrictSignInProvider.password_sign_in == False)
    )


def email_domain(email: str) -> str:
    email = normalize_email(email)
    return email.rpartition("@")[2] if "@" in email else ""


async def provider_for_email(email: str) -> dict | None:
    """The provider of the district that owns the email's domain, with its client secret readable."""
    domain = email_domain(email)
    if not domain:
        return None
    owner = (
        await DistrictSignInDomain.select(DistrictSignInDomain.district)
        .where(DistrictSignInDomain.domain == domain)
        .first()
    )
    if owner is None:
        return None
    return await provider_of_district(owner["district"])


async def provider_of_district(district_id: int) -> dict | None:
    row = await DistrictSignInProvider.select().where(DistrictSignInProvider.district == district_id).first()
    if row is None:
        return None
    row["client_secret"] = decrypt_client_secret(row.pop("client_secret_encrypted"), current_settings().secret_key)
    row["domains"] = [
        d["domain"]
        for d in await DistrictSignInDomain.select(DistrictSignInDomain.domain).where(
            DistrictSignInDomain.district == district_id
        )
    ]
    return row
