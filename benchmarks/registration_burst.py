"""N concurrent registrations over HTTP for one offering, against a real `booking serve`.

Each burst is a fresh offering: `--attempts` people (the same people every burst, one API token each)
register at once through `--clients` concurrent connections. Prints, for the median of `--bursts`
bursts: attempts per second, p50/p99 latency, errors and outcomes; next to it, in the same run, the
same server's `/healthz` rate at the same concurrency (the HTTP stack's own ceiling on this machine)
and the bare database transaction that guards a seat (lock the offering, count seats, insert).
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


async def prepare(url: str, attempts: int, seats: int, bursts: int) -> tuple[list[int], int, list[str], list[int]]:
    """An offering per burst and one for the baseline, people, and their API tokens."""
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
    http_offerings = [
        await create_offering(
            staff, OfferingInput(title=f"Burst {n} over HTTP", capacity=seats, status="published", sessions=session)
        )
        for n in range(bursts)
    ]
    base_offering = await create_offering(
        staff, OfferingInput(title="Baseline", capacity=seats, status="published", sessions=session)
    )
    await User.insert(
        *[User(email=f"bench{i}@example.org", name=f"Bench {i}", role="attendee") for i in range(attempts * 2)]
    )
    users = (
        await User.select(User.id)
        .where(User.email.like("bench%@example.org") & (User.role == "attendee"))
        .order_by(User.id)
    )
    ids = [u["id"] for u in users]
    tokens = [await create_api_token(user_id, "bench") for user_id in ids[:attempts]]
    return http_offerings, base_offering, tokens, ids[attempts:]


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


async def healthz_rate(base_url: str, requests: int, clients: int) -> float:
    """The same server answering /healthz, as many at once as the burst: requests per second."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        gate = asyncio.Semaphore(clients)

        async def one() -> None:
            async with gate:
                assert (await client.get("/healthz")).status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*[one() for _ in range(requests)])
        return requests / (time.perf_counter() - started)


async def burst(
    base_url: str, offering_id: int, tokens: list[str], clients: int
) -> tuple[float, list[float], dict[str, int], int]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        gate = asyncio.Semaphore(clients)

        async def one(token: str) -> None:
            nonlocal errors
            async with gate:
                await attempt(token)

        async def attempt(token: str) -> None:
            nonlocal errors
            began = time.perf_counter()
            response = await client.post(
                f"/api/v1/offerings/{offering_id}/registrations", json={}, headers={"Authorization": f"Bearer {token}"}
            )
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
    parser.add_argument("--bursts", type=int, default=3, help="bursts (a fresh offering each); the median is reported")
    parser.add_argument("--clients", type=int, default=64, help="concurrent client connections")
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
    http_offerings, base_offering, tokens, baseline_users = asyncio.run(
        prepare(url, args.attempts, args.seats, args.bursts)
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env={**env, "BOOKING_DB_POOL_SIZE": "10"},
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
        runs, healthz = [], []
        for offering_id in http_offerings:
            healthz.append(asyncio.run(healthz_rate(f"http://127.0.0.1:{port}", args.attempts, args.clients)))
            runs.append(asyncio.run(burst(f"http://127.0.0.1:{port}", offering_id, tokens, args.clients)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    ceiling = asyncio.run(baseline(url, base_offering, baseline_users))
    rates = [run[0] for run in runs]
    rate, latencies, statuses, errors = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    healthz_median = statistics.median(healthz)
    print(
        f"engine={args.engine} attempts={args.attempts} seats={args.seats} server_workers={args.workers} "
        f"clients={args.clients} bursts={args.bursts}"
    )
    print(
        f"HTTP registrations (median burst): {rate:8.1f} /s   p50 {percentile(latencies, 0.5) * 1000:7.1f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1000:7.1f} ms   mean {statistics.mean(latencies) * 1000:7.1f} ms"
    )
    print(f"  every burst: {', '.join(f'{r:.1f}' for r in rates)} /s")
    print(f"outcomes: {statuses}   non-201 answers: {sum(run[3] for run in runs)}")
    print(
        f"same server's /healthz (same concurrency): {healthz_median:8.1f} /s   registrations reach {rate / healthz_median:5.2f} of it"
    )
    print(f"bare guarded transaction (same concurrency): {ceiling:8.1f} /s   HTTP reaches {rate / ceiling:5.1%} of it")
    if any(run[2].get("confirmed", 0) != args.seats or run[3] for run in runs):
        sys.exit("FAILED: a burst did not confirm exactly the capacity, or answered with an error")


if __name__ == "__main__":
    main()
