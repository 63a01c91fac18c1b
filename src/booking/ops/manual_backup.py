"""A backup an operator takes with `booking backup --to PATH`, recorded so /metrics knows its age."""

from __future__ import annotations

import logging
import socket
import uuid
from pathlib import Path

from booking.clock import utc_now
from booking.ops.backup import BackupResult, take_backup
from booking.settings import Settings

log = logging.getLogger("booking.backup")


async def take_manual_backup(settings: Settings, destination: Path) -> BackupResult:
    started = utc_now()
    result = await take_backup(settings.database_url, destination)
    await record_manual_backup(settings, result, started)
    return result


async def record_manual_backup(settings: Settings, result: BackupResult, started) -> None:
    """Best effort: a database not yet migrated to this release has no backup_run table, and the backup is good anyway."""
    # Here: `booking backup` needs the database only to record the run, best effort, after the backup is taken.
    from booking.db import bind_engine, current_engine, engine_from_url
    from booking.ops.tables import BackupRun

    try:
        bind_engine(engine_from_url(settings.database_url))
        await BackupRun.insert(
            BackupRun(
                kind="manual",
                slot=f"manual:{uuid.uuid4().hex}",
                status="succeeded",
                started_at=started,
                finished_at=utc_now(),
                host=socket.gethostname(),
                path=str(result.path),
                size_bytes=result.size_bytes,
            )
        )
    except Exception as error:
        log.warning("backup taken but not recorded in backup_run: %s", error)
    finally:
        engine = current_engine()
        if getattr(engine, "pool", None) is not None:
            await engine.close_connection_pool()
