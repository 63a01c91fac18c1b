"""Row counts and checksums of every table, read the same way from a live database, a backup and a copy.

A table's checksum is the SHA-256 of its rows' SHA-256 digests, sorted: it does not depend on the
order rows come back in, and any changed, missing or extra row changes it. Each row is encoded as a
JSON list of its column values (dates as ISO text, decimals and UUIDs as text, bytes as hex).
Tables are read from the database's own catalogue, so a table added by a later release is covered.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence

from booking.ops.schema import MIGRATION_TABLE, migration_names

POSTGRES_FETCH = 2000  # rows per round trip while streaming a table


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    raise TypeError(f"no canonical form for {type(value).__name__}")


def row_digest(row: Sequence) -> bytes:
    encoded = json.dumps(list(row), default=_plain, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(encoded.encode()).digest()


def fingerprint(rows: Iterable[Sequence]) -> dict:
    digests = sorted(row_digest(row) for row in rows)
    return {"rows": len(digests), "sha256": hashlib.sha256(b"".join(digests)).hexdigest()}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- SQLite (the standard library's sqlite3, in a thread) --------------------------------------


def sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]


def sqlite_fingerprints(connection: sqlite3.Connection) -> dict[str, dict]:
    return {
        table: fingerprint(connection.execute(f"SELECT * FROM {quoted(table)}")) for table in sqlite_tables(connection)
    }


def sqlite_migrations(connection: sqlite3.Connection) -> list[str]:
    if MIGRATION_TABLE not in sqlite_tables(connection):
        return []
    return migration_names(connection.execute(f"SELECT app_name, name FROM {quoted(MIGRATION_TABLE)}"))


# --- PostgreSQL (asyncpg, inside the caller's transaction) --------------------------------------


async def postgres_tables(connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [row["table_name"] for row in rows]


async def postgres_fingerprints(connection) -> dict[str, dict]:
    """Must run inside a transaction (asyncpg's cursors need one): a REPEATABLE READ one reads one snapshot."""
    result = {}
    for table in await postgres_tables(connection):
        digests = []
        async for record in connection.cursor(f"SELECT * FROM {quoted(table)}", prefetch=POSTGRES_FETCH):
            digests.append(row_digest(tuple(record)))
        digests.sort()
        result[table] = {"rows": len(digests), "sha256": hashlib.sha256(b"".join(digests)).hexdigest()}
    return result


async def postgres_migrations(connection) -> list[str]:
    if MIGRATION_TABLE not in await postgres_tables(connection):
        return []
    rows = await connection.fetch(f"SELECT app_name, name FROM {quoted(MIGRATION_TABLE)}")
    return migration_names((row["app_name"], row["name"]) for row in rows)


def differences(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """What differs between a manifest's tables and a database's, one phrase per table."""
    problems = []
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            problems.append(f"table {table} is missing")
        elif table not in expected:
            problems.append(f"table {table} is not in the manifest")
        elif found[table]["rows"] != expected[table]["rows"]:
            problems.append(
                f"table {table} has {found[table]['rows']} rows, the manifest says {expected[table]['rows']}"
            )
        elif found[table]["sha256"] != expected[table]["sha256"]:
            problems.append(f"table {table}'s checksum differs from the manifest")
    return problems
