"""The emails a registration's changes send, written into the outbox in the same transaction."""

from __future__ import annotations

from booking.accounts.tables import User
from booking.catalog.offerings import sessions_of
from booking.notifications.invites import InviteKind, registration_ended_invite, request_invite
from booking.notifications.outbox import enqueue_email
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import Registration


async def notify_attendee(
    registration: RegistrationRow,
    offering: dict,
    template: str,
    *,
    invite: InviteKind | None = None,
    attendee: dict | None = None,
    **extra,
) -> None:
    """Email the registrant; `invite` attaches a calendar invite for the offering's scheduled sessions.

    "request" when the seat has just been confirmed (if the person takes invites; the registration
    then remembers it was invited); "cancel" when a confirmed registration has ended (only if it
    was invited: the sessions still take place, so the CANCEL outranks the last REQUEST by one).
    The caller says which, because only it knows whether the seat was confirmed. `attendee` (email,
    name, calendar_invites), when the caller has read it already, saves a query under the lock.
    """
    if attendee is None:
        attendee = (
            await User.select(User.email, User.name, User.calendar_invites)
            .where(User.id == registration["attendee"])
            .first()
        )
    sessions = offering.get("sessions") or await sessions_of([offering["id"]])
    attachment = None
    if invite == "request" and attendee["calendar_invites"]:
        attachment = request_invite(registration["id"], offering, sessions, (attendee["name"], attendee["email"]))
        if attachment is not None and not registration.get("calendar_invited"):
            await Registration.update({Registration.calendar_invited: True}).where(
                Registration.id == registration["id"]
            )
    elif invite == "cancel" and await was_invited(registration["id"]):
        attachment = registration_ended_invite(
            registration["id"], offering, sessions, (attendee["name"], attendee["email"])
        )
    await enqueue_email(
        attendee["email"],
        template,
        {
            "name": attendee["name"],
            "offering": offering,
            "sessions": sessions,
            "registration": registration,
            **extra,
            "calendar_invite": invite if attachment else None,
        },
        attachments=(attachment,) if attachment else (),
    )


async def was_invited(registration_id: int) -> bool:
    row = await Registration.select(Registration.calendar_invited).where(Registration.id == registration_id).first()
    return bool(row and row["calendar_invited"])


async def notify_coordinators_of_approval(registration: RegistrationRow, offering: dict, attendee: dict) -> None:
    coordinators = await User.select(User.email, User.name).where(
        (User.role == "coordinator") & (User.district == attendee["district"]) & (User.is_active == True)
    )
    for coordinator in coordinators:
        await enqueue_email(
            coordinator["email"],
            "approval_requested",
            {"name": coordinator["name"], "attendee": attendee, "offering": offering, "registration": registration},
        )
