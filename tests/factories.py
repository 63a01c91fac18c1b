"""Factories for people and districts, and helpers to act as them over HTTP."""

from __future__ import annotations

import itertools
import re

import pytest

from booking.accounts.districts import find_district
from booking.accounts.sessions import start_session
from booking.accounts.users import create_user
from booking.web.auth import SESSION_COOKIE

DEFAULT_PASSWORD = "correct horse battery"
_counter = itertools.count(1)


async def make_user(
    role: str = "attendee",
    *,
    district: str | None = None,
    email: str | None = None,
    name: str | None = None,
    password: str | None = DEFAULT_PASSWORD,
    school_id: int | None = None,
) -> dict:
    if role == "coordinator" and district is None:
        district = "EGUSD"
    district_id = (await find_district(district))["id"] if district else None
    n = next(_counter)
    return await create_user(
        email=email or f"{role}{n}@example.org",
        name=name or f"{role.title()} Person {n}",
        role=role,
        district_id=district_id,
        school_id=school_id,
        password=password,
    )


async def signed_in(client, user: dict) -> dict:
    """Give the test client a real server-side session for `user`."""
    token = await start_session(user["id"], "pytest")
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    return user


def token_from_page(response) -> str:
    """The CSRF token of a page that rendered: taking one from an error page would hide the error."""
    assert response.status_code == 200, (
        f"GET {response.request.url} answered {response.status_code}, not 200: no token taken from it\n{response.text[:500]}"
    )
    match = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
    assert match, f"no CSRF token on {response.request.url}"
    return match.group(1)


async def csrf_token(client, path: str = "/sign-in") -> str:
    return token_from_page(await client.get(path))


async def post_form(client, path: str, data: dict, *, token_from: str = "/sign-in", **kwargs):
    token = await csrf_token(client, token_from)
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


@pytest.fixture
def factories():
    class Factories:
        user = staticmethod(make_user)

    return Factories
