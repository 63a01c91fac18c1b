"""booking.db.PooledSQLiteEngine: SQLite connections kept open and lent, never more than its cap.

SQLite only (PostgreSQL has asyncpg's pool). Real migrated tables, real connections.
"""

from __future__ import annotations

import asyncio

import pytest

from booking.db import PooledSQLiteEngine, write_transaction
from booking.notifications.tables import OutboxMessage


class Boom(Exception):
    pass


@pytest.fixture
def engine(db, engine_kind):
    if engine_kind != "sqlite":
        pytest.skip("the SQLite engine's own connections")
    assert isinstance(db, PooledSQLiteEngine)
    return db


def outbox_row(address: str) -> OutboxMessage:
    return OutboxMessage(message_id=f"<{address}>", to_address=address, subject="s", body_text="b")


async def test_a_burst_of_queries_shares_at_most_the_cap_of_connections(engine):
    await OutboxMessage.insert(outbox_row("one@example.org"))
    answers = await asyncio.gather(*[OutboxMessage.count() for _ in range(5 * engine.MAX_CONNECTIONS)])
    assert answers == [1] * (5 * engine.MAX_CONNECTIONS)
    assert 1 <= len(engine.pool) <= engine.MAX_CONNECTIONS
    assert engine._opened == len(engine.pool)  # nothing lent, nothing lost
    assert len({id(connection) for connection in engine.pool}) == len(engine.pool)


async def test_writes_from_many_tasks_all_land_through_lent_connections(engine):
    async def write(n: int) -> None:
        async with write_transaction():
            await OutboxMessage.insert(outbox_row(f"w{n}@example.org"))

    await asyncio.gather(*[write(n) for n in range(40)])
    assert await OutboxMessage.count() == 40
    assert engine._opened == len(engine.pool) <= engine.MAX_CONNECTIONS


async def test_a_rolled_back_transaction_leaves_nothing_and_its_connection_works_again(engine):
    with pytest.raises(Boom):
        async with write_transaction():
            await OutboxMessage.insert(outbox_row("gone@example.org"))
            raise Boom
    assert await OutboxMessage.count() == 0
    # The same (given back) connection starts the next transaction cleanly.
    async with write_transaction():
        await OutboxMessage.insert(outbox_row("kept@example.org"))
    assert [row["to_address"] for row in await OutboxMessage.select(OutboxMessage.to_address)] == ["kept@example.org"]
    assert engine._opened == len(engine.pool)


async def test_queries_cancelled_while_waiting_for_a_connection_lose_none(engine):
    await OutboxMessage.insert(outbox_row("one@example.org"))
    tasks = [asyncio.create_task(OutboxMessage.count().run()) for _ in range(4 * engine.MAX_CONNECTIONS)]
    await asyncio.sleep(0)
    for task in tasks[::3]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(task.cancelled() or task.result() == 1 for task in tasks)
    assert engine._opened == len(engine.pool) <= engine.MAX_CONNECTIONS
    assert await OutboxMessage.count() == 1  # and the engine still answers
