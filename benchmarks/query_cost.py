"""What piccolo costs per query, against the same SQL through piccolo's raw() and the bare driver.

The query is the one every signed-in request makes: the person behind an API token (or a session),
read through a join to `app_user`. Three ways, each run `--runs` times in a row on the same
connection setup, medians in microseconds:

- "piccolo select": the query builder, as `actor_for_api_token` used it before the rush work
- "raw SQL": the same SQL written once, run through `Table.raw()` (what the hot path uses now)
- "bare driver": the same SQL on an aiosqlite / asyncpg connection of our own (the floor)

    .venv/bin/python benchmarks/query_cost.py --runs 2000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/booking_bench

The PostgreSQL database is wiped (its `public` schema is dropped) before the run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import reset_postgres, run_cli

SECRET = "benchmark-secret-key-0123456789-abcdefghij"


async def measure(url: str, runs: int) -> dict[str, float]:
    import os

    import aiosqlite
    import asyncpg

    from booking.accounts.api_tokens import ACTOR_BY_TOKEN_SQL, create_api_token, hash_token
    from booking.accounts.tables import ApiToken, User
    from booking.db import bind_engine, engine_from_url, is_postgres
    from booking.settings import Settings, use_settings

    use_settings(Settings(database_url=url, secret_key=SECRET, var_dir=Path(tempfile.mkdtemp())))
    engine = engine_from_url(url)
    bind_engine(engine)
    await User.insert(User(email="query-cost@example.org", name="Query Cost", role="attendee"))
    user = await User.select(User.id).where(User.email == "query-cost@example.org").first()
    token_hash = hash_token(await create_api_token(user["id"], "bench"))

    async def piccolo_select() -> object:
        return (
            await ApiToken.select(
                ApiToken.id,
                ApiToken.last_used_at,
                ApiToken.user.id.as_alias("person_id"),
                ApiToken.user.email.as_alias("person_email"),
                ApiToken.user.name.as_alias("person_name"),
                ApiToken.user.role.as_alias("person_role"),
                ApiToken.user.district.as_alias("person_district"),
                ApiToken.user.school.as_alias("person_school"),
                ApiToken.user.is_active.as_alias("person_is_active"),
            )
            .where((ApiToken.token_hash == token_hash) & ApiToken.revoked_at.is_null())
            .first()
        )

    async def raw_sql() -> object:
        return (await ApiToken.raw(ACTOR_BY_TOKEN_SQL, token_hash))[0]

    if is_postgres(engine):
        await engine.start_connection_pool(min_size=1, max_size=2)
        connection = await asyncpg.connect(url)
        sql = ACTOR_BY_TOKEN_SQL.replace("{}", "$1")

        async def bare_driver() -> object:
            return await connection.fetchrow(sql, token_hash)
    else:
        connection = await aiosqlite.connect(os.path.abspath(url.removeprefix("sqlite:///")))
        sql = ACTOR_BY_TOKEN_SQL.replace("{}", "?")

        async def bare_driver() -> object:
            async with connection.execute(sql, (token_hash,)) as cursor:
                return await cursor.fetchone()

    figures = {}
    for name, query in (("piccolo select", piccolo_select), ("raw SQL", raw_sql), ("bare driver", bare_driver)):
        assert await query() is not None
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            await query()
            times.append(time.perf_counter() - began)
        figures[name] = statistics.median(times) * 1e6
    await connection.close()
    if is_postgres(engine):
        await engine.close_connection_pool()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/booking_bench")
    args = parser.parse_args()
    import os

    for engine in ("sqlite", "postgresql"):
        if engine == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        else:
            url = args.database_url
            asyncio.run(reset_postgres(url))
        run_cli({**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET}, "migrate")
        figures = asyncio.run(measure(url, args.runs))
        floor = figures["bare driver"]
        print(f"{engine}: the person behind an API token, median of {args.runs}")
        for name, micros in figures.items():
            print(f"  {name:15s} {micros:8.1f} µs   {micros / floor:5.1f}× the bare driver")


if __name__ == "__main__":
    main()
