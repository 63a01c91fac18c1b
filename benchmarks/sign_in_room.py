"""A training room signs in: 60 teachers behind one school network address, through the real app.

Every teacher opens /sign-in in a browser of their own (own cookies, no known-device cookie) and
signs in with the right password at the same moment; a few mistype once first. A teacher told to
wait (429) waits the Retry-After and tries again, as a person would. The room must be signed in
within a minute and nobody refused for good.

Baseline, same run: the password checks alone (argon2id verify of the same number of attempts, one
after another in this process) — the work no sign-in can avoid.

    .venv/bin/python benchmarks/sign_in_room.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/sign_in_room.py --engines sqlite --runs 5 --teachers 60 --mistypes 5

The PostgreSQL database is wiped (its `public` schema is dropped) before the run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench_common import percentile, reset_postgres, run_cli

SECRET = "benchmark-secret-key-0123456789-abcdefghij"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/booking_bench"
BASE_URL = "http://testserver.local"
ROOM_ADDRESS = "10.20.30.40"
PASSWORD = "correct horse battery"


@dataclass
class Run:
    room_seconds: float
    latencies: list[float] = field(default_factory=list)
    signed_in: int = 0
    waits: int = 0  # 429 answers a teacher had to wait out


async def prepare(teachers: int) -> list[str]:
    from booking.accounts.passwords import hash_password
    from booking.accounts.tables import User

    password_hash = hash_password(PASSWORD)
    emails = [f"teacher{n}@school.example" for n in range(teachers)]
    await User.insert(
        *[
            User(email=email, name=f"Teacher {n}", role="attendee", password_hash=password_hash)
            for n, email in enumerate(emails)
        ]
    )
    return emails


async def one_teacher(app, email: str, mistypes: bool, run: Run) -> None:
    transport = httpx.ASGITransport(app=app, client=(ROOM_ADDRESS, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=300) as browser:
        began = time.perf_counter()
        form = await browser.get("/sign-in")
        assert form.status_code == 200, form.status_code
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        attempts = ["a wrong password", PASSWORD] if mistypes else [PASSWORD]
        for password in attempts:
            while True:
                answer = await browser.post(
                    "/sign-in", data={"email": email, "password": password, "_csrf_token": token}
                )
                if answer.status_code != 429:
                    break
                run.waits += 1
                await asyncio.sleep(int(answer.headers.get("retry-after", "1")))
        run.latencies.append(time.perf_counter() - began)
        if answer.status_code == 303:
            run.signed_in += 1


async def room(app, emails: list[str], mistypes: int) -> Run:
    from booking.accounts.tables import AttemptThrottle, UserSession

    # Each run starts from a quiet room: no counters, nobody signed in.
    await AttemptThrottle.delete(force=True)
    await UserSession.delete(force=True)
    every = max(1, len(emails) // max(1, mistypes)) if mistypes else 0
    run = Run(room_seconds=0.0)
    started = time.perf_counter()
    await asyncio.gather(
        *[
            one_teacher(app, email, bool(every) and n % every == 0 and n // every < mistypes, run)
            for n, email in enumerate(emails)
        ]
    )
    run.room_seconds = time.perf_counter() - started
    return run


def bare_password_checks(count: int) -> float:
    from booking.accounts.passwords import hash_password, verify_password

    password_hash = hash_password(PASSWORD)
    started = time.perf_counter()
    for n in range(count):
        verify_password(password_hash, PASSWORD if n % 2 else "a wrong password")
    return time.perf_counter() - started


async def measure(url: str, workdir: Path, runs: int, teachers: int, mistypes: int) -> tuple[list[Run], list[float]]:
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
    emails = await prepare(teachers)
    app = create_app(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results, baselines = [], []
    async with running(app):
        for _ in range(runs):
            results.append(await room(app, emails, mistypes))
            baselines.append(bare_password_checks(teachers + mistypes))
    return results, baselines


def report(engine: str, teachers: int, mistypes: int, results: list[Run], baselines: list[float]) -> bool:
    room_seconds = statistics.median(r.room_seconds for r in results)
    latencies = [latency for r in results for latency in r.latencies]
    baseline = statistics.median(baselines)
    print(
        f"engine={engine} teachers={teachers} (mistyping once: {mistypes}) one address={ROOM_ADDRESS} runs={len(results)}"
    )
    print(
        f"  whole room signed in: median {room_seconds:6.2f} s   (runs: {', '.join(f'{r.room_seconds:.2f}' for r in results)})"
    )
    print(
        f"  per teacher: p50 {percentile(latencies, 0.5):6.2f} s   p95 {percentile(latencies, 0.95):6.2f} s   "
        f"max {max(latencies):6.2f} s"
    )
    print(f"  signed in: {[r.signed_in for r in results]}   told to wait (429): {[r.waits for r in results]}")
    print(
        f"  baseline, the {teachers + mistypes} password checks alone: median {baseline:6.2f} s   "
        f"the room takes {room_seconds / baseline:4.2f}x that"
    )
    return all(r.signed_in == teachers for r in results) and room_seconds < 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--teachers", type=int, default=60)
    parser.add_argument("--mistypes", type=int, default=5)
    args = parser.parse_args()
    ok = True
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        workdir = Path(tempfile.mkdtemp(prefix="booking-bench-room-"))
        url = f"sqlite:///{workdir / 'bench.db'}" if engine == "sqlite" else args.database_url
        if engine == "postgresql":
            asyncio.run(reset_postgres(url))
        env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
        run_cli(env, "migrate")
        results, baselines = asyncio.run(measure(url, workdir, args.runs, args.teachers, args.mistypes))
        ok = report(engine, args.teachers, args.mistypes, results, baselines) and ok
    if not ok:
        sys.exit("FAILED: not every teacher was signed in within a minute")


if __name__ == "__main__":
    main()
