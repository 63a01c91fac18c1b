"""Deleting a draft workshop: only a draft, only a workshop, and only while nobody has ever registered.

Anything published has been seen (links, calendars, emails), so it is cancelled instead, never deleted.
A workshop unpublished back to draft may hold registrations: the count is checked under the offering's
lock, because the foreign keys cascade and a delete must never take a registration with it.
"""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.catalog.offerings import STAFF_ONLY, lock_offering
from booking.catalog.tables import Offering, OfferingFacilitator, OfferingSession, ScheduleOverride
from booking.db import write_transaction
from booking.errors import Conflict, NotFound
from booking.scheduling.pd_hours import check_ids
from booking.scheduling.tables import OfferingMessage, Registration


async def delete_draft(actor: Actor, offering_id: int) -> str:
    """Delete the draft and its sessions; returns its title for the notice."""
    Actor.require(actor, "staff", STAFF_ONLY)
    check_ids(offering_id)
    async with write_transaction():
        offering = await lock_offering(offering_id)
        if offering["kind"] != "workshop":
            raise NotFound("No such workshop.")
        if offering["status"] != "draft":
            raise Conflict(
                "Only a draft can be deleted. A workshop people could see is cancelled instead.", code="not_a_draft"
            )
        if await Registration.count().where(Registration.offering == offering_id):
            raise Conflict(
                "Someone is registered for this workshop, so it cannot be deleted.", code="has_registrations"
            )
        sessions = [
            row["id"]
            for row in await OfferingSession.select(OfferingSession.id).where(OfferingSession.offering == offering_id)
        ]
        if sessions:
            await ScheduleOverride.delete().where(ScheduleOverride.session.is_in(sessions))
        await OfferingMessage.delete().where(OfferingMessage.offering == offering_id)
        await OfferingFacilitator.delete().where(OfferingFacilitator.offering == offering_id)
        await OfferingSession.delete().where(OfferingSession.offering == offering_id)
        await Offering.delete().where(Offering.id == offering_id)
    return offering["title"]
