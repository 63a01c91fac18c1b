"""Holds expire by the clock; the waiting list moves in order; staff reorder with a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.offerings import create_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.errors import Forbidden, InvalidInput
from booking.scheduling.capacity import seat_counts_for
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration, RegistrationEvent
from booking.scheduling.waitlist import reorder, waitlist_position
from tests.factories import make_user

NOW = dt.datetime(2027, 1, 10, 17, 0, tzinfo=dt.timezone.utc)


async def _offering(capacity: int, price_cents: int = 0) -> dict:
    staff = Actor.from_row(await make_user("staff"))
    start = NOW + dt.timedelta(days=20)
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title="Waitlist lab",
            capacity=capacity,
            price_cents=price_cents,
            status="published",
            sessions=[SessionInput(start, start + dt.timedelta(hours=2))],
        ),
    )
    return {"id": offering_id, "capacity": capacity}


async def _register(
    offering: dict, district: str | None = "EGUSD", payer: str | None = None, at: dt.datetime = NOW
) -> dict:
    person = Actor.from_row(await make_user("attendee", district=district))
    outcome = await register(person, offering["id"], RegistrationRequest(payer=payer), now=at)
    return outcome.registration


async def test_an_expired_approval_hold_frees_the_seat_by_the_clock_and_the_list_moves(db):
    await District.update({District.requires_supervisor_approval: True}).where(District.code == "SJUSD")
    offering = await _offering(capacity=1, price_cents=4000)
    held = await _register(offering, district="SJUSD", payer="district")
    assert held["status"] == "pending_approval"
    waiting = await _register(offering, district="EGUSD", payer="district")
    assert waiting["status"] == "waitlisted"
    after_deadline = held["hold_expires_at"] + dt.timedelta(seconds=1)
    # Correctness never waits for a sweeper: the seat counts as free the moment the hold ends.
    assert (await seat_counts_for(offering, after_deadline)).seats_left == 1
    # The next write on the offering records the expiry and promotes the head of the list.
    late = await _register(offering, district="EGUSD", payer="district", at=after_deadline)
    states = {r["id"]: r["status"] for r in await Registration.select(Registration.id, Registration.status)}
    assert states[held["id"]] == "cancelled"
    assert states[waiting["id"]] == "confirmed"
    assert late["status"] == "waitlisted"
    kinds = [
        e["kind"]
        for e in await RegistrationEvent.select(RegistrationEvent.kind).where(
            RegistrationEvent.registration == held["id"]
        )
    ]
    assert kinds == ["registered", "hold_expired"]


async def test_staff_reorder_the_list_with_a_recorded_reason(db):
    offering = await _offering(capacity=1)
    await _register(offering)
    first, second, third = [await _register(offering) for _ in range(3)]
    staff = Actor.from_row(await make_user("staff"))
    with pytest.raises(InvalidInput):
        await reorder(staff, third["id"], 1, "   ")
    with pytest.raises(Forbidden):
        await reorder(Actor.from_row(await make_user("attendee")), third["id"], 1, "because")
    await reorder(staff, third["id"], 1, "Presenter at the district's math night")
    rows = {r["id"]: r for r in await Registration.select()}
    assert [await waitlist_position(rows[r["id"]]) for r in (third, first, second)] == [1, 2, 3]
    event = await RegistrationEvent.select().where(RegistrationEvent.kind == "waitlist_reordered").first()
    assert "math night" in event["note"] and event["actor"] == staff.id


async def test_staff_move_someone_on_the_roster_page_with_a_reason(client):
    from tests.factories import post_form, signed_in

    offering = await _offering(capacity=1)
    await _register(offering, at=dt.datetime.now(dt.timezone.utc))
    first, second = [await _register(offering, at=dt.datetime.now(dt.timezone.utc)) for _ in range(2)]
    await signed_in(client, await make_user("staff"))
    roster_url = f"/staff/offerings/{offering['id']}/roster"
    page = await client.get(roster_url)
    assert "Waiting list order" in page.text
    move_url = f"/staff/offerings/{offering['id']}/waitlist/{second['id']}/move"
    no_reason = await post_form(client, move_url, {"position": "1", "reason": ""}, token_from=roster_url)
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    bad_position = await post_form(client, move_url, {"position": "first", "reason": "x"}, token_from=roster_url)
    assert bad_position.status_code == 422
    assert await waitlist_position(await Registration.select().where(Registration.id == second["id"]).first()) == 2
    moved = await post_form(
        client, move_url, {"position": "1", "reason": "Mentor teacher for the series"}, token_from=roster_url
    )
    assert moved.status_code == 303
    assert await waitlist_position(await Registration.select().where(Registration.id == second["id"]).first()) == 1
    other = await _offering(capacity=1)
    wrong = await post_form(
        client,
        f"/staff/offerings/{other['id']}/waitlist/{first['id']}/move",
        {"position": "1", "reason": "x"},
        token_from=roster_url,
    )
    assert wrong.status_code == 404
