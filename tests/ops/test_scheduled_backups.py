"""The worker's daily backup: once a day whatever the number of workers, admins told of a failure, retention."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
from pathlib import Path

import pytest

from booking.accounts.tables import User
from booking.clock import LOCAL_TZ
from booking.notifications.tables import OutboxMessage, WorkerHeartbeat
from booking.ops.restore import restore_backup
from booking.ops.scheduled_backups import MAX_ATTEMPTS, RETRY_AFTER, prune, run_scheduled_backup
from booking.ops.tables import BackupRun
from booking.settings import use_settings
from tests.factories import make_user


@pytest.fixture
def backup_settings(settings, tmp_path):
    return use_settings(dataclasses.replace(settings, backup_dir=tmp_path / "backups"))


def _noon(days_from_now: int = 0) -> dt.datetime:
    """Midday, Pacific time: far from the local midnight where the day's slot changes."""
    local = dt.datetime.now(LOCAL_TZ).replace(hour=12, minute=0, second=0, microsecond=0) + dt.timedelta(
        days=days_from_now
    )
    return local.astimezone(dt.timezone.utc)


async def test_the_days_backup_is_taken_once_whatever_the_number_of_workers(db, backup_settings, empty_database):
    await make_user("attendee", email="teacher@egusd.example")
    noon = _noon()

    results = await asyncio.gather(*[run_scheduled_backup(backup_settings, noon) for _ in range(3)])

    taken = [r for r in results if r is not None]
    assert len(taken) == 1
    assert [p.name for p in backup_settings.backup_dir.iterdir()] == [taken[0].path.name]
    runs = await BackupRun.select().where(BackupRun.kind == "scheduled")
    assert [(r["status"], r["attempts"], r["path"]) for r in runs] == [("succeeded", 1, str(taken[0].path))]
    assert await run_scheduled_backup(backup_settings, noon + dt.timedelta(hours=3)) is None  # done for today
    tomorrow = await run_scheduled_backup(backup_settings, _noon(1))
    assert tomorrow is not None and len(list(backup_settings.backup_dir.iterdir())) == 2
    # A scheduled backup is a backup like any other: it restores.
    restored = await restore_backup(empty_database, taken[0].path)
    assert restored.rows == sum(t["rows"] for t in taken[0].manifest["tables"].values())


async def test_a_failed_backup_tells_every_active_admin_and_is_tried_again_an_hour_later(db, backup_settings, tmp_path):
    await make_user("admin", email="it-lead@scoe.example", name="Ivy Lead")
    await make_user("admin", email="dba@scoe.example", name="Dan Base")
    gone = await make_user("admin", email="retired@scoe.example")
    await User.update({User.is_active: False}).where(User.id == gone["id"])
    backup_settings.backup_dir.parent.mkdir(parents=True, exist_ok=True)
    backup_settings.backup_dir.write_text("a file where the backup directory should be")
    noon = _noon()

    assert await run_scheduled_backup(backup_settings, noon) is None

    [run] = await BackupRun.select()
    assert (run["status"], run["attempts"]) == ("failed", 1) and run["error"]
    mails = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text)
    assert sorted(m["to_address"] for m in mails) == ["dba@scoe.example", "it-lead@scoe.example"]
    assert all(m["subject"].startswith("Backup failed on ") for m in mails)
    assert all("attempt 1 of 3" in m["body_text"] and "will try again" in m["body_text"] for m in mails)

    assert await run_scheduled_backup(backup_settings, noon + RETRY_AFTER / 2) is None  # not yet
    assert await BackupRun.select(BackupRun.attempts).first() == {"attempts": 1}
    backup_settings.backup_dir.unlink()  # the operator fixed it
    retried = await run_scheduled_backup(backup_settings, noon + RETRY_AFTER + dt.timedelta(minutes=1))
    assert retried is not None and retried.path.is_dir()
    assert await BackupRun.select(BackupRun.status, BackupRun.attempts).first() == {
        "status": "succeeded",
        "attempts": 2,
    }


async def test_after_the_last_attempt_of_the_day_the_admins_are_told_to_take_one_by_hand(db, backup_settings):
    await make_user("admin", email="it-lead@scoe.example")
    backup_settings.backup_dir.parent.mkdir(parents=True, exist_ok=True)
    backup_settings.backup_dir.write_text("not a directory")
    noon = _noon()
    for attempt in range(MAX_ATTEMPTS + 1):
        assert (
            await run_scheduled_backup(backup_settings, noon + attempt * (RETRY_AFTER + dt.timedelta(minutes=1)))
            is None
        )
    assert await BackupRun.select(BackupRun.attempts).first() == {"attempts": MAX_ATTEMPTS}
    bodies = [m["body_text"] for m in await OutboxMessage.select(OutboxMessage.body_text).order_by(OutboxMessage.id)]
    assert len(bodies) == MAX_ATTEMPTS
    assert "will not try again today" in bodies[-1] and "booking backup --to PATH" in bodies[-1]


async def test_the_worker_takes_the_backup_beside_its_other_work_and_beats_its_heartbeat(db, backup_settings):
    from booking.notifications.delivery import FileTransport
    from booking.notifications.worker import run_forever

    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(FileTransport(backup_settings.mail_dir), interval=0.05, stop=stop))
    try:
        for _ in range(600):
            if await BackupRun.exists().where(BackupRun.status == "succeeded"):
                break
            await asyncio.sleep(0.05)
        assert await WorkerHeartbeat.count() == 1
    finally:
        stop.set()
        await worker
    assert await BackupRun.select(BackupRun.status).first() == {"status": "succeeded"}
    assert len(list(backup_settings.backup_dir.glob("booking-*"))) == 1
    assert await WorkerHeartbeat.count() == 0  # a clean stop removes it


def _fake_backup(directory: Path, taken: dt.datetime) -> Path:
    path = directory / f"booking-{taken.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}"
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"created_at": taken.isoformat()}))
    return path


def test_retention_keeps_the_newest_backup_of_each_recent_day_and_week(tmp_path):
    now = dt.datetime(2026, 12, 4, 20, 0, tzinfo=LOCAL_TZ)  # a Friday
    made = {}
    for days_ago in range(0, 60):
        for hour in (1, 13):  # two a day: the retention keeps the later one
            taken = (now - dt.timedelta(days=days_ago)).replace(hour=hour)
            made[taken] = _fake_backup(tmp_path, taken)
    stray = tmp_path / "keep-me-i-am-not-a-backup"
    stray.mkdir()
    no_manifest = tmp_path / "booking-20200101T000000Z"
    no_manifest.mkdir()
    old_partial = tmp_path / "booking-20261101T000000Z.partial-00aa11bb"
    old_partial.mkdir()
    os.utime(old_partial, (0, 0))
    fresh_partial = tmp_path / "booking-20261204T090000Z.partial-22cc33dd"
    fresh_partial.mkdir()

    removed = prune(tmp_path, keep_daily=7, keep_weekly=4, now=now.astimezone(dt.timezone.utc))

    kept = {taken for taken, path in made.items() if path.exists()}
    daily = {(now - dt.timedelta(days=d)).replace(hour=13) for d in range(7)}
    # The newest of each of the last 4 ISO weeks (Monday to Sunday): this week's is today's.
    weekly = {
        now.replace(hour=13),
        (now - dt.timedelta(days=5)).replace(hour=13),
        (now - dt.timedelta(days=12)).replace(hour=13),
        (now - dt.timedelta(days=19)).replace(hour=13),
    }
    assert kept == daily | weekly
    assert len(removed) == len(made) - len(kept) + 1  # and the old partial one
    assert stray.exists() and no_manifest.exists() and fresh_partial.exists() and not old_partial.exists()
