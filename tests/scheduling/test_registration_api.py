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
    assert (
        r1.json()["status"] == "confirmed"
        and r1.json()["waitlist_position"] is None
        and r1.json()["checkout_url"] is None
    )
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


async def _offering(client, **overrides) -> dict:
    staff = await bearer(await make_user("staff"))
    return await create_offering(client, staff, **overrides)


async def test_overlapping_registration_is_warned_not_refused(client):
    same_time = future_session(days=20)
    first = await _offering(client, title="Morning math", sessions=[same_time])
    second = await _offering(client, title="Morning literacy", sessions=[same_time])
    teacher = await bearer(await make_user("attendee"))
    await client.post(f"/api/v1/offerings/{first['id']}/registrations", json={}, headers=teacher)
    response = await client.post(f"/api/v1/offerings/{second['id']}/registrations", json={}, headers=teacher)
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"
    assert any("Morning math" in w for w in response.json()["warnings"])


async def test_unknown_and_draft_offerings_are_404_for_attendees(client):
    draft = await _offering(client, status="draft")
    teacher = await bearer(await make_user("attendee"))
    assert (await client.post("/api/v1/offerings/999999/registrations", json={}, headers=teacher)).status_code == 404
    response = await client.post(f"/api/v1/offerings/{draft['id']}/registrations", json={}, headers=teacher)
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/offerings/{draft['id']}")).status_code == 404


async def test_registration_window_is_enforced_for_attendees_not_staff(client):
    import datetime as dt

    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).isoformat()
    offering = await _offering(client, registration_opens_at=soon)
    teacher = await bearer(await make_user("attendee"))
    early = await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=teacher)
    assert early.status_code == 409
    assert early.json()["code"] == "registration_not_open_yet" and "opens on" in early.json()["detail"]
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
    earlier = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).isoformat()
    closed = await _offering(client, registration_opens_at=earlier, registration_closes_at=past)
    late = await client.post(f"/api/v1/offerings/{closed['id']}/registrations", json={}, headers=teacher)
    assert late.status_code == 409 and late.json()["code"] == "registration_closed"
    staff = await bearer(await make_user("staff"))
    walk_in = await client.post(
        f"/api/v1/offerings/{closed['id']}/registrations",
        json={"attendee": {"email": "walkin@example.org", "name": "Walk In"}},
        headers=staff,
    )
    assert walk_in.status_code == 201


async def test_bad_offering_input_is_refused_and_nothing_is_created(client):
    staff = await bearer(await make_user("staff"))
    start = future_session()
    bad_bodies = [
        {"title": "", "capacity": 10, "sessions": [start]},
        {"title": "X", "capacity": 0, "sessions": [start]},
        {"title": "X", "capacity": 10, "price_cents": -1, "sessions": [start]},
        {"title": "X", "capacity": 10, "sessions": [{"starts_at": start["ends_at"], "ends_at": start["starts_at"]}]},
        {
            "title": "X",
            "capacity": 10,
            "sessions": [{"starts_at": "2027-01-05T09:00:00", "ends_at": "2027-01-05T12:00:00"}],
        },
        {"title": "X", "capacity": 10, "status": "published", "sessions": []},
        {"title": "X", "capacity": 10, "kind": "party", "sessions": [start]},
        {"title": "X", "capacity": "ten", "sessions": [start]},
        {"title": "X", "capacity": 10, "sessions": [start], "surprise": True},
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/offerings", json=body, headers=staff)
        assert response.status_code in (400, 422), (body, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/offerings", headers=staff)).json() == []


async def test_only_staff_and_admin_create_offerings(client):
    for role in ("attendee", "coordinator", "finance"):
        headers = await bearer(await make_user(role))
        body = {
            "kind": "workshop",
            "title": "X",
            "capacity": 5,
            "price_cents": 0,
            "sessions": [future_session()],
            "status": "published",
        }
        assert (await client.post("/api/v1/offerings", json=body, headers=headers)).status_code == 403
    assert (await client.post("/api/v1/offerings", json={"title": "X", "capacity": 5})).status_code == 401
    admin = await bearer(await make_user("admin"))
    assert (await create_offering(client, admin))["kind"] == "workshop"


async def test_coordinator_registers_staff_of_their_district_only(client):
    from booking.accounts.tables import User

    offering = await _offering(client, price_cents=15000)
    coordinator = await make_user("coordinator", district="EGUSD")
    headers = await bearer(coordinator)
    newcomer = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations",
        json={"attendee": {"email": "New.Teacher@egusd.example", "name": "New Teacher"}},
        headers=headers,
    )
    assert newcomer.status_code == 201
    assert newcomer.json()["payer"] == "district" and newcomer.json()["amount_cents"] == 15000
    created = await User.select().where(User.email == "new.teacher@egusd.example").first()
    assert created["district"] == coordinator["district"] and created["role"] == "attendee"
    assert (
        await OutboxMessage.count().where(OutboxMessage.to_address == "new.teacher@egusd.example") == 2
    )  # account + confirmation
    outsider = await make_user("attendee", district="SJUSD")
    refused = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations",
        json={"attendee": {"email": outsider["email"]}},
        headers=headers,
    )
    assert refused.status_code == 403
    teacher = await bearer(await make_user("attendee"))
    not_allowed = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations",
        json={"attendee": {"email": "someone@example.org", "name": "S"}},
        headers=teacher,
    )
    assert not_allowed.status_code == 403


async def test_payer_rules(client):
    offering = await _offering(client, price_cents=5000)
    independent = await bearer(await make_user("attendee"))  # no district
    card = await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=independent)
    assert card.status_code == 201 and card.json()["payer"] == "card"  # the default for oneself: pay by card
    assert card.json()["status"] == "pending_payment" and card.json()["checkout_url"]
    no_district = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations", json={"payer": "district"}, headers=independent
    )
    assert no_district.status_code == 422
    teacher = await bearer(await make_user("attendee", district="EGUSD"))
    nonsense = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations", json={"payer": "barter"}, headers=teacher
    )
    assert nonsense.status_code == 422
    billed = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations",
        json={"payer": "district", "po_number": "PO-2026-0042"},
        headers=teacher,
    )
    assert billed.status_code == 201 and billed.json()["status"] == "confirmed" and billed.json()["payer"] == "district"
    free = await _offering(client, price_cents=0)
    gratis = await client.post(
        f"/api/v1/offerings/{free['id']}/registrations", json={"payer": "card"}, headers=independent
    )
    assert gratis.status_code == 201 and gratis.json()["payer"] == "free"


async def test_district_requiring_approval_holds_the_seat(client):
    from booking.accounts.tables import District

    await District.update({District.requires_supervisor_approval: True}).where(District.code == "SJUSD")
    offering = await _offering(client, price_cents=5000, capacity=1)
    coordinator = await make_user("coordinator", district="SJUSD")
    teacher = await bearer(await make_user("attendee", district="SJUSD"))
    held = await client.post(
        f"/api/v1/offerings/{offering['id']}/registrations", json={"payer": "district"}, headers=teacher
    )
    assert held.json()["status"] == "pending_approval" and held.json()["hold_expires_at"]
    detail = (await client.get(f"/api/v1/offerings/{offering['id']}")).json()
    assert detail["seats_left"] == 0 and detail["held_count"] == 1
    other = await bearer(await make_user("attendee", district="EGUSD"))
    assert (
        await client.post(
            f"/api/v1/offerings/{offering['id']}/registrations", json={"payer": "district"}, headers=other
        )
    ).json()["status"] == "waitlisted"
    assert await OutboxMessage.count().where(OutboxMessage.to_address == coordinator["email"]) == 1


async def test_registration_visibility_and_finance_cannot_cancel(client):
    offering = await _offering(client)
    teacher = await make_user("attendee", district="EGUSD")
    registration = (
        await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=await bearer(teacher))
    ).json()
    url = f"/api/v1/registrations/{registration['id']}"
    assert (
        await client.get(url, headers=await bearer(await make_user("coordinator", district="EGUSD")))
    ).status_code == 200
    assert (
        await client.get(url, headers=await bearer(await make_user("coordinator", district="SJUSD")))
    ).status_code == 404
    assert (
        await client.get(url, headers=await bearer(await make_user("attendee", district="EGUSD")))
    ).status_code == 404
    finance = await bearer(await make_user("finance"))
    assert (await client.get(url, headers=finance)).json()["amount_paid_cents"] == 0
    assert (await client.delete(url, headers=finance)).status_code == 403
    other_coordinator = await bearer(await make_user("coordinator", district="SJUSD"))
    assert (await client.delete(url, headers=other_coordinator)).status_code == 404
    assert (await client.get(url, headers=finance)).json()["status"] == "confirmed"


async def test_cancellation_deadline_binds_attendees_not_staff(client):
    import datetime as dt

    passed = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()
    offering = await _offering(client, cancellation_deadline=passed)
    teacher = await bearer(await make_user("attendee"))
    registration = (
        await client.post(f"/api/v1/offerings/{offering['id']}/registrations", json={}, headers=teacher)
    ).json()
    late = await client.delete(f"/api/v1/registrations/{registration['id']}", headers=teacher)
    assert late.status_code == 409 and late.json()["code"] == "cancellation_deadline_passed"
    staff = await bearer(await make_user("staff"))
    assert (await client.delete(f"/api/v1/registrations/{registration['id']}", headers=staff)).status_code == 200


async def test_roster_is_for_staff(client):
    offering = await _offering(client, capacity=1)
    for _n in range(3):
        await client.post(
            f"/api/v1/offerings/{offering['id']}/registrations",
            json={},
            headers=await bearer(await make_user("attendee")),
        )
    staff = await bearer(await make_user("staff"))
    roster = (await client.get(f"/api/v1/offerings/{offering['id']}/roster", headers=staff)).json()
    assert [e["status"] for e in roster] == ["confirmed", "waitlisted", "waitlisted"]
    assert [e["waitlist_position"] for e in roster] == [None, 1, 2]
    assert (
        await client.get(f"/api/v1/offerings/{offering['id']}/roster", headers=await bearer(await make_user("finance")))
    ).status_code == 403
    assert (await client.get("/api/v1/offerings/424242/roster", headers=staff)).status_code == 404
