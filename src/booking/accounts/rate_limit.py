"""Attempt limits kept in the database, so every app server shares them.

A rule counts attempts against one key (an account, an address, or the pair) in a window.
The first `free` attempts of a window go through at once; after that each further attempt must
wait a delay that doubles (1 s, 2 s, 4 s ... up to `max_delay`); a rule with a `ceiling` refuses
everything once the ceiling is reached, until its window ends.

An attempt is *reserved* before the password is checked and, if it succeeds, *refunded*: only
failures are left counted, and concurrent attempts cannot slip past a limit, because the
reservation reads and changes each counter under a row lock (PostgreSQL: SELECT ... FOR UPDATE;
SQLite: the BEGIN IMMEDIATE of write_transaction) in one short transaction, with no password
hashing inside it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from booking.accounts.tables import AttemptThrottle
from booking.clock import utc_now
from booking.db import is_postgres, lock_rows_for_update, write_transaction
from booking.errors import RateLimited

# Counters of windows that ended long ago are useless; a reservation prunes a few on its way.
STALE_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    name: str
    window: dt.timedelta
    free: int  # attempts per window that never wait
    first_delay: dt.timedelta = dt.timedelta(seconds=1)
    max_delay: dt.timedelta = dt.timedelta(minutes=15)
    ceiling: int | None = None  # attempts per window after which everything is refused until it ends

    def delay_after(self, attempts: int) -> dt.timedelta | None:
        """How long the next attempt must wait once `attempts` are counted (None: no wait)."""
        if attempts < self.free:
            return None
        doublings = min(attempts - self.free, 30)
        return min(self.first_delay * (2 ** doublings), self.max_delay)


class Limited(RateLimited):
    def __init__(self, message: str, retry_after: dt.timedelta) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, math.ceil(retry_after.total_seconds()))


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _slot(rule: Rule, key: str) -> str:
    return f"{rule.name}:{key}"[:400]


async def reserve(checks: list[tuple[Rule, str]]) -> None:
    """Count one attempt against every (rule, key), or raise Limited and count nothing."""
    now = utc_now()
    slots = sorted({_slot(rule, key): rule for rule, key in checks}.items())  # one lock order: no deadlock
    async with write_transaction():
        # The rows must exist before they can be locked; a concurrent insert of the same slot is a no-op.
        await AttemptThrottle.insert(
            *[AttemptThrottle(slot=slot, failures=0, window_started_at=now) for slot, _ in slots]
        ).on_conflict(action="DO NOTHING")
        names = [slot for slot, _ in slots]
        await lock_rows_for_update(AttemptThrottle, AttemptThrottle.slot.is_in(names))
        rows = {row["slot"]: row for row in await AttemptThrottle.select().where(AttemptThrottle.slot.is_in(names))}
        updates = []
        for slot, rule in slots:
            row = rows[slot]
            attempts, next_allowed_at = row["failures"], row["next_allowed_at"]
            if row["window_started_at"] <= now - rule.window:
                attempts, next_allowed_at, row["window_started_at"] = 0, None, now
            if rule.ceiling is not None and attempts >= rule.ceiling:
                wait = row["window_started_at"] + rule.window - now
                raise Limited(f"Too many attempts. Please wait {_wait_words(math.ceil(wait.total_seconds()))} "
                              "and try again.", wait)
            if next_allowed_at is not None and now < next_allowed_at:
                wait = next_allowed_at - now
                raise Limited(f"Too many attempts. Please wait {_wait_words(math.ceil(wait.total_seconds()))} "
                              "and try again.", wait)
            attempts += 1
            delay = rule.delay_after(attempts)
            updates.append((slot, attempts, row["window_started_at"], now + delay if delay else None))
        for slot, attempts, window_started_at, next_allowed_at in updates:
            await AttemptThrottle.update({
                AttemptThrottle.failures: attempts,
                AttemptThrottle.window_started_at: window_started_at,
                AttemptThrottle.next_allowed_at: next_allowed_at,
            }).where(AttemptThrottle.slot == slot)
    await _prune(now - STALE_AFTER)


async def _prune(before: dt.datetime) -> None:
    """Outside the reservation's transaction and skipping locked rows, so pruning never waits on
    (or deadlocks with) an attempt in progress."""
    if is_postgres():
        await AttemptThrottle.raw(
            "DELETE FROM attempt_throttle WHERE id IN (SELECT id FROM attempt_throttle "
            "WHERE window_started_at < {} LIMIT 200 FOR UPDATE SKIP LOCKED)", before)
    else:
        async with write_transaction():
            await AttemptThrottle.delete().where(AttemptThrottle.window_started_at < before)


async def refund(checks: list[tuple[Rule, str]]) -> None:
    """The reserved attempt succeeded: it does not count, and a key back under its free attempts waits no more."""
    slots = sorted({_slot(rule, key): rule for rule, key in checks}.items())
    async with write_transaction():
        names = [slot for slot, _ in slots]
        await lock_rows_for_update(AttemptThrottle, AttemptThrottle.slot.is_in(names))
        rows = {row["slot"]: row for row in await AttemptThrottle.select().where(AttemptThrottle.slot.is_in(names))}
        for slot, rule in slots:
            row = rows.get(slot)
            if row is None or row["failures"] <= 0:
                continue
            failures = row["failures"] - 1
            next_allowed_at = row["next_allowed_at"] if failures >= rule.free else None
            await AttemptThrottle.update({
                AttemptThrottle.failures: failures, AttemptThrottle.next_allowed_at: next_allowed_at,
            }).where(AttemptThrottle.slot == slot)


async def failures_counted(rule: Rule, key: str) -> int:
    """The attempts counted against `key` in its current window (for pages and tests)."""
    row = await AttemptThrottle.select(AttemptThrottle.failures, AttemptThrottle.window_started_at).where(
        AttemptThrottle.slot == _slot(rule, key)).first()
    if row is None or row["window_started_at"] <= utc_now() - rule.window:
        return 0
    return row["failures"]
