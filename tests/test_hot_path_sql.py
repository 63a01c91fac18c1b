"""The registration hot path writes some queries out in SQL (the query builder cost several times the query:
benchmarks/query_cost.py). Each must read and write exactly what the query builder would, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.api_tokens import actor_for_api_token, create_api_token
from booking.accounts.districts import find_district, get_district
from booking.accounts.sessions import actor_for_session, start_session
from booking.accounts.tables import ApiToken, District, User, UserSession
from booking.accounts.users import get_user
from booking.catalog.offerings import SESSION_COLUMNS, lock_offering, sessions_of
from booking.catalog.tables import Offering, OfferingSession, Room, Venue
from booking.db import insert_row, write_transaction
from booking.errors import NotFound
from booking.notifications.tables import OutboxMessage
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.factories import make_user
from tests.workshop_factory import local, make_workshop

pytestmark = pytest.mark.usefixtures("db")


async def test_sessions_read_as_the_query_builder_reads_them():
    venue = (await Venue.insert(Venue(name="Mather Center", address="10474 Mather Blvd")).returning(Venue.id))[0]
    room = (await Room.insert(Room(venue=venue["id"], name="Room 203")).returning(Room.id))[0]
    first = await make_workshop("With a room", sessions=3)
    second = await make_workshop("Online", sessions=2, days=31)
    await OfferingSession.update({OfferingSession.room: room["id"]}).where(OfferingSession.offering == first)
    cancelled = (await OfferingSession.select(OfferingSession.id).where(OfferingSession.offering == first))[1]
    await OfferingSession.update({OfferingSession.status: "cancelled"}).where(OfferingSession.id == cancelled["id"])
    await OfferingSession.insert(  # a tie on starts_at: the id breaks it, the same way every time
        OfferingSession(offering=second, starts_at=local(30), ends_at=local(30, 12), sequence=9)
    )

    for include_cancelled in (False, True):
        built = OfferingSession.select(*SESSION_COLUMNS).where(OfferingSession.offering.is_in([first, second]))
        if not include_cancelled:
            built = built.where(OfferingSession.status == "scheduled")
        expected = await built.order_by(OfferingSession.starts_at).order_by(OfferingSession.id)
        written = await sessions_of([second, first, first], include_cancelled=include_cancelled)
        assert written == expected
        assert len(written) == (6 if include_cancelled else 5)
    assert {row["venue_name"] for row in written if row["offering"] == first} == {"Mather Center"}
    assert await sessions_of([]) == []


async def test_sessions_of_many_offerings_come_in_time_order_across_queries():
    from booking.catalog import offerings

    ids = [await make_workshop(f"W{n}", days=40 - n) for n in range(5)]
    original = offerings._SESSIONS_PER_QUERY
    offerings._SESSIONS_PER_QUERY = 2  # three queries for five offerings
    try:
        written = await sessions_of(ids)
    finally:
        offerings._SESSIONS_PER_QUERY = original
    assert [row["offering"] for row in written] == list(reversed(ids))


async def test_the_locked_offering_person_and_district_read_as_select_all_reads_them():
    offering_id = await make_workshop(price_cents=2500, nonmember_price_cents=4000)
    async with write_transaction():
        assert await lock_offering(offering_id) == await Offering.select().where(Offering.id == offering_id).first()
        with pytest.raises(NotFound):
            await lock_offering(offering_id + 1000)
    person = await make_user("coordinator", district="EGUSD")
    assert await get_user(person["id"]) == await User.select().where(User.id == person["id"]).first()
    district = await find_district("EGUSD")
    assert await get_district(district["id"]) == await District.select().where(District.id == district["id"]).first()
    with pytest.raises(NotFound):
        await get_user(person["id"] + 1000)
    with pytest.raises(NotFound):
        await get_district(district["id"] + 1000)


async def test_the_person_behind_a_session_or_a_token():
    person = await make_user("coordinator", district="EGUSD")
    token = await create_api_token(person["id"], "integration")
    session = await start_session(person["id"], "pytest")
    for actor in (await actor_for_api_token(token), await actor_for_session(session)):
        assert (actor.id, actor.email, actor.name, actor.role, actor.district_id, actor.school_id) == (
            person["id"],
            person["email"],
            person["name"],
            "coordinator",
            person["district"],
            person["school"],
        )
    assert await actor_for_api_token(token + "x") is None and await actor_for_session(session + "x") is None
    await ApiToken.update({ApiToken.revoked_at: dt.datetime.now(dt.timezone.utc)}).where(ApiToken.user == person["id"])
    await UserSession.update({UserSession.expires_at: dt.datetime.now(dt.timezone.utc)}).where(
        UserSession.user == person["id"]
    )
    assert await actor_for_api_token(token) is None and await actor_for_session(session) is None
    other_token = await create_api_token(person["id"], "another")
    await User.update({User.is_active: False}).where(User.id == person["id"])
    assert await actor_for_api_token(other_token) is None  # a deactivated person's token lets nobody in


async def test_a_row_inserted_in_sql_is_the_row_the_query_builder_inserts():
    offering_id = await make_workshop()
    people = [await make_user() for _ in range(2)]
    now = dt.datetime(2026, 12, 6, 17, 30, tzinfo=dt.timezone.utc)
    values = {"offering": offering_id, "payer": "free", "status": "confirmed", "created_at": now, "confirmed_at": now}
    written = await insert_row(Registration, {**values, "attendee": people[0]["id"]}, returning="*")
    built = (
        await Registration.insert(Registration(**values, attendee=people[1]["id"])).returning(
            *Registration.all_columns()
        )
    )[0]
    assert written.keys() == built.keys()
    assert {**written, "id": None, "attendee": None} == {**built, "id": None, "attendee": None}
    assert await Registration.select().where(Registration.id == written["id"]).first() == written

    # JSON and defaults: an outbox row as enqueue_email writes it.
    message = await insert_row(OutboxMessage, {"message_id": "<m@x>", "to_address": "a@b.org", "attachments": [1]})
    stored = await OutboxMessage.select().where(OutboxMessage.id == message["id"]).first()
    assert stored["status"] == OutboxMessage.status.default and stored["attachments"] in ("[1]", [1])

    # An enum is stored as its value, as the query builder stores it.
    event = await insert_row(
        RegistrationEvent, {"registration": written["id"], "kind": "registered", "to_status": S.WAITLISTED}
    )
    stored = await RegistrationEvent.select().where(RegistrationEvent.id == event["id"]).first()
    assert stored["to_status"] == "waitlisted" and type(stored["to_status"]) is str

    with pytest.raises(ValueError, match="no columns"):
        await insert_row(RegistrationEvent, {"registration": written["id"], "kind": "x", "colour": "blue"})
    with pytest.raises(ValueError, match="wasn't provided"):
        await insert_row(Registration, {"payer": "free"})  # no offering, no attendee


async def test_statements_in_sql_run_in_the_open_transaction_or_on_their_own():
    from booking.db import _compiled, fetch_sql

    assert _compiled("a = {} AND b IN ({}, {})", "sqlite") == "a = ? AND b IN (?, ?)"
    assert _compiled("a = {} AND b IN ({}, {})", "postgres") == "a = $1 AND b IN ($2, $3)"
    person = await make_user()
    with pytest.raises(RuntimeError, match="rolled back on purpose"):
        async with write_transaction():
            await fetch_sql("UPDATE app_user SET name = {} WHERE id = {}", "Renamed", person["id"])
            assert (await fetch_sql("SELECT name FROM app_user WHERE id = {}", person["id"]))[0]["name"] == "Renamed"
            raise RuntimeError("rolled back on purpose")
    assert (await fetch_sql("SELECT name FROM app_user WHERE id = {}", person["id"]))[0]["name"] == person["name"]
