"""The invariant under a rush: never more seats than capacity, the rest waitlisted in arrival order."""

from __future__ import annotations

import asyncio

from booking.accounts.api_tokens import create_api_token
from booking.accounts.tables import User
from booking.scheduling.tables import Registration
from tests.api_helpers import bearer, create_offering
from tests.factories import make_user

ATTEMPTS = 200
SEATS = 25


async def _people(count: int) -> list[dict]:
    await User.insert(*[User(email=f"rush{i}@example.org", name=f"Rush {i}", role="attendee") for i in range(count)])
    users = await User.select(User.id).where(User.email.like("rush%")).order_by(User.id)
    return [{"Authorization": f"Bearer {await create_api_token(u['id'], 'rush')}"} for u in users]


async def test_200_simultaneous_registrations_for_25_seats(client):
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(client, staff, capacity=SEATS, title="Opening-day rush")
    tokens = await _people(ATTEMPTS)
    url = f"/api/v1/offerings/{offering['id']}/registrations"

    responses = await asyncio.gather(*[client.post(url, json={}, headers=h) for h in tokens])

    assert sorted({r.status_code for r in responses}) == [201], [r.text for r in responses if r.status_code != 201][:3]
    bodies = [r.json() for r in responses]
    confirmed = [b for b in bodies if b["status"] == "confirmed"]
    waitlisted = [b for b in bodies if b["status"] == "waitlisted"]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == ATTEMPTS - SEATS
    # Positions handed out are 1..175 with no gap or duplicate, in the order the seats were decided.
    assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, ATTEMPTS - SEATS + 1))
    in_arrival_order = sorted(waitlisted, key=lambda b: b["id"])
    assert [b["waitlist_position"] for b in in_arrival_order] == list(range(1, ATTEMPTS - SEATS + 1))
    stored = await Registration.count().where(
        (Registration.offering == offering["id"]) & (Registration.status == "confirmed")
    )
    assert stored == SEATS
    detail = (await client.get(f"/api/v1/offerings/{offering['id']}")).json()
    assert (detail["confirmed_count"], detail["waitlist_count"], detail["seats_left"]) == (SEATS, ATTEMPTS - SEATS, 0)

    # Cancelling five promotes exactly the next five, in order.
    by_id = {b["id"]: tokens[i] for i, b in enumerate(bodies)}
    cancels = await asyncio.gather(
        *[client.delete(f"/api/v1/registrations/{b['id']}", headers=by_id[b["id"]]) for b in confirmed[:5]]
    )
    assert {c.status_code for c in cancels} == {200}
    next_five = {b["id"] for b in in_arrival_order[:5]}
    now_confirmed = {
        r["id"]
        for r in await Registration.select(Registration.id).where(
            (Registration.offering == offering["id"]) & (Registration.status == "confirmed")
        )
    }
    assert len(now_confirmed) == SEATS
    assert next_five <= now_confirmed
    sixth = await client.get(
        f"/api/v1/registrations/{in_arrival_order[5]['id']}", headers=by_id[in_arrival_order[5]["id"]]
    )
    assert sixth.json()["status"] == "waitlisted" and sixth.json()["waitlist_position"] == 1


async def test_double_clicks_in_a_rush_get_one_seat_each_and_a_clear_refusal(client):
    """Registrations are decided in batches (booking.write_batches): a person who clicks twice is refused in
    the same batch as their first click, alone, and nobody else's registration is held up or undone."""
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(client, staff, capacity=5, title="Double clicks")
    tokens = await _people(30)
    url = f"/api/v1/offerings/{offering['id']}/registrations"
    clicks = [headers for headers in tokens] + tokens[::3]  # every third person clicks twice

    responses = await asyncio.gather(*[client.post(url, json={}, headers=h) for h in clicks])

    created = [r.json() for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(created) == 30 and len(refused) == 10
    assert {r.status_code for r in refused} == {409}
    assert all(r.json()["code"] == "already_registered" for r in refused)
    assert sum(b["status"] == "confirmed" for b in created) == 5
    waitlisted = sorted((b for b in created if b["status"] == "waitlisted"), key=lambda b: b["id"])
    assert [b["waitlist_position"] for b in waitlisted] == list(range(1, 26))
    stored = await Registration.select(Registration.attendee).where(Registration.offering == offering["id"])
    assert len(stored) == 30 and len({row["attendee"] for row in stored}) == 30
