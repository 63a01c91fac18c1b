"""booking.db: one way to write under concurrency, on SQLite and on PostgreSQL.

The counter in these tests is `OutboxMessage.attempts` on one row: a real migrated table.
"""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from booking.db import (
    current_engine,
    engine_from_url,
    in_transaction,
    lock_rows_for_update,
    prepare_sqlite,
    sqlite_path_from_url,
    write_transaction,
)
from booking.notifications.tables import OutboxMessage

WRITERS = 30


class Boom(Exception):
    pass


async def new_row(address: str = "counter@example.org") -> int:
    rows = await OutboxMessage.insert(
        OutboxMessage(message_id=f"<{address}>", to_address=address, subject="counter", body_text="counter", attempts=0)
    ).returning(OutboxMessage.id)
    return rows[0]["id"]


async def counter(row_id: int) -> int:
    return (await OutboxMessage.select(OutboxMessage.attempts).where(OutboxMessage.id == row_id).first())["attempts"]


async def read_modify_write(row_id: int, *, lock: bool) -> None:
    """Read the value, let other tasks run, write value + 1: the shape of every capacity check."""
    async with write_transaction():
        if lock:
            await lock_rows_for_update(OutboxMessage, OutboxMessage.id == row_id)
        value = await counter(row_id)
        await asyncio.sleep(0.005)
        await OutboxMessage.update({OutboxMessage.attempts: value + 1}).where(OutboxMessage.id == row_id)


async def outside_any_transaction(query):
    """Run a piccolo query as another client would: in a fresh context, so on its own connection."""
    return await asyncio.create_task(query.run(), context=contextvars.Context())


async def test_write_transaction_with_row_lock_serialises_concurrent_read_modify_write(db):
    row_id = await new_row()

    await asyncio.gather(*(read_modify_write(row_id, lock=True) for _ in range(WRITERS)))

    assert await counter(row_id) == WRITERS


@pytest.mark.parametrize("engine_kind", ["postgresql"])
async def test_control_without_the_row_lock_postgres_loses_updates(db):
    """The same code minus `lock_rows_for_update`: READ COMMITTED lets the writers overwrite each other.

    This is what the test above guards against, and shows that it can fail.
    """
    row_id = await new_row()

    await asyncio.gather(*(read_modify_write(row_id, lock=False) for _ in range(WRITERS)))

    assert await counter(row_id) < WRITERS


@pytest.mark.parametrize("engine_kind", ["sqlite"])
async def test_control_a_deferred_sqlite_transaction_does_not_serialise(db):
    """Why write_transaction() uses BEGIN IMMEDIATE on SQLite: a plain (deferred) transaction that
    reads then writes either loses updates or fails with "database is locked" under concurrency."""
    row_id = await new_row()

    async def deferred_read_modify_write() -> None:
        async with current_engine().transaction():
            value = await counter(row_id)
            await asyncio.sleep(0.005)
            await OutboxMessage.update({OutboxMessage.attempts: value + 1}).where(OutboxMessage.id == row_id)

    results = await asyncio.gather(*(deferred_read_modify_write() for _ in range(WRITERS)), return_exceptions=True)

    failures = [result for result in results if isinstance(result, Exception)]
    assert all("locked" in str(failure) for failure in failures), failures
    assert failures or await counter(row_id) < WRITERS


async def test_nested_write_transaction_joins_the_outer_one(db):
    first = await new_row("first@example.org")
    second = await new_row("second@example.org")
    count_elsewhere = lambda: outside_any_transaction(OutboxMessage.count().where(OutboxMessage.attempts == 7))  # noqa: E731 - a one-line probe, read where it is used

    async with write_transaction():
        outer = current_engine().current_transaction.get()
        await OutboxMessage.update({OutboxMessage.attempts: 7}).where(OutboxMessage.id == first)
        async with write_transaction():
            assert current_engine().current_transaction.get() is outer
            await OutboxMessage.update({OutboxMessage.attempts: 7}).where(OutboxMessage.id == second)
        # The inner block has ended, yet nothing is committed: it joined the outer transaction.
        assert await OutboxMessage.count().where(OutboxMessage.attempts == 7) == 2
        assert await count_elsewhere() == 0
    assert not in_transaction()
    assert await count_elsewhere() == 2


async def test_exception_raised_in_nested_write_transaction_rolls_back_both(db):
    first = await new_row("first@example.org")
    second = await new_row("second@example.org")

    with pytest.raises(Boom):
        async with write_transaction():
            await OutboxMessage.update({OutboxMessage.attempts: 1}).where(OutboxMessage.id == first)
            async with write_transaction():
                await OutboxMessage.update({OutboxMessage.attempts: 2}).where(OutboxMessage.id == second)
                raise Boom

    assert not in_transaction()
    assert await counter(first) == 0
    assert await counter(second) == 0
    # The engine is usable afterwards (the connection was released, not left mid-transaction).
    async with write_transaction():
        await OutboxMessage.update({OutboxMessage.attempts: 3}).where(OutboxMessage.id == first)
    assert await counter(first) == 3


async def test_lock_rows_for_update_outside_a_transaction_raises(db):
    row_id = await new_row()
    with pytest.raises(RuntimeError, match="inside write_transaction"):
        await lock_rows_for_update(OutboxMessage, OutboxMessage.id == row_id)


async def test_lock_rows_for_update_locks_on_postgres_and_is_a_no_op_on_sqlite(db, engine_kind):
    """On PostgreSQL a second writer waits for the first to commit; on SQLite BEGIN IMMEDIATE already did."""
    row_id = await new_row()
    order: list[str] = []
    first_has_lock = asyncio.Event()

    async def first() -> None:
        async with write_transaction():
            await lock_rows_for_update(OutboxMessage, OutboxMessage.id == row_id)
            first_has_lock.set()
            await asyncio.sleep(0.3)
            order.append("first commits")

    async def second() -> None:
        await first_has_lock.wait()
        async with write_transaction():
            await lock_rows_for_update(OutboxMessage, OutboxMessage.id == row_id)
            order.append("second has lock")

    await asyncio.gather(first(), second())
    assert order == ["first commits", "second has lock"]


async def test_prepare_sqlite_puts_the_database_in_wal_mode(tmp_path):
    engine = engine_from_url(f"sqlite:///{tmp_path / 'fresh.db'}")

    async def journal_mode() -> str:
        connection = await engine.get_connection()
        try:
            cursor = await connection.execute("PRAGMA journal_mode")
            return (await cursor.fetchone())["journal_mode"]
        finally:
            await connection.close()

    assert await journal_mode() == "delete"  # SQLite's default: proves the next line changes something
    await prepare_sqlite(engine)
    assert await journal_mode() == "wal"  # persistent: a new connection sees it


@pytest.mark.parametrize("engine_kind", ["sqlite"])
async def test_the_sqlite_test_database_is_in_wal_mode(db):
    rows = await OutboxMessage.raw("PRAGMA journal_mode")
    assert rows[0]["journal_mode"] == "wal"


def test_sqlite_urls_relative_and_absolute():
    assert sqlite_path_from_url("sqlite:///var/booking.db") == "var/booking.db"
    assert sqlite_path_from_url("sqlite:////srv/booking/booking.db") == "/srv/booking/booking.db"
    with pytest.raises(ValueError):
        engine_from_url("mysql://x")
