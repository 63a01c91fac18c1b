"""The one place a registration is created or changes status.

A registration's status used to be written by hand in seven modules, each clearing its own set of
fields. Here are the statuses (with the words people read), the table of allowed changes, and the
two functions that write them: `insert_registration` and `transition`. Both stamp the times, clear
the hold and the waiting-list rank as the new status requires, and write the history row in the
caller's transaction. They do not send or refund anything themselves: `transition` hands back the
follow-up work (free the seat to the waiting list, refund a card payment, withdraw or credit a
district's charge, the email and its calendar invite) and the caller, which knows the offering and
what to say, performs it, as before. A test (tests/scheduling/test_registration_lifecycle.py) reads
the source and fails if any other module inserts a registration or writes its status.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from booking.db import insert_row
from booking.errors import Conflict
from booking.scheduling import history
from booking.scheduling.rows import AttendeeMay, RegistrationRow
from booking.scheduling.tables import Registration


class RegistrationStatus(enum.StrEnum):
    """Stored as these exact strings (the column is unchanged)."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # a seat offered from the waiting list, held while the person pays
    PENDING_PAYMENT = "pending_payment"
    PENDING_APPROVAL = "pending_approval"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def holds_a_seat_until_expiry(self) -> bool:
        return self in HOLD_STATUSES


S = RegistrationStatus
STATUS_LABELS: dict[RegistrationStatus, str] = {
    S.CONFIRMED: "Confirmed",
    S.WAITLISTED: "Waiting list",
    S.OFFERED: "Seat offered",
    S.PENDING_PAYMENT: "Awaiting payment",
    S.PENDING_APPROVAL: "Awaiting district approval",
    S.CANCELLED: "Cancelled",
}
# Statuses that hold a seat until `hold_expires_at` (judged at read time).
HOLD_STATUSES: tuple[RegistrationStatus, ...] = (S.OFFERED, S.PENDING_PAYMENT, S.PENDING_APPROVAL)
# Statuses that take a seat (a hold only while it is live).
SEAT_STATUSES: tuple[RegistrationStatus, ...] = (S.CONFIRMED, *HOLD_STATUSES)
LIVE_STATUSES: tuple[RegistrationStatus, ...] = (S.CONFIRMED, S.WAITLISTED, *HOLD_STATUSES)
ALL_STATUSES: tuple[str, ...] = tuple(status.value for status in RegistrationStatus)


def label_of(status: str) -> str:
    return STATUS_LABELS[RegistrationStatus(status)]


# What may happen to a registration: the history row's kind -> (the statuses it may start from,
# the statuses it may end in). None as a start is a new registration. A kind not here, or a change
# outside its row, is refused.
_NEW = None
TRANSITIONS: dict[str, tuple[frozenset[RegistrationStatus | None], frozenset[RegistrationStatus]]] = {
    # register(): a seat, a hold for payment or approval, or the end of the waiting list
    "registered": (frozenset({_NEW}), frozenset({S.CONFIRMED, S.WAITLISTED, S.PENDING_PAYMENT, S.PENDING_APPROVAL})),
    # cohorts.review: an accepted application is a confirmed place
    "accepted_into_cohort": (frozenset({_NEW}), frozenset({S.CONFIRMED})),
    # a seat freed: the head of the list is confirmed (free, district-billed, already paid) or offered the seat
    "promoted": (frozenset({S.WAITLISTED}), frozenset({S.CONFIRMED, S.OFFERED})),
    "approved": (frozenset({S.PENDING_APPROVAL}), frozenset({S.CONFIRMED})),
    "declined": (frozenset({S.PENDING_APPROVAL}), frozenset({S.CANCELLED})),
    # the card payment arrived while the hold was live
    "paid": (frozenset({S.PENDING_PAYMENT, S.OFFERED}), frozenset({S.CONFIRMED})),
    # ... or after it ran out (recorded or not yet), and the seat was still free
    "paid_after_hold": (frozenset({S.PENDING_PAYMENT, S.OFFERED, S.CANCELLED}), frozenset({S.CONFIRMED})),
    # ... or after it ran out and others wait for the seat: finance's setting keeps the payment as credit
    "paid_late_waitlisted": (frozenset({S.PENDING_PAYMENT, S.OFFERED, S.CANCELLED}), frozenset({S.WAITLISTED})),
    "hold_expired": (frozenset(HOLD_STATUSES), frozenset({S.CANCELLED})),
    # by the person, a coordinator or staff, or because the workshop was cancelled
    "cancelled": (frozenset(LIVE_STATUSES), frozenset({S.CANCELLED})),
    "withdrew_from_cohort": (frozenset({S.CONFIRMED}), frozenset({S.CANCELLED})),
    # the workshop was completed: nobody can be promoted any more
    "waitlist_closed": (frozenset({S.WAITLISTED}), frozenset({S.CANCELLED})),
}
# The kinds that create a registration (their history row has no "from").
INSERT_KINDS = frozenset(kind for kind, (starts, _) in TRANSITIONS.items() if _NEW in starts)
# Changes after which only a cancel-reason saying the hold ran out allows leaving `cancelled`.
_FROM_CANCELLED_NEEDS_EXPIRED_HOLD = {"paid_after_hold", "paid_late_waitlisted"}


def allowed(kind: str, from_status: str | None, to_status: str) -> bool:
    rule = TRANSITIONS.get(kind)
    if rule is None:
        return False
    starts, ends = rule
    start = None if from_status in (None, "") else RegistrationStatus(from_status)
    return start in starts and RegistrationStatus(to_status) in ends


def allowed_pairs() -> set[tuple[str | None, str]]:
    """Every (from, to) status change some kind allows; None is a new registration."""
    return {
        (None if start is None else start.value, end.value)
        for starts, ends in TRANSITIONS.values()
        for start in starts
        for end in ends
    }


class TransitionRefused(Conflict):
    def __init__(self, kind: str, from_status: str | None, to_status: str):
        start = label_of(from_status) if from_status else "new"
        super().__init__(
            f"A registration cannot go from {start.lower()} to {label_of(to_status).lower()} ({kind}).",
            code="registration_transition_refused",
        )


@dataclass(frozen=True)
class FollowUp:
    """What the caller does next, inside the same transaction unless it says otherwise.

    - `frees_seat`: a seat or a hold was given up: promote the waiting list (unless the whole offering ends).
    - `refund_card_payment`: a paid card seat ended: queue its refund, submit it after the commit.
    - `district_charge_ends`: a district-billed seat ended: its charge line is withdrawn when gathered, or,
      if already invoiced, credited (payments' credit notes).
    - `invite`: "request" (the seat is now confirmed) or "cancel" (a confirmed seat ended), for the email.
    - `email`: the usual template for this change; callers may choose a more specific one.
    """

    frees_seat: bool = False
    refund_card_payment: bool = False
    district_charge_ends: bool = False
    invite: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Transition:
    registration: RegistrationRow  # the row after the change
    from_status: str | None
    to_status: str
    kind: str
    follow_up: FollowUp


_EMAILS = {
    ("registered", S.CONFIRMED): "registration_confirmed",
    ("registered", S.WAITLISTED): "registration_waitlisted",
    ("registered", S.PENDING_APPROVAL): "registration_pending_approval",
    # a seat waiting for its card payment gets its confirmation (and invite) when the payment arrives
    ("accepted_into_cohort", S.CONFIRMED): "cohort_accepted",
    ("promoted", S.CONFIRMED): "registration_promoted",
    ("promoted", S.OFFERED): "registration_offer",
    ("approved", S.CONFIRMED): "registration_approved",
    ("declined", S.CANCELLED): "registration_declined",
    ("paid", S.CONFIRMED): "registration_confirmed",
    ("paid_after_hold", S.CONFIRMED): "registration_confirmed",
    ("paid_late_waitlisted", S.WAITLISTED): "card_payment_late_waitlisted",
    ("hold_expired", S.CANCELLED): "registration_expired",
    ("cancelled", S.CANCELLED): "registration_cancelled",
    ("withdrew_from_cohort", S.CANCELLED): "cohort_withdrawn",
    ("waitlist_closed", S.CANCELLED): "registration_waitlist_closed",
}


def _follow_up(kind: str, before: RegistrationRow | None, after: RegistrationRow) -> FollowUp:
    start = None if before is None else RegistrationStatus(before["status"])
    end = RegistrationStatus(after["status"])
    ended = end in (S.CANCELLED, S.WAITLISTED) and start in SEAT_STATUSES
    was_confirmed = start == S.CONFIRMED
    return FollowUp(
        frees_seat=ended,
        refund_card_payment=end == S.CANCELLED and after["payer"] == "card" and after["amount_paid_cents"] > 0,
        district_charge_ends=ended and was_confirmed and after["payer"] == "district",
        invite="request" if end == S.CONFIRMED else ("cancel" if was_confirmed else None),
        email=_EMAILS.get((kind, end)),
    )


async def _next_waitlist_rank(offering_id: int) -> int:
    last = (
        await Registration.select(Registration.waitlist_rank)
        .where((Registration.offering == offering_id) & (Registration.status == S.WAITLISTED.value))
        .order_by(Registration.waitlist_rank, ascending=False)
        .first()
    )
    return (last["waitlist_rank"] + 1) if last and last["waitlist_rank"] is not None else 1


def _fields_for(
    to: RegistrationStatus, now: dt.datetime, hold_expires_at: dt.datetime | None, reason: str
) -> dict[str, Any]:
    """What each status requires of the other columns: a single answer instead of one per module."""
    if to in HOLD_STATUSES:
        if hold_expires_at is None:
            raise ValueError(f"a {to.value} registration needs hold_expires_at")
        return {
            "hold_expires_at": hold_expires_at,
            "waitlist_rank": None,
            "confirmed_at": None,
            "cancelled_at": None,
            "cancel_reason": "",
        }
    if to == S.CONFIRMED:
        return {
            "hold_expires_at": None,
            "waitlist_rank": None,
            "confirmed_at": now,
            "cancelled_at": None,
            "cancel_reason": "",
        }
    if to == S.WAITLISTED:  # the rank is set by the caller of this helper (the end of the list)
        return {"hold_expires_at": None, "confirmed_at": None, "cancelled_at": None, "cancel_reason": ""}
    return {"hold_expires_at": None, "waitlist_rank": None, "cancelled_at": now, "cancel_reason": reason[:300]}


async def insert_registration(
    values: dict[str, Any],
    status: str,
    *,
    now: dt.datetime,
    kind: str = "registered",
    hold_expires_at: dt.datetime | None = None,
    actor_id: int | None = None,
    note: str = "",
    last_waitlist_rank: int | None | object = ...,
) -> RegistrationRow:
    """Insert a new registration in `status` (inside the caller's locked transaction); returns the row.

    `values` are the other columns (offering, attendee, payer, amounts, ...); the status columns
    are this module's. A waiting-list place goes to the end of the offering's list: `last_waitlist_rank`
    is that end when the caller already read it under the same lock (None: the list is empty)."""
    to = RegistrationStatus(status)
    if not allowed(kind, None, to):
        raise TransitionRefused(kind, None, to)
    row = {key: value for key, value in values.items() if key not in _STATUS_COLUMNS}
    row.update(_fields_for(to, now, hold_expires_at, ""), status=to.value, created_at=values.get("created_at", now))
    if to == S.WAITLISTED:
        if last_waitlist_rank is ...:
            row["waitlist_rank"] = await _next_waitlist_rank(values["offering"])
        else:
            row["waitlist_rank"] = (last_waitlist_rank if isinstance(last_waitlist_rank, int) else 0) + 1
    registration = cast(RegistrationRow, await insert_row(Registration, row, returning="*"))
    await history.record(registration["id"], kind, to_status=to.value, actor_id=actor_id, note=note)
    return registration


_STATUS_COLUMNS = {"status", "hold_expires_at", "waitlist_rank", "confirmed_at", "cancelled_at", "cancel_reason"}


async def transition(
    registration: RegistrationRow,
    to: str,
    *,
    kind: str,
    now: dt.datetime,
    actor_id: int | None = None,
    note: str = "",
    reason: str = "",
    hold_expires_at: dt.datetime | None = None,
    add_paid_cents: int = 0,
) -> Transition:
    """Move `registration` (a row read under its offering's lock) to `to`; returns the row and the follow-up.

    `reason` is the cancel reason people read (for a change to cancelled); `note` goes to the history
    (defaults to the reason). `add_paid_cents` records a card payment that came with the change.
    The update is guarded by the status it was read in, so a change made meanwhile is refused, not overwritten."""
    start = RegistrationStatus(registration["status"])
    end = RegistrationStatus(to)
    if not allowed(kind, start, end):
        raise TransitionRefused(kind, start, end)
    if (
        kind in _FROM_CANCELLED_NEEDS_EXPIRED_HOLD
        and start == S.CANCELLED
        and not registration_hold_ran_out(registration)
    ):
        raise TransitionRefused(kind, start, end)
    values = _fields_for(end, now, hold_expires_at, reason)
    if end == S.WAITLISTED:
        values["waitlist_rank"] = await _next_waitlist_rank(registration["offering"])
    values["status"] = end.value
    if add_paid_cents:
        values["amount_paid_cents"] = registration["amount_paid_cents"] + add_paid_cents
    changed = (
        await Registration.update({getattr(Registration, name): value for name, value in values.items()})
        .where((Registration.id == registration["id"]) & (Registration.status == start.value))
        .returning(*Registration.all_columns())
    )
    if not changed:
        raise Conflict("This registration changed meanwhile; please reload and try again.", code="registration_changed")
    after = cast(RegistrationRow, changed[0])
    await history.record(
        after["id"], kind, from_status=start.value, to_status=end.value, actor_id=actor_id, note=note or reason
    )
    return Transition(after, start.value, end.value, kind, _follow_up(kind, registration, after))


# Cancel reasons written when a hold ran out: a later card payment may still take the seat.
EXPIRED_HOLD_REASONS = {
    S.OFFERED.value: "The offer of a seat was not taken up in time.",
    S.PENDING_PAYMENT.value: "The payment was not completed in time.",
    S.PENDING_APPROVAL.value: "The approval was not given in time.",
}


def registration_hold_ran_out(registration: Mapping[str, Any]) -> bool:
    return registration["cancel_reason"] in EXPIRED_HOLD_REASONS.values()


def what_the_attendee_may_do(registration: Mapping[str, Any], now: dt.datetime) -> AttendeeMay:
    """The status's label and what the person may do, for templates (which never compare status strings)."""
    status = RegistrationStatus(registration["status"])
    expires = registration.get("hold_expires_at")
    hold_live = status in HOLD_STATUSES and expires is not None and expires > now
    hold_expired = status in HOLD_STATUSES and not hold_live
    return {
        "status_label": status.label,
        "is_confirmed": status == S.CONFIRMED,
        "is_waitlisted": status == S.WAITLISTED,
        "is_cancelled": status == S.CANCELLED,
        "is_offered": status == S.OFFERED and hold_live,
        "awaits_payment": status == S.PENDING_PAYMENT and hold_live,
        "awaits_approval": status == S.PENDING_APPROVAL and hold_live,
        "hold_expired": hold_expired,
        "has_ended": status == S.CANCELLED or hold_expired,
        # a live seat (or hold) belongs on the person's calendar
        "on_calendar": status in SEAT_STATUSES and not hold_expired,
        "can_pay": status in (S.PENDING_PAYMENT, S.OFFERED) and hold_live and registration.get("payer") == "card",
    }
