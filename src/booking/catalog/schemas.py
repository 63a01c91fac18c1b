"""The offerings API's input and output, declared once.

`SessionIn` and `OfferingCreate` are what POST /api/v1/offerings takes; the use cases take the same Structs
(catalog.validation: `SessionInput` is `SessionIn`, and `OfferingInput` is `OfferingCreate` with the fields only
staff pages and cohort setup set), so a field is added or changed in one place and check_offering checks it for both.
The staff pages' forms take text as typed (dollars, local dates): catalog/forms.py.
"""

from __future__ import annotations

import datetime as dt

import msgspec


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    """One session: an item of the API's `sessions`, and what the use cases take (validation.SessionInput)."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: int | None = None
    online_url: str = ""
    location_note: str = ""


class OfferingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An offering as the API creates it; validation.OfferingInput adds what only the pages and cohort setup set."""

    title: str
    capacity: int
    price_cents: int = 0
    kind: str = "workshop"
    status: str = "draft"
    sessions: list[SessionIn] = []
    description_md: str = msgspec.field(default="", name="description")  # "description" in the API's JSON
    audiences: list[str] = []
    subject: str = ""
    grade_band: str = ""
    format: str = "in_person"
    pd_hours: str = "0"
    nonmember_price_cents: int | None = None
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    cancellation_deadline: dt.datetime | None = None
    facilitators: str = ""


class SessionOut(msgspec.Struct):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str | None
    venue: str | None
    online_url: str


class OfferingOut(msgspec.Struct):
    id: int
    kind: str
    title: str
    status: str
    capacity: int
    confirmed_count: int
    held_count: int
    waitlist_count: int
    seats_left: int
    price_cents: int
    nonmember_price_cents: int | None
    pd_hours: float
    format: str
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    cancellation_deadline: dt.datetime | None
    sessions: list[SessionOut]
