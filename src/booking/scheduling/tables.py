"""Registrations, their history, and attendance."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import User
from booking.catalog.tables import Offering, OfferingSession

# The statuses, their labels and the changes allowed between them: scheduling/registration_lifecycle.py.
PAYERS = ("free", "card", "district")


class Registration(Table, tablename="registration"):
    id: Serial  # piccolo adds the primary key itself; declared for the type checker
    offering = ForeignKey(references=Offering, null=False, index=True)
    attendee = ForeignKey(references=User, null=False, index=True)
    registered_by = ForeignKey(references=User, null=True)
    status = Varchar(length=20, required=True, index=True)  # written only by scheduling/registration_lifecycle.py
    payer = Varchar(length=10, default="free")
    po_number = Varchar(length=60, default="")
    amount_cents = Integer(default=0)  # the price when registering: a snapshot
    amount_paid_cents = Integer(default=0)
    hold_expires_at = Timestamptz(null=True, default=None)
    waitlist_rank = Integer(null=True, default=None)  # order on the waiting list; position is derived
    created_at = Timestamptz(default=TimestamptzNow())
    confirmed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Varchar(length=300, default="")
    pd_hours_awarded_tenths = Integer(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    certificate_code = Varchar(length=40, null=True, default=None, unique=True)
    # An invite (METHOD:REQUEST) went out for this seat: only then do updates and cancels follow it.
    calendar_invited = Boolean(default=False)


class RegistrationEvent(Table, tablename="registration_event"):
    """What happened to a registration, by whom and why (reorders carry their reason here)."""

    registration = ForeignKey(references=Registration, null=False, index=True)
    kind = Varchar(length=30, required=True)
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    actor = ForeignKey(references=User, null=True)
    note = Text(default="")
    at = Timestamptz(default=TimestamptzNow())


class Attendance(Table, tablename="attendance"):
    session = ForeignKey(references=OfferingSession, null=False, index=True)
    registration = ForeignKey(references=Registration, null=False, index=True)
    status = Varchar(length=10, required=True)  # present | absent | excused
    recorded_by = ForeignKey(references=User, null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


FEED_SCOPES = ("person", "venue", "room", "program")


class CalendarFeed(Table, tablename="calendar_feed"):
    """A private calendar subscription: a person's own bookings, or (staff) a venue, room or program.

    The URL's token is derived from `nonce` with BOOKING_SECRET_KEY, so the page can show it again;
    only its SHA-256 is looked up. Regenerating draws a new nonce; revoking stamps `revoked_at`.
    """

    owner = ForeignKey(references=User, null=False, index=True)
    scope = Varchar(length=10, required=True)
    scope_id = Integer(null=True, default=None)  # the venue, room or program; None for "person"
    nonce = Varchar(length=64, required=True)
    token_hash = Varchar(length=64, required=True, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    # The fingerprint of what the feed last served and when that first changed: ETag and Last-Modified.
    content_etag = Varchar(length=80, default="")
    content_changed_at = Timestamptz(null=True, default=None)
    last_fetched_at = Timestamptz(null=True, default=None)


class OfferingMessage(Table, tablename="offering_message"):
    """An email staff sent to an offering's registrants: kept as the offering's history of messages."""

    offering = ForeignKey(references=Offering, null=False, index=True)
    audience = Varchar(length=20, required=True)  # confirmed | waiting | absent
    session = ForeignKey(references=OfferingSession, null=True)  # the session of "absent"
    subject = Varchar(length=200, required=True)
    body = Text(required=True)
    recipients = Integer(default=0)
    sent_by = ForeignKey(references=User, null=True)
    sent_at = Timestamptz(default=TimestamptzNow())
