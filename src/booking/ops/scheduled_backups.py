"""The worker's daily backup into BOOKING_BACKUP_DIR, kept N daily and M weekly; admins told when one fails.

Each local day (America/Los_Angeles) has one slot, `daily:YYYY-MM-DD`. The first worker pass of the
day (or the first after the worker starts) claims it by inserting its backup_run row, so of several
workers only one takes it. A failed backup is tried again an hour later, up to MAX_ATTEMPTS a day,
and every failure is written to the outbox for each active admin. A backup that was running when
its worker died is taken over after RUNNING_LEASE.

The backup runs as a task of its own: a PostgreSQL dump or a large SQLite copy takes minutes, and the
worker goes on delivering email and beating its heartbeat meanwhile.

Retention: in BOOKING_BACKUP_DIR, this scheduler owns the directories named `booking-<UTC time>`;
it keeps the newest backup of each of the last BOOKING_BACKUP_KEEP_DAILY days and of each of the last
BOOKING_BACKUP_KEEP_WEEKLY ISO weeks, and removes the others (and half-written ones a day old).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import shutil
import socket
import time
from pathlib import Path

from booking.accounts.tables import User
from booking.clock import format_local, to_local, utc_now
from booking.db import write_transaction
from booking.notifications.outbox import enqueue_email
from booking.ops.backup import MANIFEST, BackupResult, take_backup
from booking.ops.errors import BackupError
from booking.ops.tables import BackupRun
from booking.settings import Settings, current_settings

log = logging.getLogger("booking.backup")

CHECK_EVERY_SECONDS = 60.0
RETRY_AFTER = dt.timedelta(hours=1)
MAX_ATTEMPTS = 3
RUNNING_LEASE = dt.timedelta(hours=6)
PARTIAL_MAX_AGE = dt.timedelta(days=1)
NAME = re.compile(r"booking-(\d{8}T\d{6}Z)")
PARTIAL = re.compile(r"booking-\d{8}T\d{6}Z\.partial-[0-9a-f]+")


def slot_for(now: dt.datetime) -> str:
    return f"daily:{to_local(now).date().isoformat()}"


def directory_name(now: dt.datetime) -> str:
    return f"booking-{now.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}"


class BackupScheduler:
    """Called on every worker pass; starts the day's backup as a task when it is due."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or current_settings()
        self.task: asyncio.Task | None = None
        self.next_check = 0.0

    def start_if_due(self, now: dt.datetime) -> None:
        if self.settings.backup_dir is None or (self.task is not None and not self.task.done()):
            return
        if time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + CHECK_EVERY_SECONDS
        self.task = asyncio.create_task(run_scheduled_backup(self.settings, now))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def claim(slot: str, now: dt.datetime) -> int | None:
    """The backup_run id this worker now owns for `slot`, or None when it is taken, done, or not due again yet."""
    host = socket.gethostname()
    async with write_transaction():
        row = await BackupRun.select().where(BackupRun.slot == slot).first()
        if row is None:
            inserted = (
                await BackupRun.insert(
                    BackupRun(
                        kind="scheduled",
                        slot=slot,
                        status="running",
                        attempts=1,
                        started_at=now,
                        host=host,
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(BackupRun.id)
            )
            return inserted[0]["id"] if inserted else None
        retry = row["status"] == "failed" and row["attempts"] < MAX_ATTEMPTS and row["finished_at"] <= now - RETRY_AFTER
        abandoned = row["status"] == "running" and row["started_at"] <= now - RUNNING_LEASE
        if not (retry or abandoned):
            return None
        updated = (
            await BackupRun.update(
                {
                    BackupRun.status: "running",
                    BackupRun.attempts: row["attempts"] + 1,
                    BackupRun.started_at: now,
                    BackupRun.finished_at: None,
                    BackupRun.error: "",
                    BackupRun.host: host,
                }
            )
            .where(
                (BackupRun.id == row["id"])
                & (BackupRun.status == row["status"])
                & (BackupRun.attempts == row["attempts"])
            )
            .returning(BackupRun.id)
        )
        return updated[0]["id"] if updated else None


async def run_scheduled_backup(settings: Settings, now: dt.datetime | None = None) -> BackupResult | None:
    """Take the day's backup if this worker claims it; None when there was nothing to do or it failed."""
    now = now or utc_now()
    slot = slot_for(now)
    try:
        run_id = await claim(slot, now)
    except Exception:
        log.exception("could not claim the scheduled backup %s", slot)
        return None
    if run_id is None:
        return None
    destination = settings.backup_dir.absolute() / directory_name(now)
    log.info("scheduled backup %s started into %s", slot, destination)
    started = time.monotonic()

    def finished() -> dt.datetime:  # on the caller's clock, like `now`, so retries are judged on one clock
        return now + dt.timedelta(seconds=time.monotonic() - started)

    try:
        result = await take_backup(settings.database_url, destination)
    except asyncio.CancelledError:
        await _failed(run_id, slot, "interrupted: the worker stopped during the backup", finished(), notify=False)
        raise
    except BackupError as error:
        log.error("scheduled backup %s failed: %s", slot, error)
        await _failed(run_id, slot, str(error), finished())
        return None
    except Exception as error:  # a full disk, a permission: unexpected, so with its traceback (once)
        log.exception("scheduled backup %s failed", slot)
        await _failed(run_id, slot, f"{type(error).__name__}: {error}", finished())
        return None
    await BackupRun.update(
        {
            BackupRun.status: "succeeded",
            BackupRun.finished_at: finished(),
            BackupRun.path: str(result.path),
            BackupRun.size_bytes: result.size_bytes,
            BackupRun.error: "",
        }
    ).where(BackupRun.id == run_id)
    log.info(
        "scheduled backup %s done: %s rows, %s bytes, %.1f s",
        slot,
        result.rows,
        result.size_bytes,
        result.manifest["took_seconds"],
        extra={"backup_path": str(result.path)},
    )
    try:
        removed = await asyncio.to_thread(
            prune, settings.backup_dir.absolute(), settings.backup_keep_daily, settings.backup_keep_weekly
        )
        if removed:
            log.info("removed %s old backups: %s", len(removed), ", ".join(removed))
    except OSError:
        log.exception("could not remove old backups from %s", settings.backup_dir)
    return result


async def _failed(run_id: int, slot: str, reason: str, now: dt.datetime, notify: bool = True) -> None:
    try:
        async with write_transaction():
            row = await BackupRun.select().where(BackupRun.id == run_id).first()
            await BackupRun.update(
                {BackupRun.status: "failed", BackupRun.finished_at: now, BackupRun.error: reason[:4000]}
            ).where(BackupRun.id == run_id)
            if notify:
                await _tell_admins(row, reason, now)
    except Exception:
        log.exception("could not record the failure of scheduled backup %s", slot)


async def _tell_admins(run: dict, reason: str, now: dt.datetime) -> None:
    admins = await User.select(User.email, User.name).where((User.role == "admin") & (User.is_active == True))
    if not admins:
        log.warning("scheduled backup %s failed and there is no active admin to tell", run["slot"])
    retry_at = format_local(now + RETRY_AFTER) if run["attempts"] < MAX_ATTEMPTS else None
    for admin in admins:
        await enqueue_email(
            admin["email"],
            "backup_failed",
            {
                "name": admin["name"],
                "day": run["slot"].split(":", 1)[1],
                "host": run["host"],
                "reason": reason,
                "attempt": run["attempts"],
                "max_attempts": MAX_ATTEMPTS,
                "retry_at": retry_at,
            },
        )


def prune(directory: Path, keep_daily: int, keep_weekly: int, now: dt.datetime | None = None) -> list[str]:
    """Remove the backups retention does not keep; returns the names removed."""
    now = now or utc_now()
    backups = []
    removed = []
    for path in directory.iterdir() if directory.is_dir() else ():
        match = NAME.fullmatch(path.name)
        if match and path.is_dir() and (path / MANIFEST).is_file():
            taken = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
            backups.append((taken, path))
        elif PARTIAL.fullmatch(path.name) and path.is_dir():
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
            if modified < now - PARTIAL_MAX_AGE:  # left by a worker that died mid-backup
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    keep: set[Path] = set()
    days: set = set()
    weeks: set = set()
    for taken, path in sorted(backups, reverse=True):  # newest first: the first seen of a day/week is its newest
        local = to_local(taken)
        if local.date() not in days:
            days.add(local.date())
            if len(days) <= keep_daily:
                keep.add(path)
        week = local.isocalendar()[:2]
        if week not in weeks:
            weeks.add(week)
            if len(weeks) <= keep_weekly:
                keep.add(path)
    for _, path in backups:
        if path not in keep:
            shutil.rmtree(path)
            removed.append(path.name)
    return sorted(removed)
