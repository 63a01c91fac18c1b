"""Cross-cutting behaviour of the app: unexpected errors, production cookies."""

from __future__ import annotations

import dataclasses

from litestar import get

from booking.app import create_app
from booking.web.auth import SESSION_COOKIE
from tests.conftest import asgi_client
from tests.factories import DEFAULT_PASSWORD, make_user, post_form


@get("/explode", include_in_schema=False)
async def explode() -> None:
    raise RuntimeError("a bug, not bad input")


@get("/api/v1/explode", include_in_schema=False)
async def explode_api() -> None:
    raise RuntimeError("a bug, not bad input")


async def test_an_unexpected_error_is_a_friendly_500_page_and_problem_json(settings, db):
    app = create_app(settings)
    app.register(explode)
    app.register(explode_api)
    async with asgi_client(app) as client:
        page = await client.get("/explode")
        assert page.status_code == 500
        assert "Something went wrong on our side" in page.text
        assert "a bug" not in page.text  # no internals leak
        api = await client.get("/api/v1/explode")
        assert api.status_code == 500
        assert api.json()["code"] == "internal_error"
        assert "a bug" not in api.text


async def test_production_cookies_are_secure(settings, db):
    production = dataclasses.replace(settings, environment="production")
    user = await make_user("attendee")
    async with asgi_client(create_app(production), "https://testserver.local") as client:
        first = await client.get("/sign-in")
        csrf_cookie = next(c.lower() for c in first.headers.get_list("set-cookie") if c.startswith("booking_csrf"))
        assert "secure" in csrf_cookie and "httponly" in csrf_cookie
        response = await post_form(client, "/sign-in", {"email": user["email"], "password": DEFAULT_PASSWORD})
        assert response.status_code == 303
        cookies = [h.lower() for h in response.headers.get_list("set-cookie")]
        session = next(c for c in cookies if c.startswith(SESSION_COOKIE))
        assert "secure" in session and "httponly" in session and "samesite=lax" in session


async def test_with_sqlite_the_app_runs_the_email_worker_in_process(settings, db, smtp_server, engine_kind):
    """`booking serve` on SQLite needs no separate worker: the lifespan delivers the outbox."""
    import asyncio

    from booking.db import write_transaction
    from booking.notifications.outbox import enqueue_email

    in_process = dataclasses.replace(settings, smtp_url=smtp_server.url, run_worker_in_process=None)
    assert in_process.worker_in_process is (engine_kind == "sqlite")
    async with write_transaction():
        await enqueue_email("someone@example.org", "password_changed", {"name": "Someone"})
    async with asgi_client(create_app(in_process)):
        for _ in range(50):
            if smtp_server.messages:
                break
            await asyncio.sleep(0.1)
    if engine_kind == "sqlite":
        assert [m["To"] for m in smtp_server.messages] == ["someone@example.org"]
    else:
        assert smtp_server.messages == []  # PostgreSQL deployments run `booking worker` instead


async def test_every_page_links_a_favicon_that_is_served(settings, db):
    async with asgi_client(create_app(settings)) as client:
        page = await client.get("/")
        assert '<link rel="icon" href="/static/favicon.ico"' in page.text
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
        svg = await client.get("/static/favicon.svg")
        assert svg.status_code == 200 and svg.text.startswith("<svg") and "image/svg+xml" in svg.headers["content-type"]
        ico = await client.get("/static/favicon.ico")
        assert ico.status_code == 200 and ico.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
