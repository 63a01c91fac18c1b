"""The JSON API: bearer tokens, problem+json, scoping."""

from __future__ import annotations

import pytest

from booking.accounts.api_tokens import create_api_token
from tests.factories import make_user


async def _bearer(user: dict) -> dict:
    return {"Authorization": f"Bearer {await create_api_token(user['id'], 'test')}"}


async def test_public_endpoint_needs_no_token(client):
    response = await client.get("/api/v1/districts")
    assert response.status_code == 200
    names = {d["name"] for d in response.json()}
    assert "Elk Grove Unified" in names and len(names) >= 13


@pytest.mark.parametrize("header", ["Bearer bk_unknown", "Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer "])
async def test_presented_but_unknown_token_is_401_even_on_public_endpoints(client, header):
    response = await client.get("/api/v1/districts", headers={"Authorization": header})
    assert response.status_code == 401
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"status", "title", "detail", "code"} <= body.keys() and body["code"] == "unauthenticated"


async def test_deactivated_owner_token_is_401(client):
    from booking.accounts.tables import User

    user = await make_user("attendee")
    headers = await _bearer(user)
    await User.update({User.is_active: False}).where(User.id == user["id"])
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_me_without_token_is_401_problem(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_session_cookie_does_not_authenticate_the_api(client):
    from tests.factories import signed_in

    await signed_in(client, await make_user("admin"))
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_unknown_api_path_is_problem_json_404(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_people_visibility_follows_the_district(client):
    coordinator = await make_user("coordinator", district="EGUSD")
    mine = await make_user("attendee", district="EGUSD")
    theirs = await make_user("attendee", district="SJUSD")
    headers = await _bearer(coordinator)
    assert (await client.get(f"/api/v1/people/{mine['id']}", headers=headers)).status_code == 200
    hidden = await client.get(f"/api/v1/people/{theirs['id']}", headers=headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    teacher_headers = await _bearer(mine)
    assert (await client.get(f"/api/v1/people/{coordinator['id']}", headers=teacher_headers)).status_code == 404
    assert (await client.get(f"/api/v1/people/{mine['id']}", headers=teacher_headers)).status_code == 200
    finance_headers = await _bearer(await make_user("finance"))
    assert (await client.get(f"/api/v1/people/{theirs['id']}", headers=finance_headers)).status_code == 200


async def test_bad_path_parameter_is_a_problem_not_a_500(client):
    headers = await _bearer(await make_user("staff"))
    response = await client.get("/api/v1/people/not-a-number", headers=headers)
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/problem+json")
