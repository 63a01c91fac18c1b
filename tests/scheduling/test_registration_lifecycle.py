"""One lifecycle for registrations: one module writes their status, and it follows its table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import booking
from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.errors import Conflict
from booking.scheduling.registration_lifecycle import (
    TRANSITIONS,
    RegistrationStatus,
    S,
    TransitionRefused,
    allowed,
    insert_registration,
    label_of,
    transition,
    what_the_attendee_may_do,
)
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.factories import make_user
from tests.scheduling.registration_writers import registration_writers, writes_in_source

NOW = dt.datetime(2027, 1, 10, 17, 0, tzinfo=dt.timezone.utc)
PACKAGE = Path(booking.__file__).parent


def test_exactly_one_module_inserts_a_registration_or_writes_its_status():
    writers = registration_writers(PACKAGE)
    assert list(writers) == ["booking/scheduling/registration_lifecycle.py"], writers


@pytest.mark.parametrize(
    "source",
    [
        "await Registration.insert(Registration(offering=1, attendee=2, status='confirmed'))",
        "row = Registration(offering=1)",
        "await insert_many(Registration, rows)",
        "await db.insert_many(Registration, rows)",
        "await Registration.update({Registration.status: 'cancelled'}).where(Registration.id == 1)",
        "await Registration.update({'status': 'cancelled'}).where(Registration.id == 1)",
        "await Registration.update(status='cancelled').where(Registration.id == 1)",
        "await Registration.update({getattr(Registration, n): v for n, v in values.items()})",
        "await Registration.update(values)",
        "await Registration.update({**values})",
        "await Registration.objects().get(Registration.id == 1)",
        "await Registration.raw(\"UPDATE registration SET status = 'cancelled' WHERE id = {}\", 1)",
        "await engine.run_ddl('insert into \"registration\" (offering) values (1)')",
        "sql = f'''UPDATE\n  registration SET status = {status!r}'''",
    ],
)
def test_the_check_sees_every_way_of_writing_a_registration(source):
    assert writes_in_source(source), source


@pytest.mark.parametrize(
    "source",
    [
        "await Registration.update({Registration.calendar_invited: True}).where(Registration.id == 1)",
        "await Registration.update({Registration.waitlist_rank: 2}).where(Registration.id == 1)",
        "await Registration.select().where(Registration.status == 'cancelled')",
        "await Registration.raw('SELECT * FROM registration WHERE status = {}', 'x')",
        "await RegistrationEvent.insert(RegistrationEvent(registration=1, kind='x'))",
        "await Registration.raw('UPDATE registration_event SET note = {}', 'x')",
    ],
)
def test_the_check_leaves_reads_and_other_columns_alone(source):
    assert not writes_in_source(source), source


def test_the_table_of_changes():
    assert allowed("promoted", "waitlisted", "offered")
    assert allowed("registered", None, "pending_payment")
    assert not allowed("registered", None, "offered")  # an offer comes only from the waiting list
    assert not allowed("approved", "pending_payment", "confirmed")  # only an approval hold is approved
    assert not allowed("cancelled", "cancelled", "cancelled")
    assert not allowed("promoted", "cancelled", "confirmed")
    assert not allowed("invented", "waitlisted", "confirmed")
    # Every status has a label people read, and every stored string is a member.
    assert {label_of(s.value) for s in RegistrationStatus} == {
        "Confirmed",
        "Waiting list",
        "Seat offered",
        "Awaiting payment",
        "Awaiting district approval",
        "Cancelled",
    }
    # Nothing leaves "cancelled" except a late card payment for a hold that ran out.
    leaving_cancelled = {kind for kind, (starts, ends) in TRANSITIONS.items() if S.CANCELLED in starts}
    assert leaving_cancelled == {"paid_after_hold", "paid_late_waitlisted"}


async def _offering(capacity: int = 5, price_cents: int = 0) -> int:
    staff = Actor.from_row(await make_user("staff"))
    start = NOW + dt.timedelta(days=20)
    return await create_offering(
        staff,
        OfferingInput(
            title="Lifecycle lab",
            capacity=capacity,
            price_cents=price_cents,
            status="published",
            sessions=[SessionInput(start, start + dt.timedelta(hours=2))],
        ),
    )


async def _events(registration_id: int) -> list[tuple[str, str, str]]:
    rows = (
        await RegistrationEvent.select()
        .where(RegistrationEvent.registration == registration_id)
        .order_by(RegistrationEvent.id)
    )
    return [(row["kind"], row["from_status"], row["to_status"]) for row in rows]


async def test_a_transition_stamps_clears_records_and_says_what_follows(db):
    offering_id = await _offering(price_cents=4000)
    person = await make_user("attendee")
    values = {"offering": offering_id, "attendee": person["id"], "payer": "card", "amount_cents": 4000}
    first = await insert_registration(values, S.WAITLISTED, now=NOW)
    second = await insert_registration(
        {**values, "attendee": (await make_user("attendee"))["id"]}, S.WAITLISTED, now=NOW
    )
    assert (first["waitlist_rank"], second["waitlist_rank"]) == (1, 2)  # the end of the list, by the module itself

    hold = NOW + dt.timedelta(hours=48)
    offered = await transition(first, S.OFFERED, kind="promoted", now=NOW, hold_expires_at=hold)
    assert offered.registration["status"] == "offered"
    assert offered.registration["waitlist_rank"] is None and offered.registration["hold_expires_at"] == hold
    assert offered.follow_up.email == "registration_offer" and offered.follow_up.invite is None

    paid = await transition(offered.registration, S.CONFIRMED, kind="paid", now=NOW, add_paid_cents=4000)
    assert paid.registration["hold_expires_at"] is None and paid.registration["confirmed_at"] == NOW
    assert paid.registration["amount_paid_cents"] == 4000
    assert paid.follow_up.invite == "request"

    later = NOW + dt.timedelta(days=1)
    cancelled = await transition(paid.registration, S.CANCELLED, kind="cancelled", now=later, reason="Moved schools")
    row = cancelled.registration
    assert (row["status"], row["cancelled_at"], row["cancel_reason"]) == ("cancelled", later, "Moved schools")
    assert cancelled.follow_up.frees_seat and cancelled.follow_up.refund_card_payment
    assert cancelled.follow_up.invite == "cancel" and not cancelled.follow_up.district_charge_ends
    assert await _events(first["id"]) == [
        ("registered", "", "waitlisted"),
        ("promoted", "waitlisted", "offered"),
        ("paid", "offered", "confirmed"),
        ("cancelled", "confirmed", "cancelled"),
    ]


async def test_a_change_outside_the_table_is_refused_and_changes_nothing(db):
    offering_id = await _offering()
    person = await make_user("attendee")
    row = await insert_registration({"offering": offering_id, "attendee": person["id"]}, S.CONFIRMED, now=NOW)
    with pytest.raises(TransitionRefused):
        await transition(row, S.OFFERED, kind="promoted", now=NOW, hold_expires_at=NOW + dt.timedelta(hours=1))
    ended = await transition(row, S.CANCELLED, kind="cancelled", now=NOW, reason="x")
    # A deliberate cancellation is final: a late card payment cannot bring it back.
    with pytest.raises(TransitionRefused):
        await transition(ended.registration, S.CONFIRMED, kind="paid_after_hold", now=NOW)
    stored = await Registration.select().where(Registration.id == row["id"]).first()
    assert stored["status"] == "cancelled"
    assert [kind for kind, _, _ in await _events(row["id"])] == ["registered", "cancelled"]


async def test_a_change_from_a_stale_read_is_refused_not_overwritten(db):
    offering_id = await _offering()
    person = await make_user("attendee")
    row = await insert_registration({"offering": offering_id, "attendee": person["id"]}, S.WAITLISTED, now=NOW)
    await transition(row, S.CONFIRMED, kind="promoted", now=NOW)
    with pytest.raises(Conflict):  # `row` still says waitlisted; the stored row does not
        await transition(row, S.CANCELLED, kind="cancelled", now=NOW, reason="stale")
    assert (await Registration.select(Registration.status).where(Registration.id == row["id"]).first())[
        "status"
    ] == "confirmed"


def test_templates_get_what_the_person_may_do():
    live = {"status": "pending_payment", "hold_expires_at": NOW + dt.timedelta(minutes=5), "payer": "card"}
    assert what_the_attendee_may_do(live, NOW)["can_pay"]
    assert what_the_attendee_may_do(live, NOW)["status_label"] == "Awaiting payment"
    lapsed = what_the_attendee_may_do(live, NOW + dt.timedelta(minutes=6))
    assert not lapsed["can_pay"] and lapsed["hold_expired"] and lapsed["has_ended"] and not lapsed["on_calendar"]
    assert what_the_attendee_may_do({"status": "waitlisted", "hold_expires_at": None}, NOW)["is_waitlisted"]
