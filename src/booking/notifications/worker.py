"""The worker: delivers the outbox with retries and backoff; runs the periodic jobs the packages registered (jobs.py).

Claiming is one conditional UPDATE, so two workers (or two app servers) never take the same
message; a message is marked sent right after the server accepts it. If a worker dies
between those two steps, the lease expires and the message is sent again with the same
Message-ID, which receiving systems use to drop the duplicate: the only way to double-send.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from booking.clock import utc_now
from booking.db import json_column, write_transaction
from booking.notifications import heartbeat
from booking.notifications.delivery import PermanentDeliveryError, Transport, build_message
from booking.notifications.jobs import companions, periodic_jobs
from booking.notifications.tables import OutboxMessage
from booking.observability.context import current_request_id, new_request_id, restore_request_id, use_request_id

log = logging.getLogger("booking.worker")

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH_SIZE = 20


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at 1 hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


async def _claim_next() -> dict | None:
    now = utc_now()
    candidates = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(
            ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
            | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(BATCH_SIZE)
    )
    for candidate in candidates:
        # Each of the worker's writes is a short transaction of its own, so that it queues with the app's writers
        # (on SQLite, the in-process writer queue) instead of meeting a registration's BEGIN IMMEDIATE in SQLite's
        # busy handler, which sleeps between polls: under a rush that held every registration up for the sleeps.
        async with write_transaction():
            claimed = (
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: "sending",
                        OutboxMessage.lease_until: now + LEASE,
                        OutboxMessage.attempts: OutboxMessage.attempts + 1,
                    }
                )
                .where(
                    (OutboxMessage.id == candidate["id"])
                    & (
                        ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                        | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
                    )
                )
                .returning(*OutboxMessage.all_columns())
            )
        if claimed:
            row = claimed[0]
            row["attachments"] = json_column(row["attachments"], "[]")  # build_message wants the list
            return row
    return None


async def deliver_pending(transport: Transport, limit: int = 100) -> int:
    """Deliver what is due now; returns how many messages were sent."""
    sent = 0
    for _ in range(limit):
        row = await _claim_next()
        if row is None:
            break
        # The lines about this message carry the id of the request (or worker pass) that wrote it.
        request_id = use_request_id(row.get("request_id") or current_request_id())
        try:
            await transport.send(build_message(row))
        except PermanentDeliveryError as error:
            log.warning("outbox %s failed for good: %s", row["id"], error)
            async with write_transaction():
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: "failed",
                        OutboxMessage.last_error: str(error)[:2000],
                        OutboxMessage.lease_until: None,
                    }
                ).where(OutboxMessage.id == row["id"])
        except Exception as error:  # network trouble, server down: try again later
            attempts = row["attempts"]
            gave_up = attempts >= MAX_ATTEMPTS
            log.warning("outbox %s attempt %s failed: %s", row["id"], attempts, error)
            async with write_transaction():
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: "failed" if gave_up else "pending",
                        OutboxMessage.next_attempt_at: utc_now() + backoff(attempts),
                        OutboxMessage.last_error: f"{type(error).__name__}: {error}"[:2000],
                        OutboxMessage.lease_until: None,
                    }
                ).where(OutboxMessage.id == row["id"])
        else:
            async with write_transaction():
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: "sent",
                        OutboxMessage.sent_at: utc_now(),
                        OutboxMessage.lease_until: None,
                        OutboxMessage.last_error: "",
                    }
                ).where(OutboxMessage.id == row["id"])
            sent += 1
            log.info("outbox %s delivered", row["id"], extra={"outbox_id": row["id"], "attempt": row["attempts"]})
        restore_request_id(request_id)
    return sent


async def run_forever(
    transport: Transport,
    interval: float = 2.0,
    stop: asyncio.Event | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> None:
    stop = stop or asyncio.Event()
    jobs = periodic_jobs()
    due = [0.0] * len(jobs)
    worker_name, beat_due = heartbeat.new_worker_name(), 0.0
    running = [make() for make in companions()]  # the daily backup, when BOOKING_BACKUP_DIR is set
    log.info("worker %s started", worker_name)
    while not stop.is_set():
        use_request_id(new_request_id("w-"))  # the outbox rows and log lines of one pass share an id
        if time.monotonic() >= beat_due:
            beat_due = time.monotonic() + heartbeat.BEAT_EVERY_SECONDS
            try:
                await heartbeat.beat(worker_name, clock())
            except Exception:
                log.exception("heartbeat failed")
        for each in running:
            each.start_if_due(clock())
        for index, job in enumerate(jobs):  # the packages' periodic jobs, before this pass delivers the outbox
            if time.monotonic() < due[index]:
                continue
            due[index] = time.monotonic() + job.every
            try:
                await job.run(clock())
            except Exception:
                log.exception("%s failed", job.name)
        try:
            await deliver_pending(transport)
        except Exception:  # the loop must survive a database hiccup
            log.exception("outbox delivery pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
    for each in running:
        await each.stop()
    try:
        await heartbeat.forget(worker_name)  # a clean stop turns /readyz at once, not after STALE_AFTER
    except Exception:
        log.exception("could not remove the heartbeat of worker %s", worker_name)
    log.info("worker %s stopped", worker_name)
