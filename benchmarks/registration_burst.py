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
import collections
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import raw_http
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


async def healthz_rate(port: int, requests: int, clients: int) -> float:
    """The same server answering /healthz, as many at once as the burst: requests per second."""
    return await raw_http.rate(port, "/healthz", requests, clients)


async def burst(
    port: int, offering_id: int, tokens: list[str], clients: int
) -> tuple[float, list[float], dict[str, int], int]:
    """Every person registers once, `clients` at a time (raw_http: httpx's own ceiling here was ~185/s)."""
    requests = [
        raw_http.request_bytes(
            "POST",
            f"/api/v1/offerings/{offering_id}/registrations",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            b"{}",
        )
        for token in tokens
    ]
    answers, elapsed = await raw_http.send_all(port, requests, clients)
    statuses: dict[str, int] = {}
    for answer in answers:
        if answer.status == 201:
            status = json.loads(answer.body)["status"]
            statuses[status] = statuses.get(status, 0) + 1
    errors = sum(answer.status != 201 for answer in answers)
    return len(tokens) / elapsed, [answer.seconds for answer in answers], statuses, errors


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its children so far, from /proc (Linux)."""
    total = 0.0
    pids = [pid] + [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (every core, every process), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def profiling(pid: int, stacks_file: str | None) -> Iterator[None]:
    """py-spy samples the server (and its worker processes) while the block runs; the bursts append to one file."""
    if not stacks_file:
        yield
        return
    part = Path(tempfile.mkdtemp()) / "stacks.txt"
    sampler = subprocess.Popen(
        [
            shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--rate",
            "250",
            "--format",
            "raw",
            "-o",
            str(part),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=30)
        with open(stacks_file, "a") as out:
            out.write(part.read_text())


# Where a sample's innermost frame lives, by the file's path (py-spy prints paths relative to sys.path).
PROFILE_GROUPS = (
    ("the HTTP server and framework (uvicorn, litestar, msgspec)", ("uvicorn/", "litestar/", "httptools", "msgspec")),
    ("the query builder (piccolo)", ("piccolo/",)),
    ("the database drivers (asyncpg, aiosqlite, sqlite3)", ("asyncpg/", "aiosqlite/", "sqlite3/")),
    ("templates (jinja2, markupsafe)", ("jinja2/", "markupsafe/")),
    ("email messages (the email package)", ("email/",)),
    ("calendar invites (icalendar)", ("icalendar/",)),
    ("logs and metrics", ("logging/", "pythonjsonlogger/", "prometheus_client/")),
    ("the event loop (asyncio)", ("asyncio/",)),
    ("our code (booking)", ("booking/",)),
)


def where_the_time_went(stacks_file: str, top: int = 15) -> None:
    """From py-spy's collapsed stacks: the event loop thread's busy samples (its idle wait left out), shared out by
    where the innermost frame lives, then our functions by inclusive share. Other threads (aiosqlite's, the
    password hasher's) are counted apart."""
    groups: collections.Counter[str] = collections.Counter()
    ours: collections.Counter[str] = collections.Counter()
    busy = other_threads = idle = 0
    for line in Path(stacks_file).read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        if len(frames) < 2 or "runpy" not in frames[1]:  # not the main thread (the event loop's)
            other_threads += count
            continue
        if frames[-1].startswith(("Runner.run", "BaseSelector", "EpollSelector", "KqueueSelector")):
            idle += count
            continue
        busy += count
        leaf = frames[-1].rsplit("(", 1)[-1]
        groups[next((name for name, parts in PROFILE_GROUPS if any(part in leaf for part in parts)), "other")] += count
        for name in {frame.split(" (")[0] for frame in frames if "(booking/" in frame} - {
            "<module>",
            "main",
            "run",
            "serve",
        }:
            ours[name] += count
    print(
        f"profile (py-spy, 250 Hz, during the bursts): the event loop's thread busy in {busy} samples, idle in "
        f"{idle}; other threads {other_threads}"
    )
    for name, count in groups.most_common():
        print(f"  {count / busy:6.1%}  {name}")
    print("  our functions, inclusive:")
    for name, count in ours.most_common(top):
        print(f"  {count / busy:6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is dropped first)")
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--seats", type=int, default=25)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--bursts", type=int, default=3, help="bursts (a fresh offering each); the median is reported")
    parser.add_argument("--clients", type=int, default=64, help="concurrent client connections")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="sample the server with py-spy during the bursts (pip install py-spy), write the collapsed stacks to "
        "FILE and print where the time went",
    )
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
        runs, healthz, cpu_per_attempt = [], [], []
        for offering_id in http_offerings:
            healthz.append(asyncio.run(healthz_rate(port, max(args.attempts, 2000), args.clients)))
            with profiling(server.pid, args.profile):
                cpu_before, wall_before, machine_before = cpu_seconds(server.pid), time.perf_counter(), machine_cpu()
                runs.append(asyncio.run(burst(port, offering_id, tokens, args.clients)))
                cpu_used, wall = cpu_seconds(server.pid) - cpu_before, time.perf_counter() - wall_before
                machine_busy = machine_cpu() - machine_before
                cpu_per_attempt.append((cpu_used / args.attempts, cpu_used / wall, machine_busy / wall))
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
    cpu_ms, busy, machine = (statistics.median(values) for values in zip(*cpu_per_attempt))
    print(
        f"server CPU (all its processes and threads) during the bursts: {cpu_ms * 1000:5.2f} ms per attempt, "
        f"{busy:4.0%} of one core; the whole machine: {machine:4.0%} of one core of its {os.cpu_count()} "
        "(the rest: the database server, this client)"
    )
    if args.profile:
        where_the_time_went(args.profile)
    if any(run[2].get("confirmed", 0) != args.seats or run[3] for run in runs):
        sys.exit("FAILED: a burst did not confirm exactly the capacity, or answered with an error")


if __name__ == "__main__":
    main()
