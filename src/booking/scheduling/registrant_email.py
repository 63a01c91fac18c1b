"""Staff email an offering's registrants: everyone confirmed, only those waiting, or only the absent of a session.

Two steps, so nobody mass-emails by accident: `preview` checks the message and counts the recipients;
`send` repeats the count under the offering's lock and sends only if it is still the number staff
confirmed (someone registering in between changes the list: staff see the new count and confirm again).
One outbox row per person, written in the same transaction as the message's entry in the offering's
history (OfferingMessage), so a refused or rolled-back send leaves neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog.offerings import get_offering
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput
from booking.notifications.outbox import enqueue_email
from booking.scheduling.attendance import session_label
from booking.scheduling.pd_hours import check_ids
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Attendance, OfferingMessage, Registration
from booking.scheduling.waitlist import lock_offering

AUDIENCES = {
    "confirmed": "Everyone confirmed",
    "waiting": "Only those on the waiting list",
    "absent": "Only those marked absent from one session",
}
MAX_SUBJECT = 150
MAX_BODY = 5000
MAX_RECIPIENTS_SHOWN = 12


@dataclass(frozen=True)
class Draft:
    audience: str
    session_id: int | None
    subject: str
    body: str


@dataclass
class Preview:
    draft: Draft
    recipients: list[dict]
    audience_label: str


STAFF_ONLY = "Only SCOE program staff email a workshop's registrants."


def check_draft(audience: str, session_id: int | None, subject: str, body: str, sessions: list[dict]) -> Draft:
    errors: dict[str, str] = {}
    if audience not in AUDIENCES:
        errors["audience"] = "Choose who gets the email."
    if audience == "absent":
        if session_id is None:
            errors["session"] = "Choose the session whose absent people get the email."
        elif session_id not in {s["id"] for s in sessions}:
            errors["session"] = "Choose one of this workshop's sessions."
    subject, body = " ".join(subject.split()), body.strip()
    if not subject:
        errors["subject"] = "Write a subject."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject to {MAX_SUBJECT} characters."
    if not body:
        errors["body"] = "Write the message."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Keep the message to {MAX_BODY} characters."
    if errors:
        raise InvalidInput(errors, message="Check the message: nothing was sent.")
    return Draft(audience, session_id if audience == "absent" else None, subject, body)


async def recipients_of(offering_id: int, draft: Draft) -> list[dict]:
    status = S.WAITLISTED.value if draft.audience == "waiting" else S.CONFIRMED.value
    rows = await Registration.select(
        Registration.id,
        Registration.attendee.name.as_alias("name"),
        Registration.attendee.email.as_alias("email"),
    ).where((Registration.offering == offering_id) & (Registration.status == status))
    if draft.audience == "absent":
        absent = {
            row["registration"]
            for row in await Attendance.select(Attendance.registration).where(
                (Attendance.session == draft.session_id) & (Attendance.status == "absent")
            )
        }
        rows = [row for row in rows if row["id"] in absent]
    rows.sort(key=lambda r: (r["name"].casefold(), r["id"]))
    return rows


async def preview(
    actor: Actor, offering_id: int, *, audience: str, session_id: int | None, subject: str, body: str
) -> Preview:
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id)
    offering = await get_offering(actor, offering_id)
    draft = check_draft(audience, session_id, subject, body, offering["sessions"])
    return Preview(draft, await recipients_of(offering_id, draft), audience_phrase(draft, offering["sessions"]))


def audience_phrase(draft: Draft, sessions: list[dict]) -> str:
    if draft.audience == "absent":
        session = next(s for s in sessions if s["id"] == draft.session_id)
        return f"Marked absent on {session_label(session)}"
    return AUDIENCES[draft.audience]


async def send(
    actor: Actor,
    offering_id: int,
    *,
    audience: str,
    session_id: int | None,
    subject: str,
    body: str,
    confirmed_count: int | None,
) -> int:
    """Send to the recipients staff confirmed; returns how many were emailed."""
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id)
    offering = await get_offering(actor, offering_id)
    draft = check_draft(audience, session_id, subject, body, offering["sessions"])
    if confirmed_count is None:
        raise InvalidInput(
            {"confirm": "Check the recipients first, then confirm."},
            message="Check the recipients first, then confirm: nothing was sent.",
        )
    async with write_transaction():
        await lock_offering(offering_id)
        people = await recipients_of(offering_id, draft)
        if not people:
            raise Conflict("Nobody matches: nothing was sent.", code="no_recipients")
        if len(people) != confirmed_count:
            raise Conflict(
                f"The list changed since you checked it: it now has {len(people)} "
                f"{'person' if len(people) == 1 else 'people'}, not {confirmed_count}. "
                "Check the recipients again; nothing was sent.",
                code="recipients_changed",
            )
        for person in people:
            await enqueue_email(
                person["email"],
                "offering_message",
                {
                    "name": person["name"],
                    "offering": offering,
                    "subject": draft.subject,
                    "body": draft.body,
                    "sender": actor.name,
                },
            )
        await OfferingMessage.insert(
            OfferingMessage(
                offering=offering_id,
                audience=draft.audience,
                session=draft.session_id,
                subject=draft.subject,
                body=draft.body,
                recipients=len(people),
                sent_by=actor.id,
                sent_at=utc_now(),
            )
        )
    return len(people)


async def history(actor: Actor, offering_id: int) -> list[dict]:
    """Messages sent about this offering, newest first."""
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id)
    rows = (
        await OfferingMessage.select(
            OfferingMessage.all_columns(),
            OfferingMessage.sent_by.name.as_alias("sender"),
            OfferingMessage.session.starts_at.as_alias("session_starts_at"),
        )
        .where(OfferingMessage.offering == offering_id)
        .order_by(OfferingMessage.id, ascending=False)
    )
    for row in rows:
        row["audience_label"] = AUDIENCES.get(row["audience"], row["audience"])
    return rows
