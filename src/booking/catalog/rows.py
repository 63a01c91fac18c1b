"""The rows catalog's queries return, as TypedDicts: what the keys of an offering or a session are.

Piccolo's `select` gives plain dicts; these name their keys and types for readers (and type checkers). The
queries build them (catalog.offerings: OFFERING_COLUMNS, SESSION_COLUMNS) and the use cases add keys in
steps, each step a row type of its own:

* `SessionRow`: one session with its room and venue (offerings.sessions_of, sessions.get_session);
* `OfferingColumns`: an offering's columns with its program's audiences, subject and grade band;
* `OfferingRow`: plus its scheduled sessions (offerings.get_offering, list_offerings);
* `WorkshopRow`: an offering as the public catalog shows it: seats, state, price (browsing);
* `StaffListRow`: a line of the staff's list of offerings (overview.staff_offerings);
* `StaffOfferingRow`: an offering's staff page (overview.offering_for_staff).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from booking.catalog.browsing import RegistrationState
    from booking.scheduling.capacity import SeatCounts


class SessionRow(TypedDict):
    id: int
    offering: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: int | None
    online_url: str
    location_note: str
    status: str  # scheduled | cancelled
    sequence: int
    room_name: str | None
    venue_name: str | None
    venue_address: str | None


class OfferingColumns(TypedDict):
    id: int
    kind: str  # workshop | cohort
    program: int
    title: str
    description_md: str
    format: str
    pd_hours_tenths: int
    capacity: int
    price_cents: int
    nonmember_price_cents: int | None
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    cancellation_deadline: dt.datetime | None
    status: str
    attendance_rule: str
    min_attendance_tenths: int
    facilitators: str
    copied_from: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    audiences: str  # stored ",teacher,para-educator,"; decode with validation.decode_audiences
    subject: str
    grade_band: str


class OfferingRow(OfferingColumns):
    sessions: list[SessionRow]  # scheduled ones, soonest first


class WorkshopRow(OfferingRow):
    audience_list: list[str]
    state: RegistrationState
    counts: SeatCounts
    price: int  # cents, for this viewer
    price_for: str | None  # the viewer's district, when the price is theirs
    other_price: int | None  # the non-member rate, shown beside the member one to people not signed in


class WorkshopPageRow(WorkshopRow):
    viewer_district: dict[str, Any] | None


class StaffListRow(OfferingColumns):
    first_starts_at: dt.datetime | None
    last_ends_at: dt.datetime | None
    session_count: int
    counts: SeatCounts
    fill_rate: int
    is_past: bool


class StaffOfferingRow(OfferingRow):
    audience_list: list[str]
    all_sessions: list[SessionRow]  # cancelled ones too
    counts: SeatCounts
    fill_rate: int
    facilitator_ids: list[int]
    overrides: list[dict[str, Any]]
    refunds_due: int
    paid_registrations: int
    copied_from_title: str | None
