"""Attempt limits kept in the database, so every app server shares them.

A rule counts failures against one key (an account, an address, or the pair) in a window. The
first `free` failures of a window cost nothing; after that each further attempt must wait a delay
that doubles (1 s, 2 s, 4 s ... up to `max_delay`); a rule with a `ceiling` refuses everything once
the ceiling is reached, until its window ends.

An attempt is *reserved* before the password is checked and *settled* after it: a success leaves
nothing counted, a failure is counted. A reservation counts as a possible failure while it is under
way, so concurrent attempts cannot slip past a limit: the counters are read and changed under a
row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the BEGIN IMMEDIATE of write_transaction), in
short transactions with no password hashing inside. An attempt that would pass the limit only if
every attempt under way failed is not refused: it waits (up to QUEUE_WAIT) for them to settle, so a
room of people signing in at the same moment queues instead of being told to wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import dataclass

from booking.accounts.tables import AttemptThrottle
from booking.clock import utc_now
from booking.db import is_postgres, lock_rows_for_update, write_transaction
from booking.errors import RateLimited

# Counters of windows that ended long ago are useless; a reservation prunes a few on its way.
STALE_AFTER = dt.timedelta(days=1)
# An attempt under way that was never settled (its server died) stops counting after this.
PENDING_LIFETIME = dt.timedelta(seconds=60)
QUEUE_WAIT = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Rule:
    name: str
    window: dt.timedelta
    free: int  # failures per window that never make anyone wait
    first_delay: dt.timedelta = dt.timedelta(seconds=1)
    max_delay: dt.timedelta = dt.timedelta(minutes=15)
    ceiling: int | None = None  # failures per window after which everything is refused until it ends

    def delay_after(self, failures: int) -> dt.timedelta | None:
        """How long the next attempt must wait once `failures` are counted (None: no wait)."""
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 30)
        return min(self.first_delay * (2**doublings), self.max_delay)


class Limited(RateLimited):
    def __init__(self, wait: dt.timedelta) -> None:
        self.retry_after_seconds = max(1, math.ceil(wait.total_seconds()))
        super().__init__(f"Too many attempts. Please wait {_wait_words(self.retry_after_seconds)} and try again.")


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _slots(checks: list[tuple[Rule, str]]) -> list[tuple[str, Rule]]:
    # Sorted: every transaction locks the rows in one order, so two can never deadlock.
    return sorted({f"{rule.name}:{key}"[:400]: rule for rule, key in checks}.items())


def _current(row: dict, rule: Rule, now: dt.datetime) -> dict:
    """The row as it stands now: a window that ended starts afresh, forgotten attempts under way are dropped."""
    row = dict(row)
    if row["window_started_at"] <= now - rule.window:
        row.update(failures=0, next_allowed_at=None, window_started_at=now)
    if row["pending_expires_at"] is None or row["pending_expires_at"] <= now:
        row["pending"] = 0
    return row


def _verdict(row: dict, rule: Rule, now: dt.datetime) -> dt.timedelta | str | None:
    """None: go ahead; a timedelta: refused, wait that long; "queue": wait for attempts under way."""
    failures, pending = row["failures"], row["pending"]
    if rule.ceiling is not None and failures >= rule.ceiling:
        return row["window_started_at"] + rule.window - now
    if row["next_allowed_at"] is not None and now < row["next_allowed_at"]:
        return row["next_allowed_at"] - now
    if rule.ceiling is not None and failures + pending >= rule.ceiling:
        return "queue"
    if failures >= rule.free and pending > 0:
        return "queue"  # past the free failures, one attempt at a time
    if failures < rule.free <= failures + pending:
        return "queue"
    return None


async def _lock(slots: list[tuple[str, Rule]]) -> dict[str, dict]:
    names = [slot for slot, _ in slots]
    await lock_rows_for_update(AttemptThrottle, AttemptThrottle.slot.is_in(names))
    return {row["slot"]: row for row in await AttemptThrottle.select().where(AttemptThrottle.slot.is_in(names))}


async def _save(slot: str, row: dict) -> None:
    await AttemptThrottle.update(
        {
            AttemptThrottle.failures: row["failures"],
            AttemptThrottle.pending: row["pending"],
            AttemptThrottle.window_started_at: row["window_started_at"],
            AttemptThrottle.next_allowed_at: row["next_allowed_at"],
            AttemptThrottle.pending_expires_at: row["pending_expires_at"],
        }
    ).where(AttemptThrottle.slot == slot)


async def _try_reserve(slots: list[tuple[str, Rule]]) -> dt.timedelta | str | None:
    now = utc_now()
    async with write_transaction():
        # The rows must exist before they can be locked; a concurrent insert of the same slot is a no-op.
        await AttemptThrottle.insert(
            *[AttemptThrottle(slot=slot, failures=0, pending=0, window_started_at=now) for slot, _ in slots]
        ).on_conflict(action="DO NOTHING")
        rows = await _lock(slots)
        current = {slot: _current(rows[slot], rule, now) for slot, rule in slots}
        verdicts = [_verdict(current[slot], rule, now) for slot, rule in slots]
        refusals = [v for v in verdicts if isinstance(v, dt.timedelta)]
        if refusals:
            return max(refusals)
        if "queue" in verdicts:
            return "queue"
        for slot, rule in slots:
            row = current[slot]
            if row["failures"] >= rule.free:
                # Past the free failures: whatever this attempt's outcome, the next one waits.
                row["next_allowed_at"] = now + rule.delay_after(row["failures"])
            row.update(pending=row["pending"] + 1, pending_expires_at=now + PENDING_LIFETIME)
            await _save(slot, row)
    return None


async def reserve(checks: list[tuple[Rule, str]]) -> None:
    """Count one attempt under way against every (rule, key), or raise Limited and count nothing."""
    slots = _slots(checks)
    waited, pause = dt.timedelta(0), 0.05
    while True:
        verdict = await _try_reserve(slots)
        if verdict is None:
            break
        if isinstance(verdict, dt.timedelta):
            raise Limited(verdict)
        if waited >= QUEUE_WAIT:
            raise Limited(dt.timedelta(seconds=1))
        await asyncio.sleep(pause)
        waited += dt.timedelta(seconds=pause)
        pause = min(pause * 2, 0.5)
    await _prune(utc_now() - STALE_AFTER)


async def settle(checks: list[tuple[Rule, str]], *, failed: bool) -> None:
    """The reserved attempt is over: a failure is counted (and may make the next one wait), a success is not."""
    slots = _slots(checks)
    now = utc_now()
    async with write_transaction():
        rows = await _lock(slots)
        for slot, rule in slots:
            if slot not in rows:
                continue
            row = _current(rows[slot], rule, now)
            row["pending"] = max(0, row["pending"] - 1)
            if failed:
                row["failures"] += 1
                delay = rule.delay_after(row["failures"])
                if delay is not None:
                    later = now + delay
                    row["next_allowed_at"] = max(row["next_allowed_at"] or later, later)
            elif row["failures"] < rule.free:
                row["next_allowed_at"] = None
            await _save(slot, row)


async def count(checks: list[tuple[Rule, str]]) -> None:
    """An attempt that always counts (a request that sends mail): reserve it and count it at once."""
    await reserve(checks)
    await settle(checks, failed=True)


async def _prune(before: dt.datetime) -> None:
    """Outside the reservation's transaction and skipping locked rows, so pruning never waits on
    (or deadlocks with) an attempt in progress."""
    if is_postgres():
        await AttemptThrottle.raw(
            "DELETE FROM attempt_throttle WHERE id IN (SELECT id FROM attempt_throttle "
            "WHERE window_started_at < {} LIMIT 200 FOR UPDATE SKIP LOCKED)",
            before,
        )
    else:
        async with write_transaction():
            await AttemptThrottle.delete().where(AttemptThrottle.window_started_at < before)


async def failures_counted(rule: Rule, key: str) -> int:
    """The attempts counted against `key` in its current window (for pages and tests)."""
    row = (
        await AttemptThrottle.select(AttemptThrottle.failures, AttemptThrottle.window_started_at)
        .where(AttemptThrottle.slot == _slots([(rule, key)])[0][0])
        .first()
    )
    if row is None or row["window_started_at"] <= utc_now() - rule.window:
        return 0
    return row["failures"]
