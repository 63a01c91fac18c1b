"""A sign-in rush against a real `booking serve`: does hashing passwords stall everyone else?

60 teachers (each from a loopback address of their own, so no address limit is reached) open
/sign-in and sign in with the right password at the same moment, while a probe (a process of its own) reads
/healthz every 20 ms. Prints, for each arm, the /healthz p50/p99 during the rush, sign-ins per second and how many
were signed in; the same probe on the idle server is the baseline. Two arms in the same run, each a
fresh server on the same database:

- "hash on loop": the server started with BOOKING_BENCH_HASH_ON_LOOP=1 (argon2 on the event loop, as before)
- "hash in thread": the default (argon2 in a worker thread, booking.accounts.passwords)

    .venv/bin/python benchmarks/sign_in_rush.py --engines sqlite,postgresql \\
        --database-url postgresql://postgres@127.0.0.1:5432/booking_bench

The PostgreSQL database is wiped (its `public` schema is dropped) before the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import raw_http
from bench_common import percentile, reset_postgres, run_cli
from registration_burst import free_port

SECRET = "benchmark-secret-key-0123456789-abcdefghij"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/booking_bench"
PASSWORD = "correct horse battery"
PROBE_EVERY = 0.020


async def prepare(url: str, workdir: Path, teachers: int) -> list[str]:
    from booking.accounts.passwords import hash_password
    from booking.accounts.tables import User
    from booking.db import bind_engine, engine_from_url
    from booking.settings import Settings, use_settings

    use_settings(Settings(database_url=url, secret_key=SECRET, var_dir=workdir))
    bind_engine(engine_from_url(url))
    password_hash = hash_password(PASSWORD)  # production cost: this process never lowered it
    emails = [f"teacher{n}@school.example" for n in range(teachers)]
    await User.insert(
        *[
            User(email=email, name=f"Teacher {n}", role="attendee", password_hash=password_hash)
            for n, email in enumerate(emails)
        ]
    )
    return emails


async def quiet_room(url: str) -> None:
    """Each arm starts with no attempt counters and nobody signed in."""
    from booking.accounts.tables import AttemptThrottle, UserSession
    from booking.db import bind_engine, engine_from_url

    bind_engine(engine_from_url(url))
    await AttemptThrottle.delete(force=True)
    await UserSession.delete(force=True)


async def teacher(port: int, n: int, email: str, start: asyncio.Event) -> bool:
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + n // 250}.{1 + n % 250}")
    async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}", timeout=120) as browser:
        form = await browser.get("/sign-in")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        await start.wait()
        answer = await browser.post("/sign-in", data={"email": email, "password": PASSWORD, "_csrf_token": token})
        return answer.status_code == 303


async def rush(port: int, emails: list[str]) -> tuple[list[float], list[float], float, int]:
    """The probe runs in a process of its own (raw_http.Probe): in this one, 60 clients' answers would delay it."""
    with raw_http.Probe(port, every=PROBE_EVERY) as idle_probe:
        await asyncio.sleep(1.0)
    start = asyncio.Event()
    teachers = [asyncio.create_task(teacher(port, n, email, start)) for n, email in enumerate(emails)]
    await asyncio.sleep(1.0)  # every teacher has the form open
    with raw_http.Probe(port, every=PROBE_EVERY) as busy_probe:
        began = time.perf_counter()
        start.set()
        signed_in = sum(await asyncio.gather(*teachers))
        seconds = time.perf_counter() - began
    return idle_probe.latencies, busy_probe.latencies, seconds, signed_in


def arm(env: dict, url: str, emails: list[str], hash_on_loop: bool) -> tuple[list[float], list[float], float, int]:
    asyncio.run(quiet_room(url))
    port = free_port()
    server_env = {**env, "BOOKING_DB_POOL_SIZE": "10", "BOOKING_BENCH_HASH_ON_LOOP": "1" if hash_on_loop else "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--port", str(port), "--workers", "1"],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return asyncio.run(rush(port, emails))
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--teachers", type=int, default=60)
    args = parser.parse_args()
    ok = True
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        workdir = Path(tempfile.mkdtemp(prefix="booking-bench-rush-"))
        url = f"sqlite:///{workdir / 'bench.db'}" if engine == "sqlite" else args.database_url
        if engine == "postgresql":
            asyncio.run(reset_postgres(url))
        env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
        run_cli(env, "migrate")
        emails = asyncio.run(prepare(url, workdir, args.teachers))
        print(f"engine={engine} teachers={args.teachers} probe every {PROBE_EVERY * 1000:.0f} ms")
        for label, on_loop in (("hash on loop", True), ("hash in thread", False)):
            idle, busy, seconds, signed_in = arm(env, url, emails, on_loop)
            print(
                f"  {label:15} /healthz during the rush: p50 {percentile(busy, 0.5) * 1000:6.1f} ms  "
                f"p99 {percentile(busy, 0.99) * 1000:6.1f} ms  max {max(busy) * 1000:6.1f} ms  ({len(busy)} probes)   "
                f"idle: p50 {statistics.median(idle) * 1000:5.1f} ms  p99 {percentile(idle, 0.99) * 1000:5.1f} ms"
            )
            print(
                f"  {'':15} signed in {signed_in}/{args.teachers} in {seconds:5.2f} s: {signed_in / seconds:5.1f} sign-ins/s"
            )
            ok = ok and signed_in == args.teachers
    if not ok:
        sys.exit("FAILED: not every teacher was signed in")


if __name__ == "__main__":
    main()
