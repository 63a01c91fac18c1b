"""Helpers for API tests: tokens and offerings built through the real endpoints."""

from __future__ import annotations

import datetime as dt

from booking.accounts.api_tokens import create_api_token

PACIFIC = dt.timezone(dt.timedelta(hours=-8))


async def bearer(user: dict) -> dict:
    return {"Authorization": f"Bearer {await create_api_token(user['id'], 'test')}"}


def future_session(days: int = 30, hours: int = 3, start_hour: int = 9) -> dict:
    start = (dt.datetime.now(PACIFIC) + dt.timedelta(days=days)).replace(
        hour=start_hour, minute=0, second=0, microsecond=0
    )
    return {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=hours)).isoformat()}


async def create_offering(client, staff_headers: dict, **overrides) -> dict:
    body = {
        "kind": "workshop",
        "title": "Number Talks in Grades 3-5",
        "capacity": 25,
        "price_cents": 0,
        "sessions": [future_session()],
        "status": "published",
        **overrides,
    }
    response = await client.post("/api/v1/offerings", json=body, headers=staff_headers)
    assert response.status_code == 201, response.text
    return response.json()
