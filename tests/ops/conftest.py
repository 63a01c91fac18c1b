"""Fixtures for operating tests: a new, empty database to restore into, on the test's engine."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest


async def _recreate(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture
def empty_database(engine_kind, settings, tmp_path):
    """URL of a new, empty database: an SQLite file not yet created, or `<test db>_restore` on PostgreSQL."""
    if engine_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'booking.db'}"  # absolute path: four slashes
        return
    parts = urlsplit(settings.database_url)
    name = f"{parts.path.lstrip('/')}_restore"
    asyncio.run(_recreate(settings.database_url, name))
    yield urlunsplit(parts._replace(path=f"/{name}"))
    asyncio.run(_recreate(settings.database_url, name, drop_only=True))
