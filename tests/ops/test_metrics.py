"""GET /metrics: Prometheus text for the metrics token or an allowed address (anyone else 404), and metrics that move."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from booking.app import create_app
from booking.ops.manual_backup import take_manual_backup
from booking.settings import parse_metrics_allow, use_settings
from booking_stripe_double import sign_payload
from tests.api_helpers import bearer, create_offering
from tests.conftest import TEST_SECRET, TEST_WEBHOOK_SECRET, asgi_client, free_port, run_cli
from tests.factories import make_user
from tests.payments.webhook_helpers import post_event

TOKEN = "metrics-token-for-the-tests-0123"
only_sqlite = pytest.mark.parametrize("engine_kind", ["sqlite"])


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label items): value}, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scraped: dict, name: str, **labels) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def metrics_client(settings, db):
    app = create_app(use_settings(dataclasses.replace(settings, metrics_token=TOKEN)))
    async with asgi_client(app) as client:
        yield client


async def scrape(client) -> dict:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


@only_sqlite
async def test_metrics_are_404_for_anyone_without_the_token_or_an_allowed_address(settings, db):
    with_token = dataclasses.replace(settings, metrics_token=TOKEN)
    async with asgi_client(create_app(use_settings(with_token))) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (
            await client.get("/metrics", headers={"Authorization": "Bearer not-the-token-0123456789"})
        ).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})).status_code == 404
        assert (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
    # The test client connects from 127.0.0.1.
    for allow, expected in (("127.0.0.0/8", 200), ("10.0.0.0/8, ::1", 404), ("", 404)):
        allowed = dataclasses.replace(settings, metrics_allow=parse_metrics_allow(allow))
        async with asgi_client(create_app(use_settings(allowed))) as client:
            assert (await client.get("/metrics")).status_code == expected, allow


async def test_metrics_move_when_registrations_happen(metrics_client, engine_kind):
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(metrics_client, staff, capacity=1, title="One seat left")
    url = f"/api/v1/offerings/{offering['id']}/registrations"
    first, second = await bearer(await make_user("attendee")), await bearer(await make_user("attendee"))
    before = await scrape(metrics_client)

    assert (await metrics_client.post(url, json={}, headers=first)).json()["status"] == "confirmed"
    assert (await metrics_client.post(url, json={}, headers=second)).json()["status"] == "waitlisted"
    assert (await metrics_client.post(url, json={}, headers=second)).status_code == 409
    after = await scrape(metrics_client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("booking_registrations_total", outcome="confirmed", reason="") == 1
    assert moved("booking_registrations_total", outcome="waitlisted", reason="") == 1
    assert moved("booking_registrations_total", outcome="refused", reason="already_registered") == 1
    route = "/api/v1/offerings/{offering_id}/registrations"  # the template, whatever the id
    assert moved("booking_http_requests_total", method="POST", route=route, status="201") == 2
    assert moved("booking_http_requests_total", method="POST", route=route, status="409") == 1
    assert moved("booking_http_request_duration_seconds_count", method="POST", route=route) == 3
    # From the database: the confirmation and waiting-list emails wait for the worker.
    assert value(after, "booking_outbox_depth") == value(after, "booking_outbox_messages", status="pending") == 2
    assert value(after, "booking_outbox_oldest_pending_age_seconds") >= 0
    assert value(after, "booking_ready", check="database") == 1 and value(after, "booking_ready", check="worker") == 0


@only_sqlite
async def test_stripe_webhooks_are_counted_by_outcome(metrics_client):
    body = json.dumps({"id": "evt_metrics_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}).encode()
    before = await scrape(metrics_client)

    assert (await post_event(metrics_client, body, "t=1,v1=forged")).status_code == 400
    signature = sign_payload(body, TEST_WEBHOOK_SECRET, int(time.time()))
    assert (await post_event(metrics_client, body, signature)).status_code == 200
    assert (await post_event(metrics_client, body, signature)).status_code == 200
    after = await scrape(metrics_client)

    for outcome in ("refused", "ignored", "duplicate"):
        assert (
            value(after, "booking_stripe_webhooks_total", outcome=outcome)
            - value(before, "booking_stripe_webhooks_total", outcome=outcome)
            == 1
        ), outcome


async def test_the_age_of_the_newest_backup_is_reported(metrics_client, settings, tmp_path):
    assert ("booking_backup_age_seconds", (("kind", "manual"),)) not in await scrape(metrics_client)

    await take_manual_backup(settings, tmp_path / "backup")

    scraped = await scrape(metrics_client)
    assert 0 <= value(scraped, "booking_backup_age_seconds", kind="manual") < 120
    assert value(scraped, "booking_backup_last_attempt_failed", kind="manual") == 0


def test_several_server_processes_add_up_their_counts(tmp_path):
    """`booking serve --workers 2`: whichever process answers /metrics reports the requests of both."""
    database_url = f"sqlite:///{tmp_path / 'serve.db'}"
    run_cli("migrate", database_url=database_url, var_dir=tmp_path / "var", check=True)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BOOKING_", "PROMETHEUS_"))}
    env.update(
        BOOKING_DATABASE_URL=database_url,
        BOOKING_VAR_DIR=str(tmp_path / "var"),
        BOOKING_SECRET_KEY=TEST_SECRET,
        BOOKING_METRICS_TOKEN=TOKEN,
    )
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        for _ in range(40):  # new connections: the two processes share the listening socket
            assert urllib.request.urlopen(f"{base}/workshops", timeout=10).status == 200
        scraped = []
        for _ in range(4):
            request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            scraped.append(samples(urllib.request.urlopen(request, timeout=10).read().decode()))
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    for each in scraped:
        assert value(each, "booking_http_requests_total", method="GET", route="/workshops", status="200") == 40
    assert (tmp_path / "var" / "prometheus").is_dir()
