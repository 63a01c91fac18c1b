"""The foundation's scholarship fund for Sly Park: a budget per season, coordinators' requests with staff's
decisions, and what the fund pays per booking once the balance is billed on actual numbers."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import District, School, User
from booking.slypark.tables import Booking, Season

# asked: waiting for staff; awarded: all or part of what was asked; declined: none.
SCHOLARSHIP_REQUEST_STATUSES = ("asked", "awarded", "declined")
# owed: waiting for the district's invoice; invoiced: on it; paid: the invoice is paid; cancelled: credited
# without being owed again. The same words as a booking's charges (payments.charge_lines.mark_charge_sources).
SCHOLARSHIP_CHARGE_STATUSES = ("owed", "invoiced", "paid", "cancelled")


class ScholarshipFund(Table, tablename="slypark_scholarship_fund"):
    """One fund per season; its row is the lock every award takes, so awards together never pass the budget."""

    season = ForeignKey(references=Season, null=False, unique=True)
    budget_cents = Integer(default=0)
    updated_by = ForeignKey(references=User, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ScholarshipRequest(Table, tablename="slypark_scholarship_request"):
    id: Serial  # piccolo adds the primary key itself; declared for the type checker
    fund = ForeignKey(references=ScholarshipFund, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    district = ForeignKey(references=District, null=False, index=True)
    school = ForeignKey(references=School, null=False)
    asked_by = ForeignKey(references=User, null=True)
    students = Integer(required=True)
    full_fee = Boolean(default=False)
    amount_each_cents = Integer(default=0)  # asked per student when not the full fee
    reason = Text(default="")
    status = Varchar(length=10, default="asked", index=True)
    awarded_students = Integer(default=0)
    awarded_each_cents = Integer(default=0)  # fixed at the decision: the season's price for a full fee
    awarded_cents = Integer(default=0)
    decision_note = Text(default="")
    decided_by = ForeignKey(references=User, null=True)
    decided_at = Timestamptz(null=True, default=None)
    asked_at = Timestamptz(default=TimestamptzNow())


class ScholarshipCharge(Table, tablename="slypark_scholarship_charge"):
    """The fund's side: what it pays for a booking, settled on actual numbers with the balance.

    The district's invoice shows the same amount as a negative line (payments.charge_lines, source "scholarship")."""

    request = ForeignKey(references=ScholarshipRequest, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    students = Integer(required=True)
    amount_cents = Integer(required=True)
    status = Varchar(length=10, default="owed")
    created_at = Timestamptz(default=TimestamptzNow())
