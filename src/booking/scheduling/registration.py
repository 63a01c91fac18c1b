"""Registering for an offering: the seat is decided under the offering's lock.

`check_*` validates and authorises; `register` mutates, holding the lock. Seats taken =
confirmed + live holds, computed inside the transaction, so no offering ever has more
taken seats than capacity, on either engine, whatever the concurrency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from booking import write_batches
from booking.accounts.actor import Actor
from booking.accounts.districts import get_district
from booking.accounts.users import create_user, find_user_by_email, get_user, validate_email, validate_name
from booking.catalog.offerings import price_for_district, sessions_of
from booking.clock import format_local, utc_now
from booking.db import fetch_sql, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.notifications.outbox import enqueue_email
from booking.observability.metrics import counts_registrations
from booking.payments.cancelled_seats import refuse_card_while_district_billed
from booking.payments.checkout import CARD_HOLD
from booking.payments.gateway import card_payments_available
from booking.scheduling.capacity import seat_situation
from booking.scheduling.notices import notify_attendee, notify_coordinators_of_approval
from booking.scheduling.registration_lifecycle import S, insert_registration
from booking.scheduling.rows import RegistrationRow
from booking.scheduling.tables import PAYERS
from booking.scheduling.waitlist import lock_offering, promote_waitlist

APPROVAL_WINDOW = dt.timedelta(days=5)
PO_NUMBER_MAX = 60


@dataclass
class RegistrationRequest:
    attendee_email: str | None = None  # None: the actor registers themself
    attendee_name: str | None = None
    payer: str | None = None
    po_number: str = ""


@dataclass
class RegistrationOutcome:
    registration: RegistrationRow
    waitlist_position: int | None
    warnings: list[str] = field(default_factory=list)
    account_created: bool = False
    emailed: bool = False  # an email about the registration was queued (the page says so only then)


async def _find_attendee(actor: Actor, request: RegistrationRequest) -> tuple[dict | None, str, str]:
    """The person to register (None: a newcomer to create), with their checked email and name.

    Read before the offering's lock: who the person is does not decide the seat."""
    if request.attendee_email is None:
        user = await get_user(actor.id)
        return user, user["email"], user["name"]
    actor.require(("staff", "coordinator"), "Only staff and district coordinators register other people.")
    email = validate_email(request.attendee_email, "attendee.email")
    existing = await find_user_by_email(email)
    if existing is not None:
        if actor.is_coordinator and existing["district"] != actor.district_id:
            raise Forbidden("That person belongs to another district; their own coordinator registers them.")
        return existing, email, existing["name"]
    return None, email, validate_name(request.attendee_name or "", "attendee.name")


async def _create_attendee(actor: Actor, email: str, name: str) -> dict:
    """A newcomer registered by staff or a coordinator (a coordinator's newcomer joins their district)."""
    created = await create_user(
        email=email, name=name, role="attendee", district_id=actor.district_id if actor.is_coordinator else None
    )
    await enqueue_email(email, "account_created", {"name": name, "registered_by": actor.name})
    return created


def _default_payer(actor: Actor, attendee: dict, price: int, for_self: bool) -> str:
    if price == 0:
        return "free"
    if for_self:
        return "card"
    if actor.is_coordinator:
        return "district"
    return "district" if attendee["district"] is not None else "card"


def check_payer(payer: str, price: int, attendee: dict) -> str:
    if payer not in PAYERS:
        raise InvalidInput({"payer": "Choose who pays: card or district."})
    if price == 0:
        return "free"
    if payer == "free":
        raise InvalidInput({"payer": "This workshop has a fee: choose card or district."})
    if payer == "district" and attendee["district"] is None:
        raise InvalidInput(
            {"payer": "Only someone who belongs to a district can bill it. Add your district to your profile."}
        )
    if payer == "card" and not card_payments_available():
        raise InvalidInput({"payer": "Paying by card is not available right now. Choose to bill your district."})
    return payer


def check_window(offering: dict, actor: Actor, now: dt.datetime) -> None:
    if offering["status"] != "published":
        raise Conflict("This workshop is not open for registration.", code="not_open")
    if actor.is_staff:
        return  # staff register walk-ins and late additions
    opens, closes = offering["registration_opens_at"], offering["registration_closes_at"]
    if opens is not None and now < opens:
        raise Conflict(f"Registration opens on {format_local(opens)}.", code="registration_not_open_yet")
    if closes is not None and now >= closes:
        raise Conflict(f"Registration closed on {format_local(closes)}.", code="registration_closed")


_OVERLAP_SQL = """
SELECT other.title AS title, theirs.starts_at AS starts_at
FROM offering_session mine
JOIN offering_session theirs ON theirs.starts_at < mine.ends_at AND mine.starts_at < theirs.ends_at
JOIN registration r ON r.offering = theirs.offering
JOIN offering other ON other.id = theirs.offering
WHERE mine.offering = {} AND mine.status = 'scheduled' AND theirs.status = 'scheduled'
  AND theirs.offering <> mine.offering AND r.attendee = {} AND r.status <> 'cancelled'
ORDER BY theirs.starts_at
"""


async def overlap_warnings(attendee_id: int, offering_id: int) -> list[str]:
    """Sessions of the person's other live registrations that overlap this offering's sessions (one query)."""
    rows = await fetch_sql(_OVERLAP_SQL, offering_id, attendee_id)
    warnings: list[str] = []
    for row in rows:
        starts_at = row["starts_at"]
        if isinstance(starts_at, str):  # SQLite hands raw-query timestamps back as text
            starts_at = dt.datetime.fromisoformat(starts_at)
        text = f"This overlaps with “{row['title']}” on {format_local(starts_at)}."
        if text not in warnings:
            warnings.append(text)
    return warnings


@counts_registrations
async def register(
    actor: Actor, offering_id: int, request: RegistrationRequest, now: dt.datetime | None = None
) -> RegistrationOutcome:
    """Everything that does not decide the seat is read before the offering's lock (the person, their
    district, the sessions); under the lock: the offering, one query for the seat situation, the insert
    with its history row, and the email in the outbox. A burst for one offering queues for it, and one transaction
    decides a batch of the queued registrations in arrival order (booking.write_batches)."""
    now = now or utc_now()
    po_number = " ".join((request.po_number or "").split())
    if len(po_number) > PO_NUMBER_MAX:
        raise InvalidInput({"po_number": f"A PO number has at most {PO_NUMBER_MAX} characters."})
    attendee, attendee_email, attendee_name = await _find_attendee(actor, request)
    if attendee is not None and not attendee["is_active"]:
        raise Conflict("That account is deactivated.", code="inactive_account")
    district = None
    if attendee is not None and attendee["district"] is not None:
        district = await get_district(attendee["district"])
    sessions = await sessions_of([offering_id])
    created = attendee is None
    if attendee is None:
        # A newcomer's account is created in the transaction that decides their seat: never batched.
        async with write_transaction():
            attendee = await _create_attendee(actor, attendee_email, attendee_name)
            if attendee["district"] is not None:
                district = await get_district(attendee["district"])
            decided = await _decide_seat(actor, offering_id, request, attendee, district, sessions, po_number, now)
    else:
        # Everyone else queues for the offering, and one transaction decides a batch of them in arrival order.
        known_attendee = attendee
        decided = await write_batches.decide(
            ("registration", offering_id),
            lambda: _decide_seat(actor, offering_id, request, known_attendee, district, sessions, po_number, now),
        )
    registration, position, emailed = decided
    warnings = await overlap_warnings(attendee["id"], offering_id)
    return RegistrationOutcome(registration, position, warnings, created, emailed)


async def _decide_seat(
    actor: Actor,
    offering_id: int,
    request: RegistrationRequest,
    attendee: dict,
    district: dict | None,
    sessions: list,
    po_number: str,
    now: dt.datetime,
) -> tuple[RegistrationRow, int | None, bool]:
    """Under the offering's lock: every refusal first, then the writes (write_batches' rule), then the email.
    Returns the registration, its waiting-list position (None unless waitlisted) and whether an email was queued."""
    offering = await lock_offering(offering_id)
    if offering["status"] == "draft" and not actor.is_staff:
        raise NotFound("No such workshop.")
    check_window(offering, actor, now)
    price = price_for_district(offering, district)
    for_self = request.attendee_email is None or attendee["id"] == actor.id
    payer = check_payer(request.payer or _default_payer(actor, attendee, price, for_self), price, attendee)
    situation = await seat_situation(offering, attendee["id"], now)
    if situation.already_registered:  # promoting the waiting list below cannot change this
        raise Conflict(f"{attendee['name']} is already registered for this workshop.", code="already_registered")
    if payer == "card":
        # The district may still answer for an earlier, invoiced seat of this person here: never both.
        await refuse_card_while_district_billed(attendee["id"], offering_id)
    write_batches.writing()
    if situation.expired_holds or (situation.counts.seats_left > 0 and situation.counts.waitlisted > 0):
        # Free seats go to the waiting list first: nobody jumps the queue.
        await promote_waitlist(offering, now)
        situation = await seat_situation(offering, attendee["id"], now)
    counts = situation.counts
    values = {
        "offering": offering_id,
        "attendee": attendee["id"],
        "registered_by": actor.id,
        "payer": payer,
        "po_number": po_number,
        "amount_cents": price,
        "created_at": now,
    }
    hold = None
    if counts.seats_left > 0:
        # A coordinator of that district registering someone is the district's approval.
        approved_by_coordinator = actor.is_coordinator and district is not None and actor.district_id == district["id"]
        if (
            payer == "district"
            and district is not None
            and district["requires_supervisor_approval"]
            and not approved_by_coordinator
        ):
            deadline = now + APPROVAL_WINDOW
            if sessions:
                deadline = min(deadline, sessions[0]["starts_at"])
            status, hold = S.PENDING_APPROVAL, max(deadline, now + dt.timedelta(hours=1))
        elif payer == "card":
            # The seat is held while the person pays; an unpaid hold frees itself when it expires.
            status, hold = S.PENDING_PAYMENT, now + CARD_HOLD
        else:
            status = S.CONFIRMED
    else:
        status = S.WAITLISTED
    # A confirmed seat's email carries a calendar invite when the person takes them and a session is scheduled.
    values["calendar_invited"] = (
        status == S.CONFIRMED
        and bool(attendee["calendar_invites"])
        and any(session["status"] == "scheduled" for session in sessions)
    )
    registration = await insert_registration(
        values,
        status,
        now=now,
        hold_expires_at=hold,
        actor_id=actor.id,
        last_waitlist_rank=situation.last_waitlist_rank,
    )
    position = None
    if registration["status"] == S.WAITLISTED:
        position = counts.waitlisted + 1
    template = {
        S.CONFIRMED: "registration_confirmed",
        S.WAITLISTED: "registration_waitlisted",
        S.PENDING_APPROVAL: "registration_pending_approval",
    }.get(registration["status"])
    # A seat waiting for its card payment gets its confirmation (and invite) once the payment arrives.
    emailed = template is not None
    if template is not None:
        await notify_attendee(
            registration,
            {**offering, "sessions": sessions},
            template,
            waitlist_position=position,
            invite="request" if registration["status"] == S.CONFIRMED else None,
            attendee=attendee,
        )
    if registration["status"] == S.PENDING_APPROVAL:
        await notify_coordinators_of_approval(registration, offering, attendee)
    return registration, position, emailed
