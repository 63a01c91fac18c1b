"""The worker's sign of life: a row per running worker, its `beat_at` refreshed every few seconds.

/readyz calls the worker alive while the newest beat is younger than STALE_AFTER. A worker that stops
cleanly removes its row at once (so readiness turns at once); a crashed one's row simply ages.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

from booking.clock import utc_now
from booking.notifications.tables import WorkerHeartbeat

BEAT_EVERY_SECONDS = 10.0
STALE_AFTER = dt.timedelta(seconds=60)
FORGET_AFTER = dt.timedelta(days=1)  # rows of workers that died long ago are removed by the next beat


def new_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:200]


async def beat(worker: str, now: dt.datetime | None = None) -> None:
    now = now or utc_now()
    await WorkerHeartbeat.insert(WorkerHeartbeat(worker=worker, started_at=now, beat_at=now)).on_conflict(
        target=WorkerHeartbeat.worker, action="DO UPDATE", values=[(WorkerHeartbeat.beat_at, now)]
    )
    await WorkerHeartbeat.delete().where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)


async def forget(worker: str) -> None:
    await WorkerHeartbeat.delete().where(WorkerHeartbeat.worker == worker)


async def newest_beat() -> dt.datetime | None:
    row = (
        await WorkerHeartbeat.select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at, ascending=False).first()
    )
    return row["beat_at"] if row else None
