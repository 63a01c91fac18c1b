"""The emails a registration's changes send, written into the outbox in the same transaction."""

from __future__ import annotations

from booking.accounts.tables import User
from booking.catalog.offerings import sessions_of
from booking.notifications.outbox import enqueue_email


async def notify_attendee(registration: dict, offering: dict, template: str, **extra) -> None:
    attendee = await User.select(User.email, User.name).where(User.id == registration["attendee"]).first()
    sessions = offering.get("sessions") or await sessions_of([offering["id"]])
    await enqueue_email(
        attendee["email"],
        template,
        {"name": attendee["name"], "offering": offering, "sessions": sessions, "registration": registration, **extra},
    )


async def notify_coordinators_of_approval(registration: dict, offering: dict, attendee: dict) -> None:
    coordinators = await User.select(User.email, User.name).where(
        (User.role == "coordinator") & (User.district == attendee["district"]) & (User.is_active == True)  # noqa: E712
    )
    for coordinator in coordinators:
        await enqueue_email(coordinator["email"], "approval_requested",
                            {"name": coordinator["name"], "attendee": attendee, "offering": offering, "registration": registration})
