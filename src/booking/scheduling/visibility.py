"""Who may see a registration: its attendee, coordinators of the attendee's district, staff, finance, admin."""

from __future__ import annotations

from typing import cast

from booking.accounts.actor import Actor
from booking.errors import NotFound
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import Registration


def visible_registrations(actor: Actor):
    if actor.sees_all_districts:
        return Registration.id.is_not_null()
    if actor.is_coordinator and actor.district_id is not None:
        return (Registration.attendee.district == actor.district_id) | (Registration.attendee == actor.id)
    return Registration.attendee == actor.id


async def get_visible_registration(actor: Actor, registration_id: int) -> RegistrationRow:
    """404, never 403, for a registration outside the actor's scope."""
    row = await Registration.select().where((Registration.id == registration_id) & visible_registrations(actor)).first()
    if row is None:
        raise NotFound("No such registration.")
    return cast(RegistrationRow, row)
