"""One way to write under concurrency on both engines.

SQLite: every write transaction is `BEGIN IMMEDIATE` (writers queue on the database lock,
with a busy timeout) on a WAL database. PostgreSQL: READ COMMITTED plus `SELECT ... FOR
UPDATE` on the rows a use case guards (`lock_rows_for_update`). Use cases call
`write_transaction()`; nested calls join the open transaction.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import enum
import json
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiosqlite
from asyncpg.exceptions import UniqueViolationError
from piccolo.columns import JSON, JSONB, Column
from piccolo.columns.combination import Where
from piccolo.columns.defaults.base import Default
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.table import Table
from piccolo.utils.encoding import dump_json
from piccolo.utils.sql_values import convert_to_sql_value

from booking.errors import Busy

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0

_engine: Engine[Any] | None = None
# One queue of SQLite writers per event loop: waiting on an asyncio lock is first come, first
# served and costs nothing, while waiting in SQLite's busy handler polls with growing sleeps.
# Other processes (several server workers) still meet at BEGIN IMMEDIATE and the busy timeout.
_sqlite_writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sqlite_writer_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _sqlite_writer_locks.get(loop)
    if lock is None:
        lock = _sqlite_writer_locks[loop] = asyncio.Lock()
    return lock


def sqlite_path_from_url(url: str) -> str:
    """sqlite:///relative/path.db -> relative/path.db; sqlite:////abs/path.db -> /abs/path.db."""
    rest = url[len("sqlite:///") :]
    return rest


class PooledSQLiteEngine(SQLiteEngine):
    """piccolo's SQLite engine, keeping its connections open.

    piccolo opens a new aiosqlite connection (a new thread, a file open and a PRAGMA) for every query
    outside a transaction and for every transaction, and sends `PRAGMA foreign_keys = 1` before every
    query inside one: under a burst of registrations that was a third of the time spent holding the
    writer lock. Here at most MAX_CONNECTIONS stay open (each with its PRAGMA done) and are lent to
    the next query or transaction; when all are lent, a query waits its turn. A connection whose
    commit or rollback failed is closed, never lent again.

    The connections' threads are daemons, so an engine nobody closes (a CLI command, a script) never
    keeps the process alive; the app and the test fixtures close the idle ones (`close_connection_pool`).
    """

    MAX_CONNECTIONS = 8  # more threads than this only contend for two cores; a query waits for a free one

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: list[aiosqlite.Connection] = []  # idle, open connections ("pool": what the fixtures close)
        self._opened = 0  # lent or idle
        # Each waiter gets a connection, or None: the right to open one.
        self._waiters: collections.deque[asyncio.Future[aiosqlite.Connection | None]] = collections.deque()

    async def _open(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        pending._thread.daemon = True  # aiosqlite 0.22 (pinned): its worker thread, not yet started
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]  # aiosqlite types it as a class; any callable works
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def lend(self) -> aiosqlite.Connection:
        if self.pool:
            return self.pool.pop()
        if self._opened >= self.MAX_CONNECTIONS:
            waiter: asyncio.Future[aiosqlite.Connection | None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                connection = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed one just as we were cancelled
                    self._hand_on(waiter.result())
                raise
            if connection is not None:
                return connection
            # None: a connection was closed, so this waiter may open its own (already counted)
        else:
            self._opened += 1
        try:
            return await self._open()
        except BaseException:
            self._hand_on(None)
            raise

    def _hand_on(self, connection: aiosqlite.Connection | None) -> None:
        """Give a connection (or, None, the right to open one) to the first waiter; else keep it idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            self._opened -= 1
        else:
            self.pool.append(connection)

    async def give_back(self, connection: aiosqlite.Connection, healthy: bool) -> None:
        if healthy:
            self._hand_on(connection)
            return
        self._hand_on(None)
        await connection.close()

    async def start_connection_pool(self, **_: Any) -> None:
        """Connections open on demand."""

    async def close_connection_pool(self) -> None:
        idle, self.pool = self.pool, []
        self._opened -= len(idle)
        for connection in idle:
            await connection.close()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: type[Table] | None = None
    ) -> list[dict[str, Any]]:
        connection = await self.lend()
        healthy = False
        try:
            # One trip to the connection's thread, not four (execute, commit, fetch, close): each trip waits for
            # the event loop, and under a rush that wait was most of a statement's time. The connection is in
            # autocommit mode (isolation_level=None), so the statement has committed when it returns.
            rows = await connection.execute_fetchall(query, args or [])
            healthy = True
            return list(rows)  # type: ignore[arg-type]  # dict_factory makes each row a dict
        finally:
            await self.give_back(connection, healthy)

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> list[dict[str, Any]]:
        # The connection got its PRAGMA and row factory when it was opened (SQLite >= 3.35: RETURNING works).
        # One trip to the connection's thread per statement, not three (execute, fetch, close): inside a write
        # transaction every trip is time the writer lock is held (benchmarks/registration_burst.py).
        rows = await connection.execute_fetchall(query, args or [])
        return list(rows)  # type: ignore[arg-type]  # dict_factory makes each row a dict

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> _PooledSQLiteTransaction:
        return _PooledSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


class _PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction on a lent connection, given back (or closed, after an error) when it ends."""

    engine: PooledSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.engine.lend()
        try:
            await self.begin()  # type: ignore[no-untyped-call]  # piccolo leaves it unannotated
        except BaseException:
            await self.engine.give_back(self.connection, healthy=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._parent:
            return exception is None
        healthy = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]  # piccolo leaves it unannotated
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]  # piccolo leaves it unannotated
            healthy = True  # committed or rolled back: the connection is out of its transaction
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.give_back(self.connection, healthy)
        return exception is None


def engine_from_url(url: str) -> Engine[Any]:
    if url.startswith("sqlite:"):
        return PooledSQLiteEngine(path=sqlite_path_from_url(url), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"unsupported database URL {url!r}")
    return PostgresEngine(config={"dsn": url})


def all_tables() -> list[type[Table]]:
    from booking.piccolo_conf import APP_REGISTRY  # here: piccolo_conf imports this module

    tables: list[type[Table]] = []
    for app_config in APP_REGISTRY.app_configs.values():
        tables.extend(app_config.table_classes)
    return tables


def bind_engine(engine: Engine[Any]) -> None:
    """Point every table at `engine` (the app and tests choose the database at run time)."""
    global _engine
    _engine = engine
    for table in all_tables():
        table._meta.db = engine


def current_engine() -> Engine[Any]:
    if _engine is None:
        raise RuntimeError("no database engine bound; call bind_engine() first")
    return _engine


def is_postgres(engine: Engine[Any] | None = None) -> bool:
    return bool((engine or current_engine()).engine_type == "postgres")


def database_kind() -> str:
    return "postgresql" if is_postgres() else "sqlite"


def in_transaction() -> bool:
    return current_engine().current_transaction.get() is not None


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """Open (or join) the transaction a use case writes in."""
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        yield
        return
    try:
        if is_postgres(engine):
            async with engine.transaction():
                yield
        else:
            async with _sqlite_writer_lock(), engine.transaction(transaction_type=TransactionType.immediate):
                yield
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise Busy("Many people are booking right now. Please try again in a moment.") from error
        raise


def json_column(value: Any, empty: str = "{}") -> Any:
    """A column that holds JSON, as selected -> its Python value.

    Piccolo hands JSON back as text on both engines (JSON columns too, unless the query asked for
    `.output(load_json=True)`), and the Text columns that hold JSON are text anyway. NULL or empty text
    reads as `empty` ("{}" or "[]", a fresh object each time); an already decoded value is returned as it is.
    """
    if isinstance(value, (dict, list)):
        return value
    return json.loads(value or empty)


def is_unique_violation(error: BaseException) -> bool:
    """A unique index refused a row: on PostgreSQL, two READ COMMITTED transactions that both checked
    "nobody has it yet" and then both inserted; the one that lost is a conflict, not a crash."""
    if isinstance(error, UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(error)


async def lock_rows_for_update(table: type[Table], *where: Any) -> None:
    """Lock the guarded rows until the transaction ends.

    On SQLite the whole database is already held by BEGIN IMMEDIATE, and piccolo's
    `lock_rows()` raises there, hence the branch.
    """
    if not in_transaction():
        raise RuntimeError("lock_rows_for_update() must run inside write_transaction()")
    if is_postgres():
        await table.select(table._meta.primary_key).where(*where).lock_rows()


# asyncpg binds at most 32,767 parameters to one statement (and SQLite 32,766 since 3.32): a
# multi-row INSERT of n rows binds n * columns of them.
MAX_QUERY_PARAMETERS = 32_766


async def insert_many(table: type[Table], rows: list[Table], *returning: Any) -> list[dict[str, Any]]:
    """INSERT `rows` in as few statements as the drivers' parameter limit allows; returns the
    `returning` columns of every row, in order (an empty list when none are asked for)."""
    per_row = len(table._meta.columns)
    chunk = max(1, MAX_QUERY_PARAMETERS // per_row)
    stored: list[dict[str, Any]] = []
    for start in range(0, len(rows), chunk):
        query = table.insert(*rows[start : start + chunk])
        result = await (query.returning(*returning) if returning else query)
        if returning:
            stored.extend(result)
    return stored


# Each statement's placeholders in the engine's style, worked out once: piccolo's raw() parses the SQL text again
# on every call, which cost more than the rest of a hot-path statement (benchmarks/registration_burst.py --profile).
# Bounded: a few fixed statements, and sessions_of's at most 2 x 500 shapes.
_COMPILED_SQL: dict[tuple[str, str], str] = {}


def _compiled(sql: str, engine_type: str) -> str:
    key = (sql, engine_type)
    compiled = _COMPILED_SQL.get(key)
    if compiled is None:
        parts = sql.split("{}")
        if engine_type == "sqlite":
            compiled = "?".join(parts)
        else:
            compiled = parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], start=1))
        _COMPILED_SQL[key] = compiled
    return compiled


async def fetch_sql(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement written in SQL, `{}` for each argument (as piccolo's raw() takes it), in the open
    transaction if there is one; returns its rows as dicts. For the registration hot path; elsewhere the query
    builder reads better and its cost does not matter. The SQL text must hold no other braces.
    It runs the statement the way the engines' own run_querystring does, through their (pinned) private runners."""
    engine = current_engine()
    query = _compiled(sql, engine.engine_type)
    transaction = engine.current_transaction.get()
    if isinstance(engine, PooledSQLiteEngine):
        if transaction is not None:
            return await engine._run_in_existing_connection(transaction.connection, query, list(args))
        return await engine._run_in_new_connection(query, list(args))
    assert isinstance(engine, PostgresEngine)
    if transaction is not None:
        records = await transaction.connection.fetch(query, *args)
    elif engine.pool:
        records = await engine._run_in_pool(query, args)
    else:
        records = await engine._run_in_new_connection(query, args)
    return [dict(record) for record in records]


# The hot path's statements (a registration, its history row, its email in the outbox), built once per table:
# piccolo's query builder costs several times the statement itself (benchmarks/query_cost.py), and under a
# rush these run while the offering is locked.
_INSERT_STATEMENTS: dict[tuple[type[Table], str], tuple[str, tuple[Column, ...], frozenset[str], frozenset[str]]] = {}


def _insert_statement(
    table: type[Table], returning: str
) -> tuple[str, tuple[Column, ...], frozenset[str], frozenset[str]]:
    """The statement, its columns in order, their names, and which of them hold JSON. The primary key is left to
    the database (the tables it serves have a serial id)."""
    key = (table, returning)
    if key not in _INSERT_STATEMENTS:
        columns = tuple(column for column in table._meta.columns if column is not table._meta.primary_key)
        names = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
        placeholders = ", ".join("{}" for _ in columns)
        _INSERT_STATEMENTS[key] = (
            f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({placeholders}) RETURNING {returning}',
            columns,
            frozenset(column._meta.name for column in columns),
            frozenset(column._meta.name for column in columns if isinstance(column, (JSON, JSONB))),
        )
    return _INSERT_STATEMENTS[key]


def _sql_value(value: Any, column: Column, holds_json: bool) -> Any:
    """What piccolo's convert_to_sql_value makes of a value, without its imports and checks on every call for the
    plain values the hot path passes (text, numbers, times, None)."""
    if value is None or isinstance(value, (int, float, dt.datetime, dt.date)):
        return value
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        return value
    if holds_json and isinstance(value, (dict, list)):
        return dump_json(value)
    return convert_to_sql_value(value=value, column=column)


async def insert_row(table: type[Table], values: dict[str, Any], returning: str = "id") -> dict[str, Any]:
    """INSERT one row of `table` and return its `returning` columns ("*": the whole row, as a select reads it).

    `values` maps column names to values; every other column takes its default, as `Table(**values)` would,
    and a column that has no default and may not be NULL is an error, as there."""
    statement, columns, known, json_columns = _insert_statement(table, returning)
    if unknown := values.keys() - known:
        raise ValueError(f"{table.__name__} has no columns {sorted(unknown)}")
    args = []
    for column in columns:
        name = column._meta.name
        value = values[name] if name in values else column.get_default_value()
        if isinstance(value, Default):
            value = value.python()
        if value is None and not column._meta.null:
            raise ValueError(f"{table.__name__}.{name} wasn't provided")
        args.append(_sql_value(value, column, name in json_columns))
    return (await fetch_sql(statement, *args))[0]


def contains_text(column: Column, text: str) -> Where:
    """Case-insensitive substring match (ILIKE on PostgreSQL; SQLite's LIKE already ignores ASCII case)."""
    pattern = f"%{text}%"  # a % or _ typed into a search box simply widens the search
    return column.ilike(pattern) if is_postgres() else column.like(pattern)


async def prepare_sqlite(engine: Engine[Any]) -> None:
    """WAL lets readers proceed while one writer holds the lock; the setting is persistent."""
    if engine.engine_type == "sqlite":
        assert isinstance(engine, SQLiteEngine)
        connection = await engine.get_connection()
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
        finally:
            await connection.close()


async def ping() -> bool:
    await current_engine().run_ddl("SELECT 1")
    return True
