"""The public catalog with 1,000 published workshops, through the ASGI app.

Seeds `--workshops` published, upcoming workshops (programs with subjects, audiences and grade bands,
one to three sessions each, some registrations so seat counts have rows to count), then times, each
`--runs` times: the filtered htmx fragment (/workshops?subject=...&format=..., HX-Request), the full
page (/workshops), and, in the same run and the same way, /healthz (the app's own floor). Prints
medians and p95, and the fragment's median as a multiple of /healthz's.

    .venv/bin/python benchmarks/catalog.py --runs 50 \\
        --database-url postgresql://postgres@127.0.0.1:5432/booking_bench

SQLite and PostgreSQL in one run (the PostgreSQL database's `public` schema is dropped first).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_common import percentile, reset_postgres, run_cli

SECRET = "benchmark-secret-key-0123456789-abcdefghij"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/booking_bench"
BASE_URL = "http://testserver.local"
SUBJECTS = [
    "Math",
    "English Language Arts",
    "Science",
    "History",
    "Special Education",
    "Arts",
    "Technology",
    "Leadership",
]
AUDIENCES = ["teacher", "para-educator", "administrator", "classified"]
GRADE_BANDS = ["TK-2", "3-5", "6-8", "9-12", "TK-12", "Adult"]
FORMATS = ["in_person", "virtual", "hybrid"]
FRAGMENT = "/workshops?subject=Math&format=in_person"


async def seed(workshops: int, people: int) -> None:
    from booking.accounts.tables import User
    from booking.catalog.tables import Offering, OfferingSession, Program
    from booking.db import insert_many
    from booking.scheduling.tables import Registration

    chance = random.Random(2026)
    now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    programs = await insert_many(
        Program,
        [
            Program(
                title=f"Program {n}",
                subject=SUBJECTS[n % len(SUBJECTS)],
                grade_band=GRADE_BANDS[n % len(GRADE_BANDS)],
                audiences="," + ",".join(chance.sample(AUDIENCES, 2)) + ",",
                description_md="A workshop. " * 20,
            )
            for n in range(workshops)
        ],
        Program.id,
    )
    offerings = await insert_many(
        Offering,
        [
            Offering(
                program=program["id"],
                kind="workshop",
                title=f"Workshop {n}: {SUBJECTS[n % len(SUBJECTS)]}",
                description_md="Hands-on practice. " * 20,
                format=FORMATS[n % len(FORMATS)],
                capacity=30,
                status="published",
                price_cents=chance.choice([0, 0, 5000, 12000]),
                facilitators="A. Facilitator",
            )
            for n, program in enumerate(programs)
        ],
        Offering.id,
    )
    sessions = []
    for offering in offerings:
        first = now + dt.timedelta(days=chance.randint(1, 300), hours=chance.randint(0, 8))
        for k in range(chance.randint(1, 3)):
            starts = first + dt.timedelta(days=7 * k)
            sessions.append(
                OfferingSession(offering=offering["id"], starts_at=starts, ends_at=starts + dt.timedelta(hours=3))
            )
    await insert_many(OfferingSession, sessions)
    users = await insert_many(
        User,
        [User(email=f"reader{n}@example.org", name=f"Reader {n}", role="attendee") for n in range(people)],
        User.id,
    )
    registrations = [
        Registration(offering=offering["id"], attendee=user["id"], status="confirmed", payer="free", confirmed_at=now)
        for user in users
        for offering in chance.sample(offerings, 20)
    ]
    await insert_many(Registration, registrations)


async def timed(client, path: str, runs: int, headers: dict | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = await client.get(path, headers=headers or {})
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code)
    return times


async def measure(url: str, workdir: Path, workshops: int, runs: int) -> dict[str, list[float]]:
    from feeds import running

    from booking.app import create_app
    from booking.db import bind_engine, engine_from_url
    from booking.settings import Settings, use_settings

    settings = use_settings(
        Settings(
            database_url=url,
            secret_key=SECRET,
            base_url=BASE_URL,
            var_dir=workdir,
            db_pool_size=10,
            run_worker_in_process=False,
        )
    )
    bind_engine(engine_from_url(url))
    await seed(workshops, people=200)
    # The planner's statistics, as a live database has them (PostgreSQL's autovacuum analyzes a table once enough
    # of it changed): right after a bulk insert it has none, guesses 2 published workshops instead of 1,000, and
    # picks a nested loop 7x slower than its plan with statistics.
    from booking.db import current_engine

    await current_engine().run_ddl("ANALYZE")
    app = create_app(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results: dict[str, list[float]] = {"healthz": [], "fragment": [], "page": []}
    fragment_headers = {"HX-Request": "true", "HX-Target": "results"}
    async with running(app) as client:
        await timed(client, FRAGMENT, 3, fragment_headers)  # warm: templates compiled, connections open
        await timed(client, "/workshops", 3)
        # Interleaved, so a noisy moment on a shared machine touches each figure alike.
        for _ in range(runs):
            results["healthz"] += await timed(client, "/healthz", 1)
            results["fragment"] += await timed(client, FRAGMENT, 1, fragment_headers)
            results["page"] += await timed(client, "/workshops", 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--workshops", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        workdir = Path(tempfile.mkdtemp(prefix="booking-bench-catalog-"))
        url = f"sqlite:///{workdir / 'bench.db'}" if engine == "sqlite" else args.database_url
        if engine == "postgresql":
            asyncio.run(reset_postgres(url))
        env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
        run_cli(env, "migrate")
        results = asyncio.run(measure(url, workdir, args.workshops, args.runs))
        healthz = statistics.median(results["healthz"])
        print(f"engine={engine} published workshops={args.workshops} runs={args.runs}")
        for name, label in (
            ("healthz", "/healthz"),
            ("fragment", f"filtered fragment {FRAGMENT}"),
            ("page", "full page /workshops"),
        ):
            times = results[name]
            median = statistics.median(times)
            print(
                f"  {label:55} median {median * 1000:7.1f} ms   p95 {percentile(times, 0.95) * 1000:7.1f} ms   "
                f"{median / healthz:5.1f}x /healthz"
            )


if __name__ == "__main__":
    main()
