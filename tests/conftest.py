"""Shared test fixtures.

Every database test runs on SQLite and, when BOOKING_TEST_DATABASE_URL is set, on
PostgreSQL, through real connections. Each engine is migrated once per run by the real
`booking migrate` command; each test starts from empty tables plus the reference data.
A worker builds the app once per engine (fixture `app`) and reuses it: the app keeps nothing
of a test, and each test's settings are the current ones while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import booking.periodic_jobs  # noqa: F401  (the worker's jobs, registered as the app and the CLI do: tests run the worker alone)
from booking.accounts.passwords import use_hashing_cost
from booking.settings import Settings, use_settings

# The suite makes thousands of accounts; at the production cost each password hash takes ~0.25 s of CPU.
# The same code path with argon2id's smallest cost keeps sign-in real and the suite minutes shorter.
# Servers the suite starts as subprocesses (the browser tests, `booking` commands) keep the production cost.
use_hashing_cost(time_cost=1, memory_cost_kib=1024)

REQUIRE_POSTGRES = os.environ.get("BOOKING_REQUIRE_POSTGRES") == "1"
POSTGRES_URL = os.environ.get("BOOKING_TEST_DATABASE_URL", "").strip()
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TEST_WEBHOOK_SECRET = "whsec_test_pytest_0123456789abcdef"
ENGINES = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, database_url: str, var_dir: Path, extra_env: dict | None = None, check: bool = False):
    env = {
        **os.environ,
        "BOOKING_DATABASE_URL": database_url,
        "BOOKING_VAR_DIR": str(var_dir),
        "BOOKING_SECRET_KEY": TEST_SECRET,
        **(extra_env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-m", "booking.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    from tests.log_scan import leaks

    # The command's log lines go to standard error (its standard output may print a token by contract).
    leaked = leaks(result.stderr.splitlines())
    assert not leaked, f"booking {args[0]} logged something secret:\n" + "\n".join(leaked)
    if check and result.returncode != 0:
        raise AssertionError(
            f"booking {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database beside the given one (booking_ci_test_gw0, ...),
    created on first use: workers never share tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    asyncio.run(_create_database_if_missing(url, name))
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _create_database_if_missing(url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _reset_postgres_schema(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        # A run killed half-way can leave sessions holding locks that would block the drop.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory) -> dict[str, str]:
    """Engine kind -> URL of a migrated database, built lazily once per run."""
    return {}


@pytest.fixture(scope="session")
def session_var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("var")


def _database_url(kind: str, migrated: dict[str, str], var_dir: Path) -> str:
    if kind in migrated:
        return migrated[kind]
    if kind == "sqlite":
        url = f"sqlite:///{var_dir / 'test.db'}"  # absolute path: four slashes
    else:
        if not POSTGRES_URL:
            if REQUIRE_POSTGRES:
                pytest.fail("BOOKING_REQUIRE_POSTGRES=1 but BOOKING_TEST_DATABASE_URL is not set")
            pytest.skip("PostgreSQL tests need BOOKING_TEST_DATABASE_URL")
        url = _worker_database(POSTGRES_URL)
        try:
            asyncio.run(_reset_postgres_schema(url))
        except Exception as error:  # unreachable server: loud when required
            if REQUIRE_POSTGRES:
                pytest.fail(f"PostgreSQL at BOOKING_TEST_DATABASE_URL is not usable: {error}")
            pytest.skip(f"PostgreSQL not reachable: {error}")
    run_cli("migrate", database_url=url, var_dir=var_dir, check=True)
    migrated[kind] = url
    return url


@pytest.fixture(params=ENGINES)
def engine_kind(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def stripe_double():
    """The local Stripe double on a loopback port, shared by the run. It queues its webhooks:
    tests deliver them to the app (tests/payments/webhook_helpers.py), in the order they choose."""
    from tests.payments.stripe_double_server import running_stripe_double

    with running_stripe_double(TEST_WEBHOOK_SECRET, webhook_url=None, settle_refunds="manual") as double:
        yield double


@pytest.fixture
def settings(engine_kind, migrated_databases, session_var_dir, tmp_path, stripe_double) -> Settings:
    url = _database_url(engine_kind, migrated_databases, session_var_dir)
    return use_settings(
        Settings(
            database_url=url,
            secret_key=TEST_SECRET,
            base_url="http://testserver.local",
            var_dir=tmp_path / "var",
            db_pool_size=20,  # the app's lifespan runs in the test's own loop (see asgi_client), so a pool is safe
            run_worker_in_process=False,
            # The same code path as production: the official SDK with a key, pointed at the double.
            stripe_secret_key="sk_test_pytest_local_double",
            stripe_webhook_secret=TEST_WEBHOOK_SECRET,
            stripe_api_base=stripe_double.base,
        )
    )


async def _empty_all_tables(engine) -> None:
    from booking.db import all_tables

    names = [table._meta.tablename for table in all_tables()]
    if engine.engine_type == "postgres":
        # TRUNCATE costs ~1 s for the ~60 tables (new files for every table and index), DELETE of the few
        # rows a test wrote costs milliseconds. The replica role lifts the foreign-key checks and the
        # append-only triggers for the wipe alone; the sequences of these tables restart as TRUNCATE's
        # RESTART IDENTITY did, so ids begin at 1 in every test.
        listed = ", ".join(f"'{name}'" for name in names)
        script = (
            "BEGIN; SET LOCAL session_replication_role = replica; "
            + "".join(f"DELETE FROM {name}; " for name in names)
            + "SELECT setval(sequence.oid, used.start_value, false) FROM pg_class sequence "
            "JOIN pg_sequences used ON used.schemaname = 'public' AND used.sequencename = sequence.relname "
            "AND used.last_value IS NOT NULL "
            "JOIN pg_depend link ON link.objid = sequence.oid AND link.deptype IN ('a', 'i') "
            f"JOIN pg_class owner ON owner.oid = link.refobjid AND owner.relname IN ({listed}) "
            "WHERE sequence.relkind = 'S'; COMMIT;"
        )
        connection = await engine.get_new_connection()
        try:
            await connection.execute(script)  # one round trip; SET LOCAL ends with the transaction
        finally:
            await connection.close()
        return
    connection = await engine.get_connection()
    try:
        # Append-only tables refuse DELETE by trigger (the audit trail): lifted for the wipe, then put back.
        async with connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
        ) as cursor:
            delete_guards = [(row["name"], row["sql"]) for row in await cursor.fetchall()]
        # One script, one transaction: a statement at a time cost a thread hop each (~0.2 s a test).
        await connection.executescript(
            "PRAGMA foreign_keys = OFF; BEGIN; "
            + "".join(f"DROP TRIGGER {trigger}; " for trigger, _ in delete_guards)
            + "".join(f"DELETE FROM {name}; " for name in names)
            + "".join(f"{sql}; " for _, sql in delete_guards)
            + "COMMIT;"
        )
    finally:
        await connection.close()


def _forget_a_pool_of_another_loop(engine) -> None:
    """A pool belongs to the event loop of the test that started it; a test that ended without closing it
    (its lifespan cut short) must not hand it to the next test's loop. A fresh engine per test used to
    drop it the same way. (SQLite's engine keeps open connections of its own, usable from any loop, which the
    `db` fixture and the app's lifespan close: booking.db.PooledSQLiteEngine.)"""
    if engine.engine_type == "postgres" and getattr(engine, "pool", None) is not None:
        engine.pool = None


@pytest.fixture(scope="session")
def database_engines() -> dict:
    """One engine per database URL per worker: piccolo connects to check the server's version each time
    an engine is made. An engine without a pool holds no connection between tests."""
    return {}


@pytest.fixture
async def db(settings, database_engines):
    """A bound engine over empty tables plus the reference districts."""
    from booking.accounts.reference_data import ensure_reference_districts
    from booking.db import bind_engine, engine_from_url, prepare_sqlite

    if settings.database_url not in database_engines:
        database_engines[settings.database_url] = engine_from_url(settings.database_url)
    engine = database_engines[settings.database_url]
    _forget_a_pool_of_another_loop(engine)
    bind_engine(engine)
    await prepare_sqlite(engine)
    await _empty_all_tables(engine)
    await ensure_reference_districts()
    yield engine
    if getattr(engine, "pool", None) is not None:
        await engine.close_connection_pool()


@pytest.fixture(scope="session")
def built_apps() -> dict:
    """Apps this worker has built, by what create_app reads from the settings (see `app`)."""
    return {}


def _what_the_app_keeps(settings: Settings) -> Settings:
    """The settings with the per-test fields the app never keeps set aside: handlers read var_dir, mail_dir
    and backup_dir through current_settings() on every request. Unless the outbox worker runs inside the
    app: its transport is built from the settings the app was made with, mail directory included."""
    if settings.worker_in_process:
        return settings
    return dataclasses.replace(settings, var_dir=Path("per-test"), backup_dir=None)


@pytest.fixture
async def app(db, settings, built_apps):
    """The app, built once per engine (and per distinct settings) per worker: building it takes 0.2-0.5 s.

    It keeps no state of a test between tests: its lifespan (pool, worker) runs in each test's own loop
    (asgi_client), sessions, throttles and known devices live in the emptied tables, and the settings of
    this test are the current ones (the `settings` fixture) for every handler."""
    from booking.app import create_app
    from booking.db import bind_engine, current_engine

    key = _what_the_app_keeps(settings)
    if key not in built_apps:
        built = create_app(settings)
        built_apps[key] = (built, current_engine())  # create_app binds the engine its lifespan uses
    built, engine = built_apps[key]
    # What create_app did for the test that built it, done for this one too.
    use_settings(settings)
    bind_engine(engine)
    _forget_a_pool_of_another_loop(engine)
    return built


@contextlib.asynccontextmanager
async def asgi_client(app, base_url: str = "http://testserver.local"):
    """An HTTP client that runs the app in the test's own event loop.

    Litestar's AsyncTestClient runs every request through a blocking portal in another
    thread, one at a time, so concurrent requests would silently be serialised; httpx's
    ASGI transport lets `asyncio.gather` really interleave them, as a server would.
    """
    import httpx

    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        # Its own task: the lifespan's task group must be entered and left in one task, and
        # pytest-asyncio may tear a fixture down in another.
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiter.cancel()
        lifespan.result()  # start-up failed: raise its error here
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=base_url, follow_redirects=False) as http:
            yield http
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app):
    async with asgi_client(app) as http:
        yield http


@pytest.fixture(scope="session")
def log_lines():
    """Every log record of the run, formatted as production formats it (tests/log_scan.py)."""
    import logging

    from tests.log_scan import LineCollector

    collector = LineCollector()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)  # the request lines of /healthz, /readyz and /metrics are DEBUG
    for name in ("asyncio", "aiosqlite", "httpcore", "httpx", "piccolo", "PIL", "fontTools", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)  # chatty, and nothing of ours in them
    yield collector
    root.removeHandler(collector)
    root.setLevel(previous_level)


@pytest.fixture(autouse=True)
def no_secrets_in_the_logs(request, log_lines):
    """Fails the test whose log lines hold a secret, a token or a medical note (see tests/log_scan.py)."""
    from tests.log_scan import leaks, student_notes

    # A Litestar app built without `logging_config=None` (a test's own small app) configures logging and
    # replaces the root handlers: attach the collector again for each test, so no test's lines go unscanned.
    root = logging.getLogger()
    if log_lines not in root.handlers:
        root.addHandler(log_lines)
    root.setLevel(logging.DEBUG)
    log_lines.take()
    database_url = request.getfixturevalue("settings").database_url if "db" in request.fixturenames else None
    yield
    lines = log_lines.take()
    notes = student_notes(database_url) if database_url and lines else ()
    leaked = leaks(lines, notes)
    if leaked:
        pytest.fail("secret data in the logs of this test:\n" + "\n".join(leaked[:10]), pytrace=False)


pytest_plugins = ["tests.factories", "tests.smtp", "tests.oidc_provider"]
