"""Group commit: the writes that wait for one lock are decided in batches, one transaction each.

In a rush, hundreds of registrations for one workshop queue for that workshop's lock. Each used to
take the lock in a transaction of its own: begin, lock, count, insert, history, email, commit. Under
load, every statement of the one holding the lock waits for the event loop to come back to it, so
the lock was held about twice as long as its statements took (`benchmarks/registration_burst.py`).
Here callers of `decide(key, body)` queue per key, in arrival order. One runner task per key opens a
write transaction and runs, one after the other, every body queued by then (at most `MAX_BATCH`),
then commits; then the next batch. Each caller gets back its own body's result or exception, only
once the batch has committed: nobody hears "registered" before the registration is durable.

Each body is exactly what it would run in a transaction of its own (it locks, reads the counts,
writes): inside the batch the lock is already held and the counts include the earlier bodies' rows,
so positions and FIFO order stay exact. The rule a body must keep: it raises a refusal (a Conflict,
InvalidInput, ...) only before its first write, and says when it starts writing (`writing()`).
A refusal before writing goes to that caller alone and the batch goes on. A refusal after a write, or
any other exception (a database error aborts a PostgreSQL transaction), rolls the whole batch back, and
each of its bodies is then run again in a transaction of its own (the way it was before batching), so
one failure reaches one caller.

Inside an open transaction (a bulk registration, a test), `decide` simply runs the body there.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from booking.db import current_engine, in_transaction, write_transaction
from booking.errors import DomainError

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 32  # enough to amortise the transaction, few enough that the first caller is not kept waiting long


def writing() -> None:
    """A body says it starts writing: from here on, an exception rolls the whole batch back (see the module)."""
    waiting = _deciding.get()
    if waiting is not None:
        waiting.wrote = True


@dataclass
class _Waiting:
    body: Callable[[], Awaitable[Any]]
    context: contextvars.Context  # the caller's (its request id goes into its log lines and outbox rows)
    answer: asyncio.Future[Any]
    wrote: bool = False


_deciding: contextvars.ContextVar[_Waiting | None] = contextvars.ContextVar("write_batches_deciding", default=None)


class _BatchFailed(Exception):
    """A body failed after writing: the batch is rolled back (carried out of the transaction to do so)."""


_queues: dict[tuple[asyncio.AbstractEventLoop, Hashable], collections.deque[_Waiting]] = {}


async def decide(key: Hashable, body: Callable[[], Awaitable[T]]) -> T:
    """Run `body` in a write transaction shared with the other bodies queued for `key`; return its result."""
    if in_transaction():
        return await body()
    loop = asyncio.get_running_loop()
    waiting = _Waiting(body, contextvars.copy_context(), loop.create_future())
    queue_key = (loop, key)
    queue = _queues.get(queue_key)
    if queue is None:
        queue = _queues[queue_key] = collections.deque()
        # Not the caller's task: a caller whose request is cancelled must not cancel the others' batch.
        runner = asyncio.create_task(_run(queue_key, queue))
        _running.add(runner)
        runner.add_done_callback(_running.discard)
    queue.append(waiting)
    return await waiting.answer  # type: ignore[no-any-return]  # the body's own result


_running: set[asyncio.Task[None]] = set()  # the runner tasks, referenced until they finish


async def _run(queue_key: tuple[asyncio.AbstractEventLoop, Hashable], queue: collections.deque[_Waiting]) -> None:
    try:
        while queue:
            batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
            batch = [waiting for waiting in batch if not waiting.answer.done()]  # a caller that gave up is skipped
            if batch:
                await _decide_batch(batch)
    finally:
        del _queues[queue_key]


async def _decide_batch(batch: list[_Waiting]) -> None:
    outcomes: list[tuple[_Waiting, Any, BaseException | None]] = []
    try:
        async with write_transaction():
            transaction = current_engine().current_transaction.get()
            for waiting in batch:
                if waiting.answer.done():  # its caller gave up while the batch ran: nothing is decided for it
                    continue
                try:
                    result = await _in_callers_context(waiting, transaction)
                except DomainError as error:
                    if waiting.wrote:
                        raise _BatchFailed() from error
                    outcomes.append((waiting, None, error))  # refused before writing: that caller's answer
                except Exception as error:
                    # Anything else (a database error: on PostgreSQL it aborts the whole transaction) ends the batch.
                    raise _BatchFailed() from error
                else:
                    outcomes.append((waiting, result, None))
    except _BatchFailed as failed:
        log.warning("a batch of %d decisions was rolled back (%r); each runs on its own", len(batch), failed.__cause__)
        for waiting in batch:
            await _decide_alone(waiting)
        return
    except BaseException as error:  # the transaction itself failed (BEGIN or COMMIT: Busy, a lost connection)
        for waiting in batch:
            _answer(waiting, None, error if isinstance(error, Exception) else RuntimeError("the batch was cancelled"))
        if not isinstance(
            error, Exception
        ):  # a cancellation or exit goes up; after an ordinary error the runner goes on
            raise
        return
    for waiting, result, error in outcomes:
        _answer(waiting, result, error)


async def _decide_alone(waiting: _Waiting) -> None:
    if waiting.answer.done():  # the caller gave up waiting
        return
    waiting.wrote = False
    try:
        async with write_transaction():
            result = await _in_callers_context(waiting, current_engine().current_transaction.get())
    except Exception as error:
        _answer(waiting, None, error)
    else:
        _answer(waiting, result, None)


async def _in_callers_context(waiting: _Waiting, transaction: Any) -> Any:
    """The body runs in the runner's task, joined to the batch's transaction, with its caller's context variables
    (the request id its log lines and outbox rows carry). Not as a task of its own: starting and awaiting a task
    costs two turns of the event loop, and under a rush each turn is long (see the module)."""
    transaction_var = current_engine().current_transaction
    tokens = [
        (variable, variable.set(value))
        for variable, value in waiting.context.items()
        if variable is not transaction_var and variable is not _deciding
    ]
    tokens.append((_deciding, _deciding.set(waiting)))
    try:
        return await waiting.body()
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def _answer(waiting: _Waiting, result: Any, error: BaseException | None) -> None:
    if waiting.answer.done():  # the caller gave up waiting
        return
    if error is not None:
        waiting.answer.set_exception(error)
    else:
        waiting.answer.set_result(result)
