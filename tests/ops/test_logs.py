"""Logs with a thread: one JSON line per request, the request id carried into the outbox and the worker's lines,
a traceback logged once, and nothing secret (the scan in tests/log_scan.py runs after every test)."""

from __future__ import annotations

import json
import logging

import pytest
from litestar import get

from booking.accounts.secrets_util import new_token
from booking.app import create_app
from booking.notifications.delivery import FileTransport
from booking.notifications.tables import OutboxMessage
from booking.notifications.worker import deliver_pending
from booking.observability.logs import REDACTED, JsonLogFormatter
from tests.api_helpers import bearer, create_offering
from tests.conftest import TEST_SECRET, asgi_client
from tests.factories import DEFAULT_PASSWORD, make_user, signed_in
from tests.log_scan import leaks

only_sqlite = pytest.mark.parametrize("engine_kind", ["sqlite"])


def records(log_lines, logger: str | None = None) -> list[dict]:
    """The JSON objects logged so far in this test (the autouse scan still sees them all afterwards)."""
    parsed = [json.loads(line) for line in list(log_lines.lines)]
    return [r for r in parsed if logger is None or r["logger"] == logger]


@only_sqlite
async def test_every_request_has_one_json_line_with_route_status_duration_person_and_request_id(client, log_lines):
    user = await signed_in(client, await make_user("attendee"))

    account = await client.get("/account")
    traced = await client.get("/workshops", headers={"X-Request-ID": "lb-2f1c9e7a5b3d4c1e"})
    forged = await client.get("/workshops", headers={"X-Request-ID": "<script>" + "x" * 80})
    missing = await client.get("/no/such/page")
    link_token = new_token()
    await client.get(f"/sign-in/link/{link_token}")

    lines = records(log_lines, "booking.requests")
    assert len(lines) == 5
    first = lines[0]
    assert {k: first[k] for k in ("level", "method", "route", "status", "person_id")} == {
        "level": "INFO",
        "method": "GET",
        "route": "/account",
        "status": 200,
        "person_id": user["id"],
    }
    assert first["request_id"] == account.headers["x-request-id"] and len(first["request_id"]) == 32
    assert isinstance(first["duration_ms"], float) and first["time"].endswith("+00:00")
    assert traced.headers["x-request-id"] == lines[1]["request_id"] == "lb-2f1c9e7a5b3d4c1e"
    assert forged.headers["x-request-id"] == lines[2]["request_id"] and "<" not in lines[2]["request_id"]
    assert (lines[3]["route"], lines[3]["status"], missing.status_code) == ("unmatched", 404, 404)
    # A path can hold a secret: the line names the route's template, never the path.
    assert lines[4]["route"] == "/sign-in/link/{token}"
    assert link_token not in "".join(log_lines.lines)


async def test_the_request_id_follows_a_registration_into_its_email_and_the_workers_line(client, settings, log_lines):
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(client, staff, title="Restorative Circles")
    attendee = await bearer(await make_user("attendee"))

    response = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations",
        json={},
        headers={**attendee, "X-Request-ID": "trace-registration-0001"},
    )

    assert response.status_code == 201 and response.headers["x-request-id"] == "trace-registration-0001"
    [message] = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.request_id).where(
        OutboxMessage.subject.like("%Restorative Circles%")
    )
    assert message["request_id"] == "trace-registration-0001"
    assert await deliver_pending(FileTransport(settings.mail_dir)) >= 1
    delivered = [r for r in records(log_lines, "booking.worker") if r.get("outbox_id") == message["id"]]
    assert [(r["message"], r["request_id"]) for r in delivered] == [
        (f"outbox {message['id']} delivered", "trace-registration-0001")
    ]


@get("/explode-for-the-log", include_in_schema=False)
async def explode() -> None:
    raise RuntimeError("a bug, not bad input")


@only_sqlite
async def test_an_unexpected_error_is_logged_once_with_its_traceback(settings, db, log_lines):
    app = create_app(settings)
    app.register(explode)
    async with asgi_client(app) as client:
        response = await client.get("/explode-for-the-log")

    assert response.status_code == 500
    with_traceback = [r for r in records(log_lines) if "traceback" in r]
    assert len(with_traceback) == 1
    [error] = with_traceback
    assert error["level"] == "ERROR" and "RuntimeError: a bug, not bad input" in error["traceback"]
    assert error["message"] == "unhandled error on GET /explode-for-the-log"
    [line] = records(log_lines, "booking.requests")
    assert (line["status"], line["request_id"]) == (500, error["request_id"])


@only_sqlite
async def test_the_configured_secrets_are_redacted_from_any_line(settings, db):
    record = logging.LogRecord(
        "booking.test", logging.WARNING, __file__, 1, "connecting with key %s", (TEST_SECRET,), None
    )

    line = JsonLogFormatter().format(record)

    assert TEST_SECRET not in line and REDACTED in line


def test_the_scan_finds_what_must_never_be_logged():
    token = new_token()
    planted = [
        '{"message": "GET /sign-in/link/%s 200"}' % token,  # noqa: UP031 - JSON's braces read plainer than doubled
        '{"message": "api call", "token": "bk_%s"}' % new_token(),  # noqa: UP031 - JSON's braces read plainer than doubled
        '{"message": "headers", "authorization": "Bearer abcdefghijklmnop"}',
        '{"message": "sign-in", "password": "%s"}' % DEFAULT_PASSWORD,  # noqa: UP031 - JSON's braces read plainer than doubled
        '{"message": "cookie booking_session=abc"}',
        '{"message": "intake saved", "notes": "Peanut allergy: EpiPen in backpack"}',
    ]
    ordinary = [
        '{"message": "GET /workshops/{offering_id} 200", "request_id": "5f0c1d2e3a4b5c6d7e8f901234567890"}',
        '{"message": "backup done", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}',
        '{"message": "test_a_backup_taken_during_a_registration_burst_restores_a_state"}',
    ]

    found = leaks(planted + ordinary, ("Peanut allergy: EpiPen in backpack",))

    assert [f.split(":")[0] for f in found] == [f"line {n}" for n in range(len(planted))]
