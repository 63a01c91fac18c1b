"""The worker: delivers the outbox with retries and backoff; queues the timed reminders (reminders.py).

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
from typing import Callable

from booking.clock import utc_now
from booking.db import json_column
from booking.notifications import heartbeat
from booking.notifications.delivery import PermanentDeliveryError, Transport, build_message
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
    candidates = await OutboxMessage.select(OutboxMessage.id).where(
        ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
    ).order_by(OutboxMessage.next_attempt_at).limit(BATCH_SIZE)
    for candidate in candidates:
        claimed = await OutboxMessage.update(
            {OutboxMessage.status: "sending", OutboxMessage.lease_until: now + LEASE, OutboxMessage.attempts: OutboxMessage.attempts + 1}
        ).where(
            (OutboxMessage.id == candidate["id"])
            & (
                ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                | ((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
            )
        ).returning(*OutboxMessage.all_columns())
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
            await OutboxMessage.update(
                {OutboxMessage.status: "failed", OutboxMessage.last_error: str(error)[:2000], OutboxMessage.lease_until: None}
            ).where(OutboxMessage.id == row["id"])
        except Exception as error:  # network trouble, server down: try again later
            attempts = row["attempts"]
            gave_up = attempts >= MAX_ATTEMPTS
            log.warning("outbox %s attempt %s failed: %s", row["id"], attempts, error)
            await OutboxMessage.update(
                {
                    OutboxMessage.status: "failed" if gave_up else "pending",
                    OutboxMessage.next_attempt_at: utc_now() + backoff(attempts),
                    OutboxMessage.last_error: f"{type(error).__name__}: {error}"[:2000],
                    OutboxMessage.lease_until: None,
                }
            ).where(OutboxMessage.id == row["id"])
        else:
            await OutboxMessage.update(
                {OutboxMessage.status: "sent", OutboxMessage.sent_at: utc_now(), OutboxMessage.lease_until: None, OutboxMessage.last_error: ""}
            ).where(OutboxMessage.id == row["id"])
            sent += 1
            log.info("outbox %s delivered", row["id"], extra={"outbox_id": row["id"], "attempt": row["attempts"]})
        restore_request_id(request_id)
    return sent


async def run_forever(transport: Transport, interval: float = 2.0, stop: asyncio.Event | None = None,
                      clock: Callable[[], dt.datetime] = utc_now) -> None:
    from booking.notifications.reminders import CHECK_EVERY_SECONDS, send_due_reminders
    from booking.slypark.charges import bill_balances
    from booking.payments.refunds import submit_requested_refunds
    from booking.scheduling.hold_sweeper import sweep_expired_holds
    from booking.slypark.offers import expire_offers
    from booking.slypark.student_data_purge import purge_student_notes

    from booking.ops.scheduled_backups import BackupScheduler

    stop = stop or asyncio.Event()
    reminders_due = 0.0
    worker_name, beat_due = heartbeat.new_worker_name(), 0.0
    backups = BackupScheduler()  # takes the daily backup when BOOKING_BACKUP_DIR is set
    log.info("worker %s started", worker_name)
    while not stop.is_set():
        use_request_id(new_request_id("w-"))  # the outbox rows and log lines of one pass share an id
        if time.monotonic() >= beat_due:
            beat_due = time.monotonic() + heartbeat.BEAT_EVERY_SECONDS
            try:
                await heartbeat.beat(worker_name, clock())
            except Exception:
                log.exception("heartbeat failed")
        backups.start_if_due(clock())
        if time.monotonic() >= reminders_due:  # timed notices first, so this pass delivers them
            reminders_due = time.monotonic() + CHECK_EVERY_SECONDS
            try:
                await send_due_reminders(clock())
            except Exception:
                log.exception("reminder pass failed")
            try:  # Sly Park: lapsed offers recorded as released; balances billed once past each freeze date
                await expire_offers(clock())
                await bill_balances(clock())
            except Exception:
                log.exception("Sly Park pass failed")
            try:  # Lapsed holds: the seat goes to the next person waiting now, not at the next registration
                await sweep_expired_holds(clock())
            except Exception:
                log.exception("hold sweep failed")
            try:  # Students' medical and dietary notes of weeks long over are not kept
                await purge_student_notes(now=clock())
            except Exception:
                log.exception("student data purge failed")
            try:  # Refunds recorded but not yet accepted by Stripe (it was unreachable): send them again
                await submit_requested_refunds()
            except Exception:
                log.exception("refund pass failed")
        try:
            await deliver_pending(transport)
        except Exception:  # the loop must survive a database hiccup
            log.exception("outbox delivery pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except asyncio.TimeoutError:
            pass
    await backups.stop()
    try:
        await heartbeat.forget(worker_name)  # a clean stop turns /readyz at once, not after STALE_AFTER
    except Exception:
        log.exception("could not remove the heartbeat of worker %s", worker_name)
    log.info("worker %s stopped", worker_name)
