"""What each database test pays before its first line runs, the old way and the suite's way, in one run.

Per test, the fixtures of tests/conftest.py empty every table, put the reference districts back and hand
the test an app. Figures (median and p95 over --runs, milliseconds) for:

- emptying the tables: PostgreSQL TRUNCATE ... RESTART IDENTITY CASCADE (the old wipe) beside the
  suite's DELETE under the replica role with the sequences restarted; SQLite one statement at a time
  (the old wipe) beside the suite's one script;
- making the database engine (piccolo connects to check the server version) beside reusing one;
- create_app(settings) (the old `app` fixture, every test) beside handing back the built app.

Each wipe runs over tables holding what one typical test leaves: a few people and their sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_common import percentile, reset_postgres, run_cli

SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"


def report(label: str, seconds: list[float]) -> None:
    print(
        f"  {label:<58} median {statistics.median(seconds) * 1000:8.1f} ms   p95 {percentile(seconds, 0.95) * 1000:8.1f} ms"
    )


async def timed(runs: int, make, before=None) -> list[float]:
    results = []
    for _ in range(runs):
        if before is not None:
            await before()
        started = time.perf_counter()
        await make()
        results.append(time.perf_counter() - started)
    return results


async def some_rows() -> None:
    """What a typical test leaves behind: a handful of accounts."""
    from tests.factories import make_user

    for index in range(5):
        await make_user("attendee", email=f"bench{index}-{time.perf_counter_ns()}@egusd.example")


async def old_wipe(engine) -> None:
    from booking.db import all_tables

    names = [table._meta.tablename for table in all_tables()]
    if engine.engine_type == "postgres":
        await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
        return
    connection = await engine.get_connection()
    try:
        await connection.execute("PRAGMA foreign_keys = OFF")
        async with connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
        ) as cursor:
            delete_guards = [(row["name"], row["sql"]) for row in await cursor.fetchall()]
        for trigger, _ in delete_guards:
            await connection.execute(f"DROP TRIGGER {trigger}")
        for name in names:
            await connection.execute(f"DELETE FROM {name}")
        for _, sql in delete_guards:
            await connection.execute(sql)
        await connection.commit()
    finally:
        await connection.close()


async def measure(kind: str, url: str, var_dir: Path, runs: int) -> None:
    from booking.accounts.passwords import use_hashing_cost
    from booking.app import create_app
    from booking.db import bind_engine, engine_from_url
    from booking.settings import Settings, use_settings
    from tests.conftest import _empty_all_tables

    use_hashing_cost(time_cost=1, memory_cost_kib=1024)  # as the suite does
    settings = use_settings(
        Settings(
            database_url=url,
            secret_key=SECRET,
            base_url="http://testserver.local",
            var_dir=var_dir,
            run_worker_in_process=False,
        )
    )
    engine = engine_from_url(url)
    bind_engine(engine)
    print(f"{kind}:")
    report("empty the tables, old wipe", await timed(runs, lambda: old_wipe(engine), some_rows))
    report("empty the tables, suite's wipe", await timed(runs, lambda: _empty_all_tables(engine), some_rows))

    async def make_engine() -> None:
        engine_from_url(url)

    async def reuse_engine() -> None:
        bind_engine(engine)

    report("make the database engine (old, every test)", await timed(runs, make_engine))
    report("reuse the worker's engine", await timed(runs, reuse_engine))

    async def build_app() -> None:
        create_app(settings)

    built = create_app(settings)

    async def reuse_app() -> None:
        use_settings(settings)
        bind_engine(engine)
        assert built is not None

    report("create_app(settings) (old, every test)", await timed(runs, build_app))
    report("hand back the worker's app", await timed(runs, reuse_app))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BOOKING_BENCH_DATABASE_URL"),
        help="PostgreSQL database (its public schema is dropped); SQLite only without it",
    )
    arguments = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="suite-fixtures-"))
    engines = {"sqlite": f"sqlite:///{var_dir / 'bench.db'}"}
    if arguments.database_url:
        await reset_postgres(arguments.database_url)
        engines["postgresql"] = arguments.database_url
    for kind, url in engines.items():
        run_cli(
            {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_VAR_DIR": str(var_dir), "BOOKING_SECRET_KEY": SECRET},
            "migrate",
        )
        await measure(kind, url, var_dir, arguments.runs)


if __name__ == "__main__":
    asyncio.run(main())
