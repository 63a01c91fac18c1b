"""Bed limits per gender under concurrent first-come bookings, through the HTTP app, on both engines: however
many coordinators press "Book the beds" for the same week at once, the week never holds more boys than boys'
beds nor more girls than girls' beds, and nobody is refused while their numbers would still have fitted.

Why these tests fail without the week's lock: bookings.book_remaining counts what the week's confirmed
bookings and live offers hold (beds.bed_use) and then inserts the new booking. On PostgreSQL each request
runs in its own READ COMMITTED transaction on its own pooled connection; the only thing that makes the 20
transactions below take turns is beds.lock_week (SELECT ... FOR UPDATE on the week's row). Every booking is a
new row, so no row lock on the bookings themselves could serialise them. Without the week lock, the
transactions each count the beds before the others commit, all see 50 free, and far more than 8 bookings of
6 boys are confirmed (the sums in the database then exceed the beds and the asserts below fail; checked by
hand once by replacing bookings.lock_week with a plain SELECT: on PostgreSQL the first test then got more
than 8 bookings, while SQLite still gave 8). On SQLite
write_transaction() (BEGIN IMMEDIATE: one writer at a time) is that engine's form of the same lock.

The requests really interleave: the app runs in the test's own event loop (httpx.ASGITransport, see
tests/conftest.py), each coordinator in a browser of their own, and asyncio.gather sends them all at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html

import httpx

from booking.slypark.tables import Booking, Season
from tests.factories import csrf_token, make_user, signed_in
from tests.slypark.slypark_factory import make_school, make_season
from tests.workshop_factory import staff_actor

DISTRICTS = ("EGUSD", "SJUSD", "SCUSD", "NUSD", "FCUSD", "TRUSD", "CJUSD")
BOYS_BEDS = GIRLS_BEDS = 50


@contextlib.asynccontextmanager
async def browsers(app, count: int):
    """`count` separate browsers on the running app (the `client` fixture runs its lifespan)."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for n in range(count):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 51000 + n))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://testserver.local", follow_redirects=False)
                )
            )
        yield clients


async def coordinators_at_the_ready(
    clients: list[httpx.AsyncClient], week_id: int
) -> list[tuple[httpx.AsyncClient, str, int]]:
    """Each browser signed in as a coordinator of one of several districts, with a school and the form's token."""
    ready = []
    for n, browser in enumerate(clients):
        district = DISTRICTS[n % len(DISTRICTS)]
        await signed_in(browser, await make_user("coordinator", district=district))
        school = await make_school(district, f"School {n} of {district}")
        ready.append((browser, await csrf_token(browser, f"/slypark/weeks/{week_id}/book"), school))
    return ready


async def booking_week(first: int = 8) -> int:
    staff = await staff_actor()
    season = await make_season(staff, weeks=1, boys_beds=BOYS_BEDS, girls_beds=GIRLS_BEDS, first=first)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    return season["weeks"][0]


def book(browser, token: str, school: int, week_id: int, boys: int, girls: int):
    return browser.post(
        f"/slypark/weeks/{week_id}/book",
        data={
            "_csrf_token": token,
            "school_id": str(school),
            "lead_teacher_name": "Lee Lead",
            "lead_teacher_email": "lee@school.example",
            "boys": str(boys),
            "girls": str(girls),
            "teachers": "1",
        },
    )


async def held(week_id: int) -> tuple[int, int, int]:
    rows = await Booking.select(Booking.boys, Booking.girls).where(
        (Booking.week == week_id) & (Booking.status == "confirmed")
    )
    return len(rows), sum(r["boys"] for r in rows), sum(r["girls"] for r in rows)


async def test_twenty_coordinators_booking_the_same_week_at_once_never_exceed_the_boys_beds(app, client):
    week_id = await booking_week()
    async with browsers(app, 20) as clients:
        ready = await coordinators_at_the_ready(clients, week_id)
        responses = await asyncio.gather(*[book(b, token, school, week_id, 6, 4) for b, token, school in ready])

    codes = sorted(r.status_code for r in responses)
    # 8 × 6 = 48 boys fit in 50 boys' beds; a ninth would need 54. Girls: 8 × 4 = 32 of 50.
    assert codes == [303] * 8 + [409] * 12, [r.text[:300] for r in responses if r.status_code >= 500]
    for refused in (r for r in responses if r.status_code == 409):
        assert "Not enough beds: 2 boys' beds are left." in html.unescape(refused.text)
    assert await held(week_id) == (8, 48, 32)


async def test_mixed_bookings_at_once_respect_whichever_gender_limit_binds(app, client):
    """Half book 6 boys + 4 girls, half 12 girls only: depending on who comes first, the girls' beds or the
    boys' beds run out first. Either way neither limit is passed, and every refusal was a real one."""
    week_id = await booking_week(first=9)
    shapes = [(6, 4) if n % 2 == 0 else (0, 12) for n in range(20)]
    async with browsers(app, 20) as clients:
        ready = await coordinators_at_the_ready(clients, week_id)
        responses = await asyncio.gather(
            *[book(b, token, school, week_id, *shape) for (b, token, school), shape in zip(ready, shapes)]
        )

    assert {r.status_code for r in responses} <= {303, 409}, [r.text[:300] for r in responses if r.status_code >= 500]
    booked = [shape for shape, r in zip(shapes, responses) if r.status_code == 303]
    refused = [shape for shape, r in zip(shapes, responses) if r.status_code == 409]
    count, boys, girls = await held(week_id)
    assert count == len(booked) and boys == sum(b for b, _ in booked) and girls == sum(g for _, g in booked)
    assert boys <= BOYS_BEDS and girls <= GIRLS_BEDS
    # Beds only ever ran out: anyone refused would not fit even now, so nobody was turned away wrongly.
    for shape_boys, shape_girls in refused:
        assert shape_boys > BOYS_BEDS - boys or shape_girls > GIRLS_BEDS - girls, (shape_boys, shape_girls, boys, girls)
    for response in (r for r in responses if r.status_code == 409):
        assert "Not enough beds:" in html.unescape(response.text)
    assert refused  # 20 requests cannot all fit: 10 × 4 + 10 × 12 = 160 girls for 50 beds
