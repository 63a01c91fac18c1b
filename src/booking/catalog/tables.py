"""The catalog: programs (what is taught), offerings (a scheduled run), sessions, venues and rooms."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import User

AUDIENCES = ("teacher", "para-educator", "administrator", "classified")
FORMATS = ("in_person", "virtual", "hybrid")
GRADE_BANDS = ("TK-2", "3-5", "6-8", "9-12", "TK-12", "Adult")
OFFERING_STATUSES = ("draft", "published", "cancelled", "completed")
OFFERING_KINDS = ("workshop", "cohort")
ATTENDANCE_RULES = ("all_sessions", "min_hours")


class Program(Table, tablename="program"):
    title = Varchar(length=200, required=True)
    summary = Varchar(length=500, default="")
    description_md = Text(default="")
    # Multi-valued, stored ",teacher,para-educator," so one LIKE works on both engines.
    audiences = Varchar(length=200, default="")
    subject = Varchar(length=100, default="", index=True)
    grade_band = Varchar(length=20, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Venue(Table, tablename="venue"):
    name = Varchar(length=200, unique=True, required=True)
    address = Varchar(length=300, default="")
    is_active = Boolean(default=True)


class Room(Table, tablename="room"):
    venue = ForeignKey(references=Venue, null=False, index=True)
    name = Varchar(length=100, required=True)
    capacity = Integer(default=0)


class Offering(Table, tablename="offering"):
    """A scheduled run of a program, with its own capacity, prices, window and rules."""

    kind = Varchar(length=20, default="workshop", index=True)
    program = ForeignKey(references=Program, null=False, index=True)
    title = Varchar(length=200, required=True)
    description_md = Text(default="")
    format = Varchar(length=20, default="in_person")
    pd_hours_tenths = Integer(default=0)  # 6.5 PD hours = 65: exact, no floats
    capacity = Integer(required=True)
    price_cents = Integer(default=0)  # member-district rate; 0 = free
    nonmember_price_cents = Integer(null=True, default=None)  # None: same as price_cents
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    cancellation_deadline = Timestamptz(null=True, default=None)
    status = Varchar(length=20, default="draft", index=True)
    attendance_rule = Varchar(length=20, default="all_sessions")
    min_attendance_tenths = Integer(default=0)  # for "min_hours"
    facilitators = Varchar(length=500, default="")  # names as shown to attendees
    copied_from = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OfferingFacilitator(Table, tablename="offering_facilitator"):
    """A facilitator who is a person on the platform, so double-booking can be detected."""

    offering = ForeignKey(references=Offering, null=False, index=True)
    user = ForeignKey(references=User, null=False, index=True)


class OfferingSession(Table, tablename="offering_session"):
    """One meeting of an offering. `sequence` grows with every change calendars must pick up."""

    offering = ForeignKey(references=Offering, null=False, index=True)
    starts_at = Timestamptz(required=True, index=True)
    ends_at = Timestamptz(required=True)
    room = ForeignKey(references=Room, null=True, index=True)
    online_url = Varchar(length=500, default="")
    location_note = Varchar(length=300, default="")
    status = Varchar(length=20, default="scheduled")  # scheduled | cancelled
    sequence = Integer(default=0)


class ScheduleOverride(Table, tablename="schedule_override"):
    """Staff chose to schedule despite a warning (room double-booked, too small, facilitator busy)."""

    session = ForeignKey(references=OfferingSession, null=False, index=True)
    warning_code = Varchar(length=40, required=True)
    detail = Varchar(length=500, default="")
    reason = Varchar(length=500, required=True)
    decided_by = ForeignKey(references=User, null=False)
    decided_at = Timestamptz(default=TimestamptzNow())
