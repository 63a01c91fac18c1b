"""The roster of an offering, for staff: everyone registered, with status and waiting-list position."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.catalog.offerings import get_offering
from booking.scheduling.registration_lifecycle import RegistrationStatus, label_of
from booking.scheduling.rows import RosterRow
from booking.scheduling.tables import Registration

S = RegistrationStatus
STATUS_ORDER = {
    S.CONFIRMED: 0,
    S.PENDING_APPROVAL: 1,
    S.PENDING_PAYMENT: 2,
    S.OFFERED: 3,
    S.WAITLISTED: 4,
    S.CANCELLED: 5,
}


async def roster(actor: Actor, offering_id: int) -> list[RosterRow]:
    actor.require("staff", "Only SCOE program staff see rosters.")
    await get_offering(actor, offering_id)  # 404 for an unknown offering
    rows = await Registration.select(
        Registration.id,
        Registration.attendee,
        Registration.status,
        Registration.payer,
        Registration.created_at,
        Registration.waitlist_rank,
        Registration.attendee.name.as_alias("name"),
        Registration.attendee.email.as_alias("email"),
        Registration.attendee.district.name.as_alias("district"),
    ).where(Registration.offering == offering_id)
    waiting = sorted((r for r in rows if r["status"] == S.WAITLISTED), key=lambda r: (r["waitlist_rank"], r["id"]))
    positions = {r["id"]: index for index, r in enumerate(waiting, start=1)}
    rows.sort(key=lambda r: (STATUS_ORDER.get(r["status"], 9), positions.get(r["id"], 0), r["name"].lower()))
    return [
        RosterRow(
            registration_id=r["id"],
            attendee_id=r["attendee"],
            name=r["name"],
            email=r["email"],
            district=r["district"],
            status=r["status"],
            waitlist_position=positions.get(r["id"]),
            # what the page shows and allows, so the template compares no status strings
            status_label=label_of(r["status"]),
            is_confirmed=r["status"] == S.CONFIRMED,
            is_waitlisted=r["status"] == S.WAITLISTED,
            payer=r["payer"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
