"""The half of /metrics read from the database at scrape time: the same on every server, whichever answers."""

from __future__ import annotations

import datetime as dt

from prometheus_client.core import GaugeMetricFamily, Metric

from booking.clock import utc_now
from booking.notifications.tables import OUTBOX_STATUSES, OutboxMessage
from booking.ops.readiness import readiness
from booking.ops.tables import BACKUP_KINDS, BackupRun


def _gauge(
    name: str, documentation: str, value: float | None = None, labels: list[str] | None = None
) -> GaugeMetricFamily:
    if labels:
        return GaugeMetricFamily(name, documentation, labels=labels)
    return GaugeMetricFamily(name, documentation, value=value)


async def _outbox(now: dt.datetime) -> list[Metric]:
    by_status = {status: 0 for status in OUTBOX_STATUSES}
    for row in await OutboxMessage.raw("SELECT status, count(*) AS n FROM outbox_message GROUP BY status"):
        by_status[row["status"]] = row["n"]
    messages = _gauge(
        "booking_outbox_messages", "Outbox messages by status (failed: given up after retries).", labels=["status"]
    )
    for status, count in by_status.items():
        messages.add_metric([status], count)
    retrying = await OutboxMessage.count().where((OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0))
    oldest = (
        await OutboxMessage.select(OutboxMessage.created_at)
        .where(OutboxMessage.status.is_in(["pending", "sending"]))
        .order_by(OutboxMessage.created_at)
        .first()
    )
    age = (now - oldest["created_at"]).total_seconds() if oldest else 0.0
    return [
        messages,
        _gauge(
            "booking_outbox_depth",
            "Messages waiting to be delivered (pending or being sent).",
            by_status["pending"] + by_status["sending"],
        ),
        _gauge(
            "booking_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered message (0 when none).",
            max(age, 0.0),
        ),
        _gauge(
            "booking_outbox_deliveries_failed", "Messages that failed for good (no more retries).", by_status["failed"]
        ),
        _gauge("booking_outbox_deliveries_retrying", "Undelivered messages whose last attempt failed.", retrying),
    ]


async def _backups(now: dt.datetime) -> list[Metric]:
    last_success = _gauge(
        "booking_backup_last_success_timestamp_seconds", "When the newest successful backup finished.", labels=["kind"]
    )
    age = _gauge("booking_backup_age_seconds", "Seconds since the newest successful backup finished.", labels=["kind"])
    last_failed = _gauge(
        "booking_backup_last_attempt_failed", "1 when the newest backup attempt failed.", labels=["kind"]
    )
    for kind in BACKUP_KINDS:
        success = (
            await BackupRun.select(BackupRun.finished_at)
            .where((BackupRun.kind == kind) & (BackupRun.status == "succeeded"))
            .order_by(BackupRun.finished_at, ascending=False)
            .first()
        )
        if success:
            last_success.add_metric([kind], success["finished_at"].timestamp())
            age.add_metric([kind], max((now - success["finished_at"]).total_seconds(), 0.0))
        latest = (
            await BackupRun.select(BackupRun.status)
            .where(BackupRun.kind == kind)
            .order_by(BackupRun.started_at, ascending=False)
            .first()
        )
        if latest:
            last_failed.add_metric([kind], 1.0 if latest["status"] == "failed" else 0.0)
    return [last_success, age, last_failed]


async def database_metrics(now: dt.datetime | None = None) -> list[Metric]:
    now = now or utc_now()
    checks = await readiness(now)
    ready = _gauge("booking_ready", "1 when the /readyz check passes.", labels=["check"])
    for name, check in checks.items():
        ready.add_metric([name], 1.0 if check["ok"] else 0.0)
    families: list[Metric] = [ready]
    worker = checks["worker"]
    if "alive" in worker:
        families.append(_gauge("booking_workers_alive", "Workers whose heartbeat is fresh.", worker["alive"]))
        if worker["last_heartbeat_seconds_ago"] is not None:
            families.append(
                _gauge(
                    "booking_worker_heartbeat_age_seconds",
                    "Seconds since the newest worker heartbeat.",
                    worker["last_heartbeat_seconds_ago"],
                )
            )
    if not checks["database"]["ok"]:
        return families
    families += await _outbox(now)
    families += await _backups(now)
    return families
