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
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict, DomainError, InvalidInput
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


async def fetch_discovery(issuer: str) -> dict:
    """The provider's metadata; its `issuer` must be exactly the one we were given (Discovery 1.0, 4.3)."""
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=DISCOVERY_TIMEOUT_SECONDS, trust_env=False) as http:
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


async def set_provider(district: str, issuer: str, client_id: str, client_secret: str, domains: str | list[str]) -> dict:
    """Connects (or reconnects, replacing its settings) a district; the issuer must answer discovery."""
    district_row = await find_district(district)
    issuer = clean_issuer(issuer)
    domain_list = clean_domains(domains)
    client_id, client_secret = (client_id or "").strip(), (client_secret or "").strip()
    if not client_id or len(client_id) > 300:
        raise InvalidInput({"client_id": "Enter the client id the provider gave (at most 300 characters)."})
    if not client_secret or len(client_secret) > 1000:
        raise InvalidInput({"client_secret": "Enter the client secret the provider gave."})
    await fetch_discovery(issuer)  # before writing: a mistyped issuer is refused, not stored
    encrypted = encrypt_client_secret(client_secret, current_settings().secret_key)
    async with write_transaction():
        taken = await DistrictSignInDomain.select(DistrictSignInDomain.domain, DistrictSignInDomain.district.code).where(
            DistrictSignInDomain.domain.is_in(domain_list) & (DistrictSignInDomain.district != district_row["id"]))
        if taken:
            raise Conflict("Already claimed by another district: " + ", ".join(
                f"{row['domain']} ({row['district.code']})" for row in taken) + ".")
        await DistrictSignInDomain.delete().where(DistrictSignInDomain.district == district_row["id"])
        await DistrictSignInProvider.delete().where(DistrictSignInProvider.district == district_row["id"])
        await DistrictSignInProvider.insert(DistrictSignInProvider(
            district=district_row["id"], issuer=issuer, client_id=client_id,
            client_secret_encrypted=encrypted, updated_at=utc_now()))
        await DistrictSignInDomain.insert(*[
            DistrictSignInDomain(domain=domain, district=district_row["id"]) for domain in domain_list])
    return {"district": district_row["code"], "issuer": issuer, "domains": domain_list}


async def list_providers() -> list[dict]:
    providers = await DistrictSignInProvider.select(
        DistrictSignInProvider.district, DistrictSignInProvider.district.code.as_alias("code"),
        DistrictSignInProvider.issuer).order_by(DistrictSignInProvider.district.code)
    domains = await DistrictSignInDomain.select().order_by(DistrictSignInDomain.domain)
    for provider in providers:
        provider["domains"] = [d["domain"] for d in domains if d["district"] == provider["district"]]
    return providers


async def remove_provider(district: str) -> bool:
    """False when the district had no provider (nothing to remove is not an error)."""
    district_row = await find_district(district)
    async with write_transaction():
        await DistrictSignInDomain.delete().where(DistrictSignInDomain.district == district_row["id"])
        removed = await DistrictSignInProvider.delete().where(
            DistrictSignInProvider.district == district_row["id"]).returning(DistrictSignInProvider.id)
    return bool(removed)


def email_domain(email: str) -> str:
    email = normalize_email(email)
    return email.rpartition("@")[2] if "@" in email else ""


async def provider_for_email(email: str) -> dict | None:
    """The provider of the district that owns the email's domain, with its client secret readable."""
    domain = email_domain(email)
    if not domain:
        return None
    owner = await DistrictSignInDomain.select(DistrictSignInDomain.district).where(
        DistrictSignInDomain.domain == domain).first()
    if owner is None:
        return None
    return await provider_of_district(owner["district"])


async def provider_of_district(district_id: int) -> dict | None:
    row = await DistrictSignInProvider.select().where(DistrictSignInProvider.district == district_id).first()
    if row is None:
        return None
    row["client_secret"] = decrypt_client_secret(row.pop("client_secret_encrypted"), current_settings().secret_key)
    row["domains"] = [d["domain"] for d in await DistrictSignInDomain.select(DistrictSignInDomain.domain).where(
        DistrictSignInDomain.district == district_id)]
    return row
