"""The worker's sweep gives a lapsed hold's seat to the next person waiting, once."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.notifications.tables import OutboxMessage
from booking.scheduling.hold_sweeper import sweep_expired_holds
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user
from tests.workshop_factory import make_workshop


async def test_a_lapsed_card_hold_goes_to_the_next_person_waiting(db):
    workshop = await make_workshop(price_cents=4_500, capacity=1)
    first = Actor.from_row(await make_user("attendee"))
    second = Actor.from_row(await make_user("attendee"))
    held = (await register(first, workshop, RegistrationRequest(payer="card"))).registration
    waiting = (await register(second, workshop, RegistrationRequest(payer="card"))).registration
    assert (held["status"], waiting["status"]) == ("pending_payment", "waitlisted")

    assert await sweep_expired_holds() == 0  # nothing lapsed yet: nothing moves
    assert (await Registration.select(Registration.status).where(Registration.id == waiting["id"]).first())[
        "status"
    ] == "waitlisted"

    await Registration.update({Registration.hold_expires_at: utc_now() - dt.timedelta(minutes=1)}).where(
        Registration.id == held["id"]
    )
    assert await sweep_expired_holds() == 1
    statuses = {row["id"]: row["status"] for row in await Registration.select(Registration.id, Registration.status)}
    assert statuses == {held["id"]: "cancelled", waiting["id"]: "offered"}
    told = await OutboxMessage.select(OutboxMessage.to_address).order_by(OutboxMessage.id)
    assert [row["to_address"] for row in told][-2:] == [
        first.email,
        second.email,
    ]  # the hold ended; the seat is offered
    assert await sweep_expired_holds() == 0  # idempotent: the second pass finds nothing
    assert await OutboxMessage.count() == len(told)
