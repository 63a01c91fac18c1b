"""GET /readyz: ready while a worker beats and the outbox drains; 503 naming the failing checks otherwise."""

from __future__ import annotations

import asyncio
import datetime as dt

from booking.clock import utc_now
from booking.notifications import heartbeat
from booking.notifications.delivery import FileTransport
from booking.notifications.outbox import enqueue_email
from booking.notifications.worker import run_forever
from booking.ops.readiness import OUTBOX_MAX_AGE, failing, readiness
from booking.ops.tables import BackupRun


async def _readyz(client) -> tuple[int, dict]:
    response = await client.get("/readyz")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


async def test_readyz_turns_unready_when_the_worker_stops(client, settings, engine_kind):
    status, body = await _readyz(client)
    assert (status, body["status"], body["failing"]) == (503, "unready", ["worker"])  # no worker yet

    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(FileTransport(settings.mail_dir), interval=0.05, stop=stop))
    try:
        for _ in range(200):
            status, body = await _readyz(client)
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert (status, body["status"], body["failing"]) == (200, "ready", [])
        assert body["checks"]["database"] == {"ok": True, "engine": engine_kind}
        assert body["checks"]["migrations"]["missing"] == 0
        assert body["checks"]["worker"]["alive"] == 1
    finally:
        stop.set()
        await worker

    status, body = await _readyz(client)
    assert (status, body["status"], body["failing"]) == (503, "unready", ["worker"])
    assert body["checks"]["worker"]["alive"] == 0


async def test_a_worker_that_died_is_ready_until_its_heartbeat_is_stale(db):
    now = utc_now()
    await heartbeat.beat("crashed-host:4242:abcdef", now)  # and then nothing more: it died

    assert failing(await readiness(now + heartbeat.STALE_AFTER - dt.timedelta(seconds=1))) == []
    later = await readiness(now + heartbeat.STALE_AFTER)
    assert (
        failing(later) == ["worker"]
        and later["worker"]["last_heartbeat_seconds_ago"] == heartbeat.STALE_AFTER.total_seconds()
    )


async def test_an_email_stuck_in_the_outbox_makes_it_unready(db):
    await enqueue_email("teacher@egusd.example", "password_changed", {"name": "Terry"})
    later = utc_now() + OUTBOX_MAX_AGE + dt.timedelta(seconds=5)
    await heartbeat.beat("live-host:1:abcdef", later)  # the worker is alive, but the message is not moving

    checks = await readiness(later)

    assert failing(checks) == ["outbox"]
    assert (
        checks["outbox"]["pending"] == 1 and checks["outbox"]["oldest_pending_seconds"] > OUTBOX_MAX_AGE.total_seconds()
    )


async def test_a_migration_not_applied_makes_it_unready(db):
    await heartbeat.beat("live-host:1:abcdef")
    [applied] = await BackupRun.raw("SELECT id, name, app_name, ran_on FROM migration WHERE app_name = 'ops'")
    await BackupRun.raw("DELETE FROM migration WHERE id = {}", applied["id"])
    try:
        checks = await readiness()
    finally:
        await BackupRun.raw(
            "INSERT INTO migration (id, name, app_name, ran_on) VALUES ({}, {}, {}, {})",
            applied["id"],
            applied["name"],
            applied["app_name"],
            applied["ran_on"],
        )
    assert failing(checks) == ["migrations"] and checks["migrations"]["missing"] == 1
    assert failing(await readiness()) == []


async def test_readyz_and_metrics_stay_out_of_the_api_document(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/readyz" not in paths and "/metrics" not in paths
