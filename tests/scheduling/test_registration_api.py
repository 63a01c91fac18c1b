"""The registration API of CONTRACT.md: statuses, waiting list, cancellation, visibility."""

from __future__ import annotations

from booking.notifications.tables import OutboxMessage
from tests.api_helpers import bearer, create_offering, future_session
from tests.factories import make_user


async def test_register_self_confirms_then_waitlists_then_promotes(client):
    staff = await bearer(await make_user("staff"))
    offering = await create_offering(client, staff, capacity=1)
    first, second = await make_user("attendee", district="EGUSD"), await make_user("attendee", district="EGUSD")
    h1, h2 = await bearer(first), await bearer(second)
    r1 = await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=h1)
    assert r1.status_code == 201, r1.text
    assert r1.json()["status"] == "confirmed" and r1.json()["waitlist_position"] is None and r1.json()["checkout_url"] is None
    r2 = await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=h2)
    assert r2.json()["status"] == "waitlisted" and r2.json()["waitlist_position"] == 1
    again = await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=h1)
    assert again.status_code == 409
    detail = (await client.get(f"/api/v1/offerings/{offering['id']}")).json()
    assert (detail["confirmed_count"], detail["waitlist_count"], detail["seats_left"]) == (1, 1, 0)
    cancelled = await client.delete(f"/api/v1/registrations/{r1.json()['id']}", headers=h1)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = await client.get(f"/api/v1/registrations/{r2.json()['id']}", headers=h2)
    assert promoted.json()["status"] == "confirmed"
    twice = await client.delete(f"/api/v1/registrations/{r1.json()['id']}", headers=h1)
    assert twice.status_code == 409
    subjects = [m["subject"] for m in await OutboxMessage.select(OutboxMessage.subject).order_by(OutboxMessage.id)]
    assert any(s.startswith("You're registered") for s in subjects)
    assert any(s.startswith("Waiting list") for s in subjects)
    assert any(s.startswith("A seat opened") for s in subjects)
