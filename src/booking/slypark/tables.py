"""Sly Park Environmental Education Center: seasons of program weeks, requests, bookings, rosters."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import District, School, User

SEASON_STATUSES = ("draft", "requests_open", "allocating", "offers_out", "booking_open", "closed")
REQUEST_STATUSES = ("submitted", "offered", "accepted", "declined", "expired", "unplaced", "withdrawn")
# A booking holds beds while "offered" (until its deadline) and "confirmed".
BOOKING_STATUSES = ("offered", "confirmed", "released", "cancelled")
GENDERS = ("boy", "girl")
CHARGE_KINDS = ("deposit", "balance")


class Season(Table, tablename="slypark_season"):
    name = Varchar(length=100, required=True, unique=True)  # "2027-28 school year"
    status = Varchar(length=20, default="draft")
    requests_open_at = Timestamptz(null=True, default=None)
    requests_close_at = Timestamptz(null=True, default=None)
    price_per_student_cents = Integer(default=0)
    deposit_per_student_cents = Integer(default=0)
    students_per_teacher = Integer(default=12)  # ratio: at least one teacher per this many students
    students_per_cabin_leader = Integer(default=8)
    freeze_days = Integer(default=21)  # headcounts are fixed this many days before arrival
    offer_days = Integer(default=14)  # how long a coordinator has to accept an offer
    choice_weights = Varchar(length=60, default="100,70,45,25,10")
    split_penalty = Integer(default=15)
    created_at = Timestamptz(default=TimestamptzNow())


class Week(Table, tablename="slypark_week"):
    season = ForeignKey(references=Season, null=False, index=True)
    starts_on = Date(required=True)  # arrival (Monday)
    ends_on = Date(required=True)  # departure (Friday)
    boys_beds = Integer(default=0)
    girls_beds = Integer(default=0)
    cabin_size = Integer(default=12)
    closed = Boolean(default=False)
    closed_reason = Varchar(length=300, default="")


class WeekRequest(Table, tablename="slypark_request"):
    id: Serial  # piccolo adds the primary key itself; declared for the type checker
    season = ForeignKey(references=Season, null=False, index=True)
    district = ForeignKey(references=District, null=False, index=True)
    school = ForeignKey(references=School, null=False)
    submitted_by = ForeignKey(references=User, null=True)
    lead_teacher_name = Varchar(length=200, default="")
    lead_teacher_email = Varchar(length=254, default="")
    boys = Integer(default=0)
    girls = Integer(default=0)
    teachers = Integer(default=0)
    choices = Varchar(length=100, default="")  # week ids, most wanted first: "12,13,15"
    can_share = Boolean(default=True)
    can_split = Boolean(default=False)
    returning_school = Boolean(default=False)
    tier = Integer(default=1)  # 0 comes first; staff set it
    pinned_week = ForeignKey(references=Week, null=True, default=None)
    excluded = Boolean(default=False)
    status = Varchar(length=12, default="submitted", index=True)
    submitted_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AllocationRun(Table, tablename="slypark_allocation_run"):
    """One run of the solver: its settings, what it reported, and whether staff published it."""

    season = ForeignKey(references=Season, null=False, index=True)
    run_by = ForeignKey(references=User, null=True)
    run_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=12, default="")  # optimal | feasible | infeasible
    solver = Varchar(length=60, default="")
    solve_ms = Integer(default=0)
    summary = Text(default="{}")  # JSON: counts by choice met, objective, gap
    outcomes = Text(default="[]")  # JSON: per request: weeks, students in each, rank met, or the reason for none
    published_at = Timestamptz(null=True, default=None)


class Booking(Table, tablename="slypark_booking"):
    id: Serial  # piccolo adds the primary key itself; declared for the type checker
    season = ForeignKey(references=Season, null=False, index=True)
    week = ForeignKey(references=Week, null=False, index=True)
    district = ForeignKey(references=District, null=False, index=True)
    school = ForeignKey(references=School, null=False)
    request = ForeignKey(references=WeekRequest, null=True, default=None)
    status = Varchar(length=12, default="offered", index=True)
    offer_expires_at = Timestamptz(null=True, default=None)
    boys = Integer(default=0)
    girls = Integer(default=0)
    teachers = Integer(default=0)
    lead_teacher_name = Varchar(length=200, default="")
    lead_teacher_email = Varchar(length=254, default="")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    confirmed_at = Timestamptz(null=True, default=None)
    released_at = Timestamptz(null=True, default=None)
    release_reason = Varchar(length=300, default="")
    cabin_leader_code = Varchar(length=32, default="")  # in the sign-up link given to high-school volunteers


class BookingEvent(Table, tablename="slypark_booking_event"):
    """What happened to a booking, who did it and why (headcount changes, moves, releases)."""

    booking = ForeignKey(references=Booking, null=False, index=True)
    kind = Varchar(length=30, required=True)
    note = Text(default="")
    actor = ForeignKey(references=User, null=True)
    at = Timestamptz(default=TimestamptzNow())


class CabinLeader(Table, tablename="slypark_cabin_leader"):
    booking = ForeignKey(references=Booking, null=False, index=True)
    name = Varchar(length=200, required=True)
    email = Varchar(length=254, default="")
    high_school = Varchar(length=200, default="")
    gender = Varchar(length=4, required=True)
    guardian_name = Varchar(length=200, required=True)
    guardian_phone = Varchar(length=40, required=True)
    guardian_email = Varchar(length=254, default="")
    agreement_version = Varchar(length=20, required=True)
    signed_name = Varchar(length=200, required=True)
    signed_on = Date(required=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Student(Table, tablename="slypark_student"):
    booking = ForeignKey(references=Booking, null=False, index=True)
    first_name = Varchar(length=100, required=True)
    last_name = Varchar(length=100, required=True)
    gender = Varchar(length=4, required=True)
    dietary_needs = Varchar(length=500, default="")
    medical_notes = Text(default="")  # only the booking's district and staff read these
    cabin = Varchar(length=40, default="")
    hiking_group = Varchar(length=40, default="")


class BookingCharge(Table, tablename="slypark_booking_charge"):
    """A deposit or a final balance owed by the district: the line payments and invoicing take up."""

    booking = ForeignKey(references=Booking, null=False, index=True)
    kind = Varchar(length=10, required=True)
    students = Integer(required=True)
    amount_cents = Integer(required=True)
    due_on = Date(required=True)
    status = Varchar(length=10, default="owed")
    created_at = Timestamptz(default=TimestamptzNow())


class FamilyLink(Table, tablename="slypark_family_link"):
    """One student's private link to the family health form. The token in the link is
    HMAC-SHA256(BOOKING_SECRET_KEY, "family-form:<id>:<nonce>"): the coordinator's page can show it again, the
    database alone cannot make it. Reissuing marks this row replaced and makes a new one (the old link dies)."""

    booking = ForeignKey(references=Booking, null=False, index=True)
    student_key = Varchar(length=210, required=True)  # "first last", casefolded: survives the grid being saved again
    first_name = Varchar(length=100, required=True)
    last_name = Varchar(length=100, required=True)
    nonce = Varchar(length=32, required=True)
    expires_at = Timestamptz(required=True)  # the end of the week
    issued_at = Timestamptz(default=TimestamptzNow())
    replaced_at = Timestamptz(null=True, default=None)
    reminded_at = Timestamptz(null=True, default=None)
    reminders = Integer(default=0)


class FamilyForm(Table, tablename="slypark_family_form"):
    """One submission of a family's health and permission form. Every submission is kept: the latest
    version of a student is the one in force; earlier ones show what was corrected."""

    booking = ForeignKey(references=Booking, null=False, index=True)
    student_key = Varchar(length=210, required=True, index=True)
    link = ForeignKey(references=FamilyLink, null=True, default=None)
    version = Integer(required=True)  # 1, 2, ... per student of the booking
    form_version = Varchar(length=20, required=True)  # the wording the parent signed
    language = Varchar(length=10, default="en")
    first_name = Varchar(length=100, required=True)
    last_name = Varchar(length=100, required=True)
    gender = Varchar(length=4, required=True)
    date_of_birth = Date(required=True)
    allergies = Text(default="")
    dietary_needs = Text(default="")
    medications = Text(default="")
    conditions = Text(default="")
    contacts = Text(default="[]")  # JSON: [{"name", "relationship", "phone"}], at least one
    permission_to_treat = Boolean(default=False)
    permission_photos = Boolean(default=False)
    parent_name = Varchar(length=200, required=True)
    relationship = Varchar(length=60, required=True)
    signature = Varchar(length=200, required=True)
    signed_on = Date(required=True)
    submitted_at = Timestamptz(default=TimestamptzNow())
