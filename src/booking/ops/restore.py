"""`booking restore --from PATH`: a backup into an empty database, checked against its manifest.

Before anything is written: the manifest is read, the engine must match BOOKING_DATABASE_URL's, the
data file's SHA-256 must match (a damaged or truncated file is refused), the backup must not come
from a newer release (migrations this code does not know), and the target must hold no tables.
SQLite: the copy's tables are checked against the manifest first, then SQLite's backup API writes
it into the target in one transaction. PostgreSQL: pg_restore runs as one transaction (an error
leaves nothing behind); the restored tables are then counted and checksummed, and if they differ
from the manifest everything restored is dropped again, so the target is left empty as it was.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from booking.db import sqlite_path_from_url
from booking.ops.backup import FORMAT, MANIFEST, engine_of, file_sha256
from booking.ops.errors import BackupError
from booking.ops.fingerprints import differences, postgres_fingerprints, quoted, sqlite_fingerprints, sqlite_tables
from booking.ops.postgres_tools import connection_for_tools, find_tool, run_tool, tool_version
from booking.ops.schema import shipped_migrations


class TargetNotEmpty(BackupError):
    pass


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    tables: int
    rows: int
    migrations_to_apply: list[str] = field(default_factory=list)  # this release's migrations the backup predates


def read_manifest(source: Path) -> dict:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a backup: there is no {MANIFEST} in it")
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{path} is damaged: not JSON ({error})") from None
    required = {"format", "engine", "file", "tables", "migrations"}
    if not isinstance(manifest, dict) or not required <= manifest.keys():
        raise BackupError(f"{path} is damaged: it lacks {', '.join(sorted(required - set(manifest or {})))}")
    if manifest["format"] != FORMAT:
        raise BackupError(f"{path} has format {manifest['format']!r}; this release reads format {FORMAT}")
    return manifest


def check_backup(source: Path, manifest: dict, database_url: str) -> Path:
    """Everything that can be checked without touching the target; returns the data file."""
    engine = engine_of(database_url)
    if manifest["engine"] != engine:
        raise BackupError(f"this is a backup of a {manifest['engine']} database; BOOKING_DATABASE_URL is {engine}")
    name = manifest["file"].get("name", "")
    data_file = source / name
    if not name or "/" in name or not data_file.is_file():
        raise BackupError(f"{source} is damaged: its data file {name!r} is missing")
    if data_file.stat().st_size != manifest["file"].get("bytes") or file_sha256(data_file) != manifest["file"].get(
        "sha256"
    ):
        raise BackupError(f"{data_file} is damaged: its size or SHA-256 does not match the manifest")
    unknown = sorted(set(manifest["migrations"]) - shipped_migrations())
    if unknown:
        raise BackupError(
            f"this backup was taken by a newer release ({len(unknown)} migrations this one does not know, "
            f"e.g. {unknown[0]}); restore it with that release"
        )
    return data_file


async def restore_backup(database_url: str, source: Path) -> RestoreResult:
    source = source.absolute()
    manifest = read_manifest(source)
    data_file = await asyncio.to_thread(check_backup, source, manifest, database_url)
    if engine_of(database_url) == "sqlite":
        await asyncio.to_thread(_restore_sqlite, Path(sqlite_path_from_url(database_url)), data_file, manifest)
    else:
        await _restore_postgres(database_url, data_file, manifest)
    tables = manifest["tables"]
    return RestoreResult(
        manifest,
        len(tables),
        sum(t["rows"] for t in tables.values()),
        sorted(shipped_migrations() - set(manifest["migrations"])),
    )


def _damaged(problems: list[str], where: str) -> BackupError:
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return BackupError(f"{where} does not match its manifest: {'; '.join(problems[:3])}{more}")


def _restore_sqlite(target_path: Path, data_file: Path, manifest: dict) -> None:
    source = sqlite3.connect(f"{data_file.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        problems = differences(manifest["tables"], sqlite_fingerprints(source))
        if problems:
            raise _damaged(problems, str(data_file))
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            if sqlite_tables(target):
                raise TargetNotEmpty(
                    f"the database at {target_path} is not empty; restore only into a new, empty database"
                )
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as the app runs it (booking.db.prepare_sqlite)
            problems = differences(manifest["tables"], sqlite_fingerprints(target))
            if problems:
                _empty_sqlite(target)
                raise _damaged(problems, f"the restored database at {target_path}")
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not restore into {target_path}: {error}") from error
    finally:
        source.close()


def _empty_sqlite(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA foreign_keys = OFF")
    for table in sqlite_tables(connection):
        connection.execute(f"DROP TABLE {quoted(table)}")
    connection.commit()


async def _postgres_relations(connection) -> list[str]:
    """Tables, views and sequences outside PostgreSQL's own schemas: a database with any is not empty."""
    rows = await connection.fetch(
        "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname <> 'information_schema' "
        "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
    )
    return [row["name"] for row in rows]


async def _restore_postgres(database_url: str, data_file: Path, manifest: dict) -> None:
    import asyncpg

    pg_restore = find_tool("pg_restore")
    tool_text, tool_major = await tool_version(pg_restore)
    dumped_by = manifest.get("tool", "")
    dump_major = int(dumped_by.split()[2].split(".")[0]) if dumped_by.startswith("pg_dump (PostgreSQL) ") else 0
    if tool_major < dump_major:
        raise BackupError(
            f"{pg_restore} is version {tool_major}; this backup was written by {dumped_by!r}: "
            "install the client programs of that version or newer"
        )
    try:
        connection = await asyncpg.connect(database_url)
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(
            f"cannot connect to the database in BOOKING_DATABASE_URL ({type(error).__name__}: {error})"
        ) from None
    try:
        existing = await _postgres_relations(connection)
        if existing:
            raise TargetNotEmpty(
                f"the target database is not empty ({len(existing)} tables and sequences, e.g. "
                f"{existing[0]}); restore only into a new, empty database"
            )
        tool_url, env = connection_for_tools(database_url)
        await run_tool(
            [
                pg_restore,
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-acl",
                "--no-password",
                f"--dbname={tool_url}",
                str(data_file),
            ],
            env,
            "pg_restore",
        )
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            problems = differences(manifest["tables"], await postgres_fingerprints(connection))
        if problems:
            await _drop_postgres_relations(connection)
            raise _damaged(problems, "the restored database")
    finally:
        await connection.close()


async def _drop_postgres_relations(connection) -> None:
    """Back to empty: the target had no relations before the restore, so everything there now came from it."""
    keywords = {
        "r": "TABLE",
        "p": "TABLE",
        "v": "VIEW",
        "m": "MATERIALIZED VIEW",
        "S": "SEQUENCE",
        "f": "FOREIGN TABLE",
    }
    async with connection.transaction():
        for name in await _postgres_relations(connection):
            schema, _, relation = name.partition(".")
            kind = await connection.fetchval(  # ::text: asyncpg returns PostgreSQL's "char" as bytes
                "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1 AND c.relname = $2",
                schema,
                relation,
            )
            if kind in keywords:  # None: already gone with the table it belonged to (an index, an owned sequence)
                await connection.execute(f"DROP {keywords[kind]} IF EXISTS {quoted(schema)}.{quoted(relation)} CASCADE")
