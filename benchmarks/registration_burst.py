"""N concurrent registrations over HTTP for one offering, against a real `booking serve`.

Prints registrations per second and p50/p99 latency, and in the same run the throughput of
the bare database transaction that guards a seat (lock the offering, count seats, insert):
the ceiling the HTTP path can approach.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_common import percentile, reset_postgres, run_cli

SECRET = "benchmark-secret-key-0123456789-abcdefghij"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def prepare(url: str, attempts: int, seats: int) -> tuple[int, int, list[str], list[int]]:
    """Two offerings (one for HTTP, one for the baseline), people, and their API tokens."""
    from booking.accounts.actor import Actor
    from booking.accounts.api_tokens import create_api_token
    from booking.accounts.tables import User
    from booking.catalog.offerings import create_offering
    from booking.catalog.validation import OfferingInput, SessionInput
    from booking.db import bind_engine, engine_from_url
    from booking.settings import Settings, use_settings

    use_settings(Settings(database_url=url, secret_key=SECRET, var_dir=Path(tempfile.mkdtemp())))
    bind_engine(engine_from_url(url))
    await User.insert(User(email="bench-staff@example.org", name="Bench Staff", role="staff"))
    staff_row = await User.select().where(User.email == "bench-staff@example.org").first()
    staff = Actor.from_row(staff_row)
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    session = [SessionInput(start, start + dt.timedelta(hours=3))]
    http_offering = await create_offering(staff, OfferingInput(title="Burst over HTTP", capacity=seats, status="published", sessions=session))
    base_offering = await create_offering(staff, OfferingInput(title="Baseline", capacity=seats, status="published", sessions=session))
    await User.insert(*[User(email=f"bench{i}@example.org", name=f"Bench {i}", role="attendee") for i in range(attempts * 2)])
    users = await User.select(User.id).where(User.email.like("bench%@example.org") & (User.role == "attendee")).order_by(User.id)
    ids = [u["id"] for u in users]
    tokens = [await create_api_token(user_id, "bench") for user_id in ids[:attempts]]
    return http_offering, base_offering, tokens, ids[attempts:]


async def baseline(url: str, offering_id: int, user_ids: list[int]) -> float:
    """The guarded transaction alone, as many at once as the HTTP run: registrations per second."""
    from booking.clock import utc_now
    from booking.db import bind_engine, engine_from_url, write_transaction
    from booking.scheduling.capacity import seat_counts_for
    from booking.scheduling.tables import Registration
    from booking.scheduling.waitlist import lock_offering

    engine = engine_from_url(url)
    bind_engine(engine)
    if engine.engine_type == "postgres":
        await engine.start_connection_pool(min_size=1, max_size=10)

    async def one(user_id: int) -> None:
        async with write_transaction():
            offering = await lock_offering(offering_id)
            counts = await seat_counts_for(offering, utc_now())
            status = "confirmed" if counts.seats_left > 0 else "waitlisted"
            await Registration.insert(Registration(offering=offering_id, attendee=user_id, status=status))

    started = time.perf_counter()
    await asyncio.gather(*[one(u) for u in user_ids])
    elapsed = time.perf_counter() - started
    if engine.engine_type == "postgres":
        await engine.close_connection_pool()
    return len(user_ids) / elapsed


async def burst(base_url: str, offering_id: int, tokens: list[str]) -> tuple[float, list[float], dict[str, int], int]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        async def one(token: str) -> None:
            nonlocal errors
            began = time.perf_counter()
            response = await client.post(f"/api/v1/offerings/{offering_id}/registrations", json={},
                                         headers={"Authorization": f"Bearer {token}"})
            latencies.append(time.perf_counter() - began)
            if response.status_code == 201:
                status = response.json()["status"]
                statuses[status] = statuses.get(status, 0) + 1
            else:
                errors += 1

        started = time.perf_counter()
        await asyncio.gather(*[one(t) for t in tokens])
        elapsed = time.perf_counter() - started
    return len(tokens) / elapsed, latencies, statuses, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is dropped first)")
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--seats", type=int, default=25)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="booking-bench-"))
    if args.engine == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        if not args.database_url:
            parser.error("--database-url is required for postgresql")
        url = args.database_url
        asyncio.run(reset_postgres(url))
    env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
    run_cli(env, "migrate")
    http_offering, base_offering, tokens, baseline_users = asyncio.run(prepare(url, args.attempts, args.seats))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "booking.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
                              env={**env, "BOOKING_DB_POOL_SIZE": "10"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        rate, latencies, statuses, errors = asyncio.run(burst(f"http://127.0.0.1:{port}", http_offering, tokens))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ceiling = asyncio.run(baseline(url, base_offering, baseline_users))
    print(f"engine={args.engine} attempts={args.attempts} seats={args.seats} server_workers={args.workers}")
    print(f"HTTP registrations: {rate:8.1f} /s   p50 {percentile(latencies, .5) * 1000:7.1f} ms   "
          f"p99 {percentile(latencies, .99) * 1000:7.1f} ms   mean {statistics.mean(latencies) * 1000:7.1f} ms")
    print(f"outcomes: {statuses}   non-201 answers: {errors}")
    print(f"bare guarded transaction (same concurrency): {ceiling:8.1f} /s   HTTP reaches {rate / ceiling:5.1%} of it")
    if statuses.get("confirmed", 0) != args.seats or errors:
        sys.exit("FAILED: the burst did not confirm exactly the capacity")


if __name__ == "__main__":
    main()
