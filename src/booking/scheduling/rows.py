"""The rows scheduling's queries return, as TypedDicts: what a registration row holds, by name and type.

They are the return types of the query functions (Piccolo's `select()` returns plain dicts with these
keys; nothing is converted at run time), so a reader, and later a type checker, sees what a function
hands over instead of `dict`.

- `RegistrationRow`: a registration as `Registration.select()` (or `.returning(*Registration.all_columns())`)
  reads it: every column, foreign keys as ids. What registering, the lifecycle, cancelling, the waiting
  list, approvals and the API pass around.
- `AttendeeMay`: the status's label and what the person may do with it (registration_lifecycle).
- `LearningRow`: a registration on "My learning", the registration page and the workshop page.
- `ApprovalRow`: a registration on a coordinator's approvals page.
- `RosterRow`: a line of an offering's roster (staff page and API).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NotRequired, TypedDict


class RegistrationRow(TypedDict):
    id: int
    offering: int
    attendee: int
    registered_by: int | None
    status: str  # a RegistrationStatus value
    payer: str  # "free" | "card" | "district"
    po_number: str
    amount_cents: int
    amount_paid_cents: int
    hold_expires_at: dt.datetime | None
    waitlist_rank: int | None
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    pd_hours_awarded_tenths: int | None
    completed_at: dt.datetime | None
    certificate_code: str | None
    calendar_invited: bool


class AttendeeMay(TypedDict):
    status_label: str
    is_confirmed: bool
    is_waitlisted: bool
    is_cancelled: bool
    is_offered: bool
    awaits_payment: bool
    awaits_approval: bool
    hold_expired: bool
    has_ended: bool
    on_calendar: bool  # a live seat (or hold) belongs on the person's calendar
    can_pay: bool


class LearningRow(RegistrationRow, AttendeeMay):
    """my_learning.REGISTRATION_COLUMNS, decorated by my_learning._decorate."""

    offering_title: str
    offering_status: str
    offering_kind: str
    offering_format: str
    pd_hours_tenths: int | None
    cancellation_deadline: dt.datetime | None
    attendee_name: str
    attendee_email: str
    sessions: list[dict[str, Any]]  # the offering's sessions (catalog's rows), in order
    hold_live: bool
    deadline_passed: bool
    can_cancel: bool
    is_over: bool
    offering_path: str  # /workshops/{id} or /cohorts/{id}
    waitlist_position: NotRequired[int | None]
    is_self: NotRequired[bool]  # registration_details: the actor is the attendee
    warnings: NotRequired[list[str]]  # registration_details: overlaps with the person's other workshops


class ApprovalRow(TypedDict):
    """approvals.APPROVAL_COLUMNS, decorated by approvals._decorate."""

    id: int
    offering: int
    attendee: int
    status: str
    payer: str
    po_number: str
    amount_cents: int
    hold_expires_at: dt.datetime | None
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    offering_title: str
    attendee_name: str
    attendee_email: str
    school_name: str | None
    expired: bool
    awaits_decision: bool
    can_decide: bool
    was_approved: bool
    was_declined: bool
    first_session: dict[str, Any] | None  # the offering's first session (catalog's row)


class RosterRow(TypedDict):
    """roster.roster(): the API's RosterEntry fields, and what the staff page shows and allows."""

    registration_id: int
    attendee_id: int
    name: str
    email: str
    district: str | None
    status: str
    waitlist_position: int | None
    status_label: str
    is_confirmed: bool
    is_waitlisted: bool
    payer: str
    created_at: dt.datetime


class RosterOverviewRow(RosterRow):
    """attendance.roster_overview(): a roster line with the attendance so far and the PD hours rule's verdict."""

    present: int  # sessions present
    attended_tenths: int
    rule_met: bool
    awarded_tenths: int | None
