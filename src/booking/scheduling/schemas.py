from __future__ import annotations

import datetime as dt

import msgspec


class AttendeeIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    name: str = ""


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    attendee: AttendeeIn | None = None
    payer: str | None = None
    po_number: str = ""


class RegistrationOut(msgspec.Struct):
    id: int
    offering_id: int
    attendee_id: int
    status: str
    waitlist_position: int | None
    checkout_url: str | None
    payer: str
    amount_cents: int
    amount_paid_cents: int
    hold_expires_at: dt.datetime | None
    created_at: dt.datetime
    warnings: list[str] = []


class RosterEntry(msgspec.Struct):
    registration_id: int
    attendee_id: int
    name: str
    email: str
    district: str | None
    status: str
    waitlist_position: int | None
    payer: str
    created_at: dt.datetime
