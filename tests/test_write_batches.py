"""Group commit (booking.write_batches) on both engines: shared transactions, arrival order, refusals and
failures that reach one caller only, and answers given only once the batch has committed."""

from __future__ import annotations

import asyncio

import pytest

from booking import write_batches
from booking.accounts.tables import District
from booking.db import current_engine, fetch_sql, insert_row, write_transaction
from booking.errors import Conflict

pytestmark = pytest.mark.usefixtures("db")


def district(code: str) -> dict:
    return {"code": code, "name": f"District {code}"}


async def stored_codes() -> list[str]:
    rows = await fetch_sql("SELECT code FROM district WHERE code LIKE {} ORDER BY id", "WB-%")
    return [row["code"] for row in rows]


async def test_bodies_queued_together_share_one_transaction_in_arrival_order():
    transactions = []

    async def body(n: int) -> int:
        transactions.append(current_engine().current_transaction.get())  # kept alive: ids stay distinct
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        return n

    results = await asyncio.gather(*[write_batches.decide("key", lambda n=n: body(n)) for n in range(10)])
    assert results == list(range(10))
    assert await stored_codes() == [f"WB-{n}" for n in range(10)]  # committed, in arrival order
    assert len({id(t) for t in transactions}) < 10  # batched: fewer transactions than bodies
    assert len({id(t) for t in transactions}) == 1  # all ten queued before the runner started: one batch


async def test_batches_are_at_most_max_batch_and_each_key_queues_on_its_own(monkeypatch):
    monkeypatch.setattr(write_batches, "MAX_BATCH", 3)
    seen: dict[str, list] = {"a": [], "b": []}

    async def body(key: str, n: int) -> None:
        seen[key].append(current_engine().current_transaction.get())  # kept alive: ids stay distinct
        write_batches.writing()
        await insert_row(District, district(f"WB-{key}{n}"))

    await asyncio.gather(
        *[write_batches.decide(key, lambda key=key, n=n: body(key, n)) for n in range(7) for key in ("a", "b")]
    )
    assert len({id(t) for t in seen["a"]}) == 3 and len({id(t) for t in seen["b"]}) == 3  # 3 + 3 + 1 each
    assert len(await stored_codes()) == 14


async def test_a_refusal_before_writing_reaches_its_caller_alone():
    async def body(n: int) -> int:
        if n == 3:
            raise Conflict("Number 3 is refused.")
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        return n

    results = await asyncio.gather(
        *[write_batches.decide("key", lambda n=n: body(n)) for n in range(6)], return_exceptions=True
    )
    assert isinstance(results[3], Conflict)
    assert [r for r in results if not isinstance(r, Exception)] == [0, 1, 2, 4, 5]
    assert await stored_codes() == ["WB-0", "WB-1", "WB-2", "WB-4", "WB-5"]


async def test_a_failure_after_writing_rolls_the_batch_back_and_each_is_decided_alone():
    attempts: dict[int, int] = {}

    async def body(n: int) -> int:
        attempts[n] = attempts.get(n, 0) + 1
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        if n == 2:
            raise Conflict("Number 2 fails after writing.")
        return n

    results = await asyncio.gather(
        *[write_batches.decide("key", lambda n=n: body(n)) for n in range(5)], return_exceptions=True
    )
    assert isinstance(results[2], Conflict)
    assert [r for r in results if not isinstance(r, Exception)] == [0, 1, 3, 4]
    # Each written exactly once: the batch's rows were rolled back, then every body ran again on its own
    # (and number 2's own transaction rolled its row back too).
    assert await stored_codes() == ["WB-0", "WB-1", "WB-3", "WB-4"]
    assert attempts == {0: 2, 1: 2, 2: 2, 3: 1, 4: 1}  # 3 and 4 never ran in the failed batch


async def test_a_database_error_is_a_failure_even_before_writing():
    async def body(n: int) -> int:
        if n == 1:
            await fetch_sql("SELECT no_such_column FROM district")
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        return n

    results = await asyncio.gather(
        *[write_batches.decide("key", lambda n=n: body(n)) for n in range(3)], return_exceptions=True
    )
    assert results[0] == 0 and results[2] == 2 and isinstance(results[1], Exception)
    assert await stored_codes() == ["WB-0", "WB-2"]


async def test_callers_hear_back_only_once_the_batch_has_committed():
    committed_when_answered = []

    async def body(n: int) -> int:
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        return n

    async def caller(n: int) -> None:
        await write_batches.decide("key", lambda: body(n))
        # Read outside any transaction (another connection on SQLite, the pool on PostgreSQL).
        committed_when_answered.append(f"WB-{n}" in await stored_codes())

    await asyncio.gather(*[caller(n) for n in range(5)])
    assert committed_when_answered == [True] * 5


async def test_a_caller_that_gives_up_is_skipped_and_the_others_go_on():
    gate = asyncio.Event()

    async def slow_first() -> int:
        await gate.wait()
        write_batches.writing()
        await insert_row(District, district("WB-first"))
        return 0

    async def body(n: int) -> int:
        write_batches.writing()
        await insert_row(District, district(f"WB-{n}"))
        return n

    first = asyncio.create_task(write_batches.decide("key", slow_first))
    await asyncio.sleep(0.05)  # the first batch is running, waiting on the gate
    leaving = asyncio.create_task(write_batches.decide("key", lambda: body(1)))
    staying = asyncio.create_task(write_batches.decide("key", lambda: body(2)))
    await asyncio.sleep(0.01)
    leaving.cancel()
    gate.set()
    assert await first == 0 and await staying == 2
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await stored_codes() == ["WB-first", "WB-2"]


async def test_inside_an_open_transaction_the_body_runs_there():
    async with write_transaction():
        outer = current_engine().current_transaction.get()
        seen = await write_batches.decide("key", lambda: asyncio.sleep(0, current_engine().current_transaction.get()))
    assert seen is outer


async def test_each_body_sees_its_own_callers_request_id():
    from booking.observability.context import current_request_id, use_request_id

    async def caller(n: int) -> tuple[str, str]:
        use_request_id(f"request-{n}")
        seen = await write_batches.decide("key", lambda: asyncio.sleep(0, current_request_id()))
        return seen, current_request_id()

    results = await asyncio.gather(*[caller(n) for n in range(6)])
    assert results == [(f"request-{n}", f"request-{n}") for n in range(6)]
