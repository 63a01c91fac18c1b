"""After signing out here: the district provider's own sign-out (OpenID Connect RP-Initiated Logout 1.0).

Offered, never forced: our session is already ended when this is asked. A person whose account came from a
district provider is offered a link to its `end_session_endpoint`, which sends them back to our sign-in page.
A provider that does not answer quickly, or has no such endpoint, just means no offer.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri

from booking.accounts.sign_in_providers import ProviderUnreachable, fetch_discovery
from booking.accounts.tables import DistrictSignInIdentity, DistrictSignInProvider, User
from booking.settings import current_settings

log = logging.getLogger("booking.district_sign_in")

# The person is waiting on the signed-out page: a provider slower than this is treated as not answering.
SIGN_OUT_DISCOVERY_TIMEOUT_SECONDS = 3
SIGNED_OUT_PATH = "/sign-in"


async def _provider_of(user_id: int) -> dict | None:
    """The provider the person signed in through: their district's, when they have an identity at its issuer."""
    issuers = {
        row["issuer"]
        for row in await DistrictSignInIdentity.select(DistrictSignInIdentity.issuer).where(
            DistrictSignInIdentity.user == user_id
        )
    }
    if not issuers:
        return None
    user = await User.select(User.district).where(User.id == user_id).first()
    candidates = (
        await DistrictSignInProvider.select(
            DistrictSignInProvider.district, DistrictSignInProvider.issuer, DistrictSignInProvider.client_id
        )
        .where(DistrictSignInProvider.issuer.is_in(list(issuers)))
        .order_by(DistrictSignInProvider.id)
    )
    # One issuer may serve several districts (Google's is the same for every Workspace): prefer the person's own.
    candidates.sort(key=lambda row: row["district"] != (user or {}).get("district"))
    return candidates[0] if candidates else None


async def provider_sign_out_url(user_id: int) -> str | None:
    provider = await _provider_of(user_id)
    if provider is None:
        return None
    try:
        metadata = await fetch_discovery(provider["issuer"], timeout=SIGN_OUT_DISCOVERY_TIMEOUT_SECONDS)
    except ProviderUnreachable as error:
        log.info("no provider sign-out offered: %s", error.message)
        return None
    endpoint = metadata.get("end_session_endpoint")
    if (
        not isinstance(endpoint, str)
        or urlsplit(endpoint).scheme not in ("https", "http")
        or not urlsplit(endpoint).hostname
    ):
        return None
    return add_params_to_uri(
        endpoint,
        {
            "client_id": provider["client_id"],
            "post_logout_redirect_uri": current_settings().base_url.rstrip("/") + SIGNED_OUT_PATH,
        },
    )
