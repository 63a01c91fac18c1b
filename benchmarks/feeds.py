"""How long private calendar feeds take through the HTTP app: a person feed of 1,000 registrations
and a staff room feed of 5,000 sessions in one year.

For each feed and several runs: a cold answer (the feed's text caches emptied first, so the
iCalendar text is written from scratch), a warm answer (the same request again: served from the
cache), a 304 (If-None-Match with the ETag just received), and an answer after staff move one
session (the whole file is rebuilt, every other event from its cached text). In the same run, the baseline is
the bare database query of the same sessions, the least any answer must do. Requests go through
the real ASGI app (routing, middleware, the feed controller) with httpx, in one event loop, as
tests/conftest.py's asgi_client does. Prints median and p95 per figure.

    .venv/bin/python benchmarks/feeds.py                       # SQLite and PostgreSQL
    .venv/bin/python benchmarks/feeds.py --engines sqlite --runs 15
    .venv/bin/python benchmarks/feeds.py --database-url postgresql://postgres@127.0.0.1:5432/booking_bench

The PostgreSQL database is wiped (its `public` schema is dropped) before the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from bench_common import percentile, reset_postgres, run_cli

SECRET = "benchmark-secret-key-0123456789-abcdefghij"
BASE_URL = "http://bench.local"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/booking_bench"
PERSON_REGISTRATIONS = 1_000
ROOM_SESSIONS = 5_000
SESSIONS_PER_ROOM_OFFERING = 4
SLOTS_PER_DAY = 14  # hourly from 6 AM: 5,000 sessions fill just under a year
BATCH = 500


@dataclass
class Feed:
    label: str
    token: str
    events: int
    baseline_query: object  # async callable: the bare query of the feed's sessions
    sample_session: int = 0  # one of its sessions, moved between runs ("one change")
    timings: dict[str, list[float]] = field(
        default_factory=lambda: {"cold": [], "warm": [], "304": [], "one change": [], "query": []}
    )
    body_bytes: int = 0


async def _insert(table, rows: list) -> list[int]:
    ids = []
    for start in range(0, len(rows), BATCH):
        inserted = await table.insert(*rows[start : start + BATCH]).returning(table.id)
        ids.extend(row["id"] for row in inserted)
    return ids


async def _offerings(count: int, title: str) -> list[int]:
    """Published offerings, each with its own program, written in bulk (setup is not what is measured)."""
    from booking.catalog.tables import Offering, Program

    program_ids = await _insert(Program, [Program(title=f"{title} {n}") for n in range(count)])
    return await _insert(
        Offering,
        [
            Offering(program=program_id, title=f"{title} {n}", capacity=30, status="published")
            for n, program_id in enumerate(program_ids)
        ],
    )


def _slot(index: int, first_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from booking.clock import LOCAL_TZ

    day = first_day + dt.timedelta(days=index // SLOTS_PER_DAY)
    start = dt.datetime.combine(day, dt.time(6 + index % SLOTS_PER_DAY), tzinfo=LOCAL_TZ)
    return start, start + dt.timedelta(minutes=50)


async def prepare() -> list[Feed]:
    from booking.accounts.actor import Actor
    from booking.accounts.tables import User
    from booking.catalog.tables import OfferingSession, Room, Venue
    from booking.scheduling.feed_tokens import create_feed, token_for
    from booking.scheduling.feeds import FEED_COLUMNS, STAFF_FEED_HISTORY
    from booking.scheduling.tables import Registration

    await User.insert(
        User(email="bench-staff@example.org", name="Bench Staff", role="staff"),
        User(email="bench-person@example.org", name="Bench Person", role="attendee"),
    )
    staff = Actor.from_row(await User.select().where(User.email == "bench-staff@example.org").first())
    person = Actor.from_row(await User.select().where(User.email == "bench-person@example.org").first())
    today = dt.date.today()

    # A person registered for 1,000 one-session workshops over the coming months.
    person_offerings = await _offerings(PERSON_REGISTRATIONS, "Person workshop")
    await _insert(
        OfferingSession,
        [
            OfferingSession(offering=offering_id, starts_at=start, ends_at=end, location_note="Online")
            for index, offering_id in enumerate(person_offerings)
            for start, end in [_slot(index, today)]
        ],
    )
    await _insert(
        Registration,
        [
            Registration(offering=offering_id, attendee=person.id, status="confirmed")
            for offering_id in person_offerings
        ],
    )

    # One room with 5,000 sessions in a year, starting a month ago (staff feeds reach back a year).
    venue = (await Venue.insert(Venue(name="Bench Campus", address="10474 Mather Blvd")).returning(Venue.id))[0]["id"]
    room_id = (await Room.insert(Room(venue=venue, name="Room 1", capacity=40)).returning(Room.id))[0]["id"]
    room_offerings = await _offerings(ROOM_SESSIONS // SESSIONS_PER_ROOM_OFFERING, "Room workshop")
    await _insert(
        OfferingSession,
        [
            OfferingSession(
                offering=room_offerings[index // SESSIONS_PER_ROOM_OFFERING], starts_at=start, ends_at=end, room=room_id
            )
            for index in range(ROOM_SESSIONS)
            for start, end in [_slot(index, today - dt.timedelta(days=30))]
        ],
    )

    async def person_query() -> int:
        # What the person feed must read at least: their registrations, then those sessions.
        offering_ids = [
            row["offering"]
            for row in await Registration.select(Registration.offering).where(
                (Registration.attendee == person.id) & (Registration.status == "confirmed")
            )
        ]
        return len(
            await OfferingSession.select(*FEED_COLUMNS).where(
                OfferingSession.offering.is_in(offering_ids) & (OfferingSession.status == "scheduled")
            )
        )

    async def room_query() -> int:
        cutoff = dt.datetime.now(dt.timezone.utc) - STAFF_FEED_HISTORY
        return len(
            await OfferingSession.select(*FEED_COLUMNS).where(
                (OfferingSession.room == room_id)
                & (OfferingSession.status == "scheduled")
                & (OfferingSession.ends_at >= cutoff)
            )
        )

    person_session = (
        await OfferingSession.select(OfferingSession.id)
        .where(OfferingSession.offering == person_offerings[len(person_offerings) // 2])
        .first()
    )
    room_session = (
        await OfferingSession.select(OfferingSession.id)
        .where(OfferingSession.room == room_id)
        .order_by(OfferingSession.id, ascending=False)
        .first()
    )
    return [
        Feed(
            f"person, {PERSON_REGISTRATIONS:,} registrations",
            token_for((await create_feed(person, "person"))["nonce"]),
            PERSON_REGISTRATIONS,
            person_query,
            person_session["id"],
        ),
        Feed(
            f"room, {ROOM_SESSIONS:,} sessions in a year",
            token_for((await create_feed(staff, "room", room_id))["nonce"]),
            ROOM_SESSIONS,
            room_query,
            room_session["id"],
        ),
    ]


def empty_feed_caches() -> None:
    from booking.scheduling import feeds

    caches = [getattr(feeds, name) for name in ("feed_text_cache", "feed_event_cache") if hasattr(feeds, name)]
    assert caches, "booking.scheduling.feeds has no feed_text_cache to empty"
    for cache in caches:
        cache.clear()


@contextlib.asynccontextmanager
async def running(app):
    """The app's lifespan in its own task (as tests/conftest.py's asgi_client does), and a client on it."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    await started.wait()
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=300) as client:
            yield client
    finally:
        stop.set()
        await task


async def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = await call()
    return time.perf_counter() - began, result


async def measure(url: str, workdir: Path, runs: int) -> list[Feed]:
    from booking.app import create_app
    from booking.catalog.tables import OfferingSession
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
    feeds = await prepare()
    app = create_app(settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the table
    async with running(app) as client:
        for feed in feeds:
            path = f"/calendar/{feed.token}.ics"
            for run in range(runs):
                empty_feed_caches()
                cold, response = await timed(lambda: client.get(path))  # noqa: B023 - awaited in this iteration
                assert response.status_code == 200, response.status_code
                found = response.content.count(b"BEGIN:VEVENT")
                assert found == feed.events, f"{feed.label}: {found} events, expected {feed.events}"
                feed.body_bytes = len(response.content)
                warm, again = await timed(lambda: client.get(path))  # noqa: B023 - awaited in this iteration
                assert again.status_code == 200 and again.content == response.content
                etag = response.headers["etag"]
                not_modified, revalidated = await timed(lambda: client.get(path, headers={"If-None-Match": etag}))  # noqa: B023 - awaited in this iteration
                assert revalidated.status_code == 304 and not revalidated.content
                # Staff move one session: the whole-file cache misses, every other event's text is reused.
                await OfferingSession.update(
                    {
                        OfferingSession.location_note: f"Moved in run {run}",
                        OfferingSession.sequence: OfferingSession.sequence + 1,
                    }
                ).where(OfferingSession.id == feed.sample_session)
                one_change, changed = await timed(lambda: client.get(path, headers={"If-None-Match": etag}))  # noqa: B023 - awaited in this iteration
                assert changed.status_code == 200 and f"Moved in run {run}".encode() in changed.content
                query, rows = await timed(feed.baseline_query)
                assert rows == feed.events, f"{feed.label}: the baseline query found {rows} sessions"
                for name, seconds in (
                    ("cold", cold),
                    ("warm", warm),
                    ("304", not_modified),
                    ("one change", one_change),
                    ("query", query),
                ):
                    feed.timings[name].append(seconds)
    return feeds


def report(engine: str, feeds: list[Feed], runs: int) -> None:
    print(f"\nengine={engine}  runs={runs}  (milliseconds: median / p95)")
    print(
        f"{'feed':<34}{'bytes':>11}{'cold':>17}{'warm (cache)':>17}{'304':>17}{'after 1 change':>17}{'bare query':>17}"
    )
    for feed in feeds:
        cells = [
            f"{statistics.median(values) * 1000:7.1f} / {percentile(values, 0.95) * 1000:6.1f}"
            for values in (feed.timings[name] for name in ("cold", "warm", "304", "one change", "query"))
        ]
        print(f"{feed.label:<34}{feed.body_bytes:>11,}" + "".join(f"{cell:>17}" for cell in cells))
    for feed in feeds:
        query = statistics.median(feed.timings["query"])
        print(
            f"  {feed.label}: cold {statistics.median(feed.timings['cold']) / query:5.1f}x, "
            f"warm {statistics.median(feed.timings['warm']) / query:4.1f}x, "
            f"304 {statistics.median(feed.timings['304']) / query:4.1f}x, "
            f"after one change {statistics.median(feed.timings['one change']) / query:4.1f}x the bare query"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--database-url", default=DEFAULT_POSTGRES_URL, help="PostgreSQL URL (its public schema is dropped first)"
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    if not engines or set(engines) - {"sqlite", "postgresql"}:
        parser.error("--engines takes sqlite, postgresql or both")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"Feeds over the ASGI app: {PERSON_REGISTRATIONS:,}-event person feed, {ROOM_SESSIONS:,}-event room feed")
    for engine in engines:
        workdir = Path(tempfile.mkdtemp(prefix="booking-bench-feeds-"))
        if engine == "sqlite":
            url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            url = args.database_url
            asyncio.run(reset_postgres(url))
        env = {**os.environ, "BOOKING_DATABASE_URL": url, "BOOKING_SECRET_KEY": SECRET, "BOOKING_VAR_DIR": str(workdir)}
        run_cli(env, "migrate")
        report(engine, asyncio.run(measure(url, workdir, args.runs)), args.runs)


if __name__ == "__main__":
    main()
