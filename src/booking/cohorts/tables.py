"""Cohort programs (Leadership Institute, Induction, Intern): applications, documents, make-ups, tuition.

A cohort is an Offering of kind "cohort" (catalog), so its sessions, attendance, calendars and
registrations are the workshops' own machinery; these tables hold what only cohorts have.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Bytea, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import District, User
from booking.catalog.tables import Offering, OfferingSession, Program
from booking.scheduling.tables import Registration

APPLICATION_STATUSES = ("draft", "submitted", "under_review", "accepted", "waitlisted", "declined", "withdrawn")
OPEN_FOR_REVIEW = ("submitted", "under_review")
QUESTION_KINDS = ("yes_no", "choice", "number", "text")
TUITION_PAYERS = ("participant", "district")
SUPERVISOR_RESPONSES = ("", "confirmed", "declined")
INSTALMENT_STATUSES = ("owed", "invoiced", "paid", "cancelled")


class CohortSettings(Table, tablename="cohort_settings"):
    """What a cohort has beyond an offering: required hours and how tuition may be paid."""

    offering = ForeignKey(references=Offering, null=False, unique=True)
    required_hours_tenths = Integer(default=0)
    instalment_options = Varchar(length=40, default="1")  # e.g. "1,4,10": numbers of payments a participant may choose
    first_payment_due = Date(null=True, default=None)  # instalments fall monthly from here


class ProgramQuestion(Table, tablename="program_question"):
    """An eligibility question staff ask applicants to every cohort of a program."""

    program = ForeignKey(references=Program, null=False, index=True)
    position = Integer(default=0)
    prompt = Varchar(length=300, required=True)
    kind = Varchar(length=10, required=True)
    choices = Text(default="")  # one per line, for "choice"
    required = Boolean(default=True)
    is_active = Boolean(default=True)  # a retired question stays readable on old applications


class CohortApplication(Table, tablename="cohort_application"):
    id: Serial  # piccolo adds the primary key itself; declared for the type checker
    cohort = ForeignKey(references=Offering, null=False, index=True)
    applicant = ForeignKey(references=User, null=False, index=True)
    status = Varchar(length=20, default="draft", index=True)
    answers = Text(default="{}")  # JSON: {"<question id>": "answer"}
    county = Varchar(length=40, default="")  # county of employment
    in_county = Boolean(default=False)  # employed in Sacramento County: reviewed first
    supervisor_name = Varchar(length=200, default="")
    supervisor_email = Varchar(length=254, default="")
    supervisor_nonce = Varchar(length=32, default="")  # a new one per link sent; links carry it
    supervisor_link_sent_at = Timestamptz(null=True, default=None)
    supervisor_response = Varchar(length=10, default="")
    supervisor_comment = Text(default="")
    supervisor_responded_at = Timestamptz(null=True, default=None)
    payer = Varchar(length=12, default="participant")
    instalments = Integer(default=1)
    po_number = Varchar(length=60, default="")
    district = ForeignKey(references=District, null=True, default=None)  # who is invoiced when the district pays
    waitlist_rank = Integer(null=True, default=None)
    decision_message = Text(default="")
    decided_by = ForeignKey(references=User, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    registration = ForeignKey(references=Registration, null=True, default=None)  # the seat, once accepted
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ApplicationDocument(Table, tablename="application_document"):
    application = ForeignKey(references=CohortApplication, null=False, index=True)
    label = Varchar(length=100, required=True)
    filename = Varchar(length=200, required=True)
    content_type = Varchar(length=60, required=True)
    size = Integer(required=True)
    sha256 = Varchar(length=64, required=True)
    content = Bytea(required=True)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class MakeupAssignment(Table, tablename="makeup_assignment"):
    """Work that makes up a missed session; its hours count toward the program once staff accept it."""

    registration = ForeignKey(references=Registration, null=False, index=True)
    session = ForeignKey(references=OfferingSession, null=False, index=True)
    description = Text(required=True)
    hours_tenths = Integer(default=0)
    due_on = Date(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    verified_by = ForeignKey(references=User, null=True, default=None)
    created_by = ForeignKey(references=User, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class TuitionInstalment(Table, tablename="tuition_instalment"):
    """One payment of a participant's tuition, owed on a date: the line payments and invoicing take up."""

    application = ForeignKey(references=CohortApplication, null=False, index=True)
    registration = ForeignKey(references=Registration, null=True, default=None, index=True)
    number = Integer(required=True)  # 1..n
    of_count = Integer(required=True)
    due_on = Date(required=True)
    amount_cents = Integer(required=True)
    payer = Varchar(length=12, required=True)
    payer_user = ForeignKey(references=User, null=True, default=None)
    district = ForeignKey(references=District, null=True, default=None)
    po_number = Varchar(length=60, default="")
    status = Varchar(length=10, default="owed", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class FieldworkEntry(Table, tablename="fieldwork_entry"):
    """Hours outside the sessions that count toward the program: fieldwork, coaching, mentoring.

    Staff record them from the participant's signed log, so every counted hour has a name behind it.
    """

    registration = ForeignKey(references=Registration, null=False, index=True)
    worked_on = Date(required=True)
    hours_tenths = Integer(required=True)
    description = Varchar(length=300, required=True)
    recorded_by = ForeignKey(references=User, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
