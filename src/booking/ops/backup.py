"""`booking backup --to PATH`: a consistent backup taken while the app serves, with a manifest.

A backup is a directory:
  manifest.json        engine, schema version, per-table row counts and checksums, the file's SHA-256
  database.sqlite3     SQLite: written by SQLite's online backup API (never a file copy, which can
                       catch a half-written page or miss the write-ahead log)
  database.pgdump      PostgreSQL: pg_dump's custom format
It is written under PATH.partial-... and renamed into place once complete, so a directory named
like a backup with a manifest in it is always whole.

Consistency. SQLite: the backup API copies all pages in one step inside one read transaction (WAL
lets writers go on meanwhile); the manifest is then computed from the copy itself. PostgreSQL: a
REPEATABLE READ transaction exports its snapshot; pg_dump dumps that very snapshot (--snapshot)
while the same transaction counts and checksums the tables, so the manifest describes exactly what
the dump holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import secrets
import shutil
import socket
import sqlite3
import time
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from urllib.parse import urlsplit

from booking.db import sqlite_path_from_url
from booking.ops.errors import BackupError
from booking.ops.fingerprints import postgres_fingerprints, postgres_migrations, sqlite_fingerprints, sqlite_migrations
from booking.ops.postgres_tools import connection_for_tools, find_tool, run_tool, tool_version
from booking.ops.schema import schema_version

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
SQLITE_BUSY_SECONDS = 30


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict

    @property
    def rows(self) -> int:
        return sum(table["rows"] for table in self.manifest["tables"].values())

    @property
    def size_bytes(self) -> int:
        return self.manifest["file"]["bytes"]


def engine_of(database_url: str) -> str:
    return "postgresql" if database_url.startswith(("postgresql:", "postgres:")) else "sqlite"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_destination(destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists; a backup never overwrites anything, choose a new path")


async def take_backup(database_url: str, destination: Path) -> BackupResult:
    destination = destination.absolute()
    _check_destination(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f"{destination.name}.partial-{secrets.token_hex(4)}")
    partial.mkdir()
    started = time.monotonic()
    try:
        if engine_of(database_url) == "sqlite":
            manifest = await asyncio.to_thread(_backup_sqlite, Path(sqlite_path_from_url(database_url)), partial)
        else:
            manifest = await _backup_postgres(database_url, partial)
        data_file = partial / manifest["file"]["name"]
        manifest["file"].update(bytes=data_file.stat().st_size, sha256=await asyncio.to_thread(file_sha256, data_file))
        manifest["took_seconds"] = round(time.monotonic() - started, 3)
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        _check_destination(destination)
        if destination.exists():
            destination.rmdir()  # an empty directory the operator made for it
        partial.rename(destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(destination, manifest)


def _manifest(
    engine: str, source: dict, server_version: str, tool: str, file_name: str, tables: dict, migrations: list[str]
) -> dict:
    return {
        "format": FORMAT,
        "app": "booking",
        "app_version": package_version("booking"),
        "engine": engine,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "source": source,
        "server_version": server_version,
        "tool": tool,
        "schema_version": schema_version(migrations),
        "migrations": migrations,
        "file": {"name": file_name},
        "tables": tables,
    }


def _backup_sqlite(source_path: Path, directory: Path) -> dict:
    if not source_path.is_file():
        raise BackupError(f"there is no SQLite database at {source_path}")
    target_path = directory / SQLITE_FILE
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_SECONDS)
    try:
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # pages=-1: everything in one step, one consistent read
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            problems = target.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise BackupError(f"the copy failed SQLite's integrity check: {problems[:3]}")
            tables = sqlite_fingerprints(target)
            migrations = sqlite_migrations(target)
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not back up {source_path}: {error}") from error
    finally:
        source.close()
    return _manifest(
        "sqlite",
        {"file": source_path.name},
        sqlite3.sqlite_version,
        "sqlite3 online backup API",
        SQLITE_FILE,
        tables,
        migrations,
    )


async def _backup_postgres(database_url: str, directory: Path) -> dict:
    import asyncpg

    pg_dump = find_tool("pg_dump")
    tool_text, tool_major = await tool_version(pg_dump)
    tool_url, env = connection_for_tools(database_url)
    parts = urlsplit(database_url)
    try:
        connection = await asyncpg.connect(database_url)
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(
            f"cannot connect to the database in BOOKING_DATABASE_URL ({type(error).__name__}: {error})"
        ) from None
    try:
        server_version = await connection.fetchval("SHOW server_version")
        server_major = int(await connection.fetchval("SHOW server_version_num")) // 10000
        if tool_major < server_major:
            raise BackupError(
                f"{pg_dump} is version {tool_major} but the server is PostgreSQL {server_major}; {tool_text!r} "
                "cannot dump a newer server: install the matching client programs"
            )
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            dump = asyncio.create_task(
                run_tool(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-password",
                        f"--file={directory / POSTGRES_FILE}",
                        f"--dbname={tool_url}",
                    ],
                    env,
                    "pg_dump",
                )
            )
            try:
                # The same snapshot pg_dump reads; the transaction stays open until pg_dump is done.
                tables = await postgres_fingerprints(connection)
                migrations = await postgres_migrations(connection)
            except BaseException:
                dump.cancel()
                await asyncio.gather(dump, return_exceptions=True)
                raise
            await dump
    finally:
        await connection.close()
    source = {"database": parts.path.lstrip("/"), "host": parts.hostname or "", "port": parts.port or 5432}
    return _manifest("postgresql", source, server_version, tool_text, POSTGRES_FILE, tables, migrations)
