"""GET /readyz: is the whole service working, the email worker included?

/healthz (the contract) says a server process answers and reaches its database; /readyz adds what an
operator needs to trust the service: the migrations of this release are applied, a worker is alive
(its heartbeat is fresh) and the outbox drains (its oldest undelivered message is young). Point the
load balancer at /healthz and the monitoring at /readyz: a stopped worker must page someone, but it
must not take every app server out of the load balancer.
"""

from __future__ import annotations

import datetime as dt
import logging

from booking.clock import utc_now
from booking.db import database_kind, ping
from booking.notifications.heartbeat import STALE_AFTER
from booking.notifications.tables import OutboxMessage, WorkerHeartbeat
from booking.ops.schema import MIGRATION_TABLE, migration_names, shipped_migrations

log = logging.getLogger("booking.readiness")

OUTBOX_MAX_AGE = dt.timedelta(minutes=15)
UNDELIVERED = ("pending", "sending")


def _seconds(delta: dt.timedelta) -> float:
    return round(max(delta.total_seconds(), 0.0), 1)


async def _migrations() -> dict:
    rows = await OutboxMessage.raw(f"SELECT app_name, name FROM {MIGRATION_TABLE}")
    applied = set(migration_names((row["app_name"], row["name"]) for row in rows))
    missing = sorted(shipped_migrations() - applied)
    # Applied but unknown: a newer release migrated the database (a rolling upgrade); this one still works.
    return {"ok": not missing, "missing": len(missing), "newer": len(applied - shipped_migrations())}


async def _worker(now: dt.datetime) -> dict:
    beats = await WorkerHeartbeat.select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at, ascending=False)
    alive = [row for row in beats if now - row["beat_at"] < STALE_AFTER]
    newest = beats[0]["beat_at"] if beats else None
    return {
        "ok": bool(alive),
        "alive": len(alive),
        "stale_after_seconds": int(STALE_AFTER.total_seconds()),
        "last_heartbeat_seconds_ago": _seconds(now - newest) if newest else None,
    }


async def _outbox(now: dt.datetime) -> dict:
    waiting = OutboxMessage.status.is_in(list(UNDELIVERED))
    pending = await OutboxMessage.count().where(waiting)
    oldest = (
        await OutboxMessage.select(OutboxMessage.created_at).where(waiting).order_by(OutboxMessage.created_at).first()
    )
    age = now - oldest["created_at"] if oldest else dt.timedelta(0)
    return {
        "ok": age < OUTBOX_MAX_AGE,
        "pending": pending,
        "oldest_pending_seconds": _seconds(age),
        "max_age_seconds": int(OUTBOX_MAX_AGE.total_seconds()),
    }


async def readiness(now: dt.datetime | None = None) -> dict[str, dict]:
    """Each check: {"ok": bool, ...details}. Details are counts and ages, never connection strings."""
    now = now or utc_now()
    try:
        await ping()
    except Exception as error:
        log.warning("readiness: database unreachable (%s)", type(error).__name__)
        failed = {"ok": False, "error": "database unreachable"}
        return {
            "database": {"ok": False, "error": type(error).__name__},
            "migrations": failed,
            "worker": failed,
            "outbox": failed,
        }
    checks = {"database": {"ok": True, "engine": database_kind()}}
    for name, check in (("migrations", _migrations), ("worker", _worker), ("outbox", _outbox)):
        try:
            checks[name] = await check(now) if name != "migrations" else await check()
        except Exception as error:
            log.warning("readiness: the %s check failed (%s: %s)", name, type(error).__name__, error)
            checks[name] = {"ok": False, "error": type(error).__name__}
    return checks


def failing(checks: dict[str, dict]) -> list[str]:
    return [name for name, check in checks.items() if not check["ok"]]
