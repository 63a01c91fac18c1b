"""Money: charge lines, invoices and credit notes, purchase orders, payments received, card payments.

Issued documents (invoices, credit notes and their lines) are immutable: the database refuses an
UPDATE on them (triggers in the migrations). What changes over time is derived from rows that are
only ever added: allocations of payments, credit notes, refunds.
"""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from booking.accounts.tables import District, User
from booking.cohorts.tables import TuitionInstalment
from booking.scheduling.tables import Registration

PROGRAMS = ("workshop", "cohort", "slypark")
# scholarship: what the foundation's fund pays for a Sly Park booking, a negative line on the district's invoice.
CHARGE_SOURCES = ("registration", "tuition", "slypark", "scholarship")
# open: waiting to be invoiced; invoiced: on an issued invoice; withdrawn: its source was cancelled
# before invoicing; credited: its invoice was voided and the charge either re-opened as a new line or dropped.
CHARGE_LINE_STATUSES = ("open", "invoiced", "withdrawn", "credited")
PAYMENT_METHODS = ("check", "ach", "card")
CARD_PAYMENT_STATUSES = ("created", "open", "paid", "expired", "failed")
REFUND_STATUSES = ("requested", "pending", "succeeded", "failed")


class PurchaseOrder(Table, tablename="purchase_order"):
    """A district's PO: the number its payables office needs on every invoice, with an optional ceiling."""

    district = ForeignKey(references=District, null=False, index=True)
    number = Varchar(length=60, required=True)
    description = Varchar(length=300, default="")
    not_to_exceed_cents = Integer(null=True, default=None)
    valid_from = Date(null=True, default=None)
    valid_until = Date(null=True, default=None)
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class Invoice(Table, tablename="invoice"):
    """An issued invoice: a snapshot, never edited. Paid and credited amounts are derived."""

    number = Varchar(length=24, unique=True, required=True)
    fiscal_year = Varchar(length=7, required=True)
    sequence = Integer(required=True)
    district = ForeignKey(references=District, null=False, index=True)
    purchase_order = ForeignKey(references=PurchaseOrder, null=True, default=None)
    po_number = Varchar(length=60, default="")
    bill_to = Text(default="")  # JSON snapshot: name, contact, email, address lines
    period_label = Varchar(length=120, default="")
    issued_at = Timestamptz(required=True)
    issued_on = Date(required=True)
    due_on = Date(required=True)
    total_cents = Integer(required=True)
    issued_by = ForeignKey(references=User, null=True)


class ChargeLine(Table, tablename="charge_line"):
    """Something a district owes: a district-billed seat, a tuition instalment, a Sly Park deposit or balance."""

    id: Serial  # piccolo adds the primary key itself; declared for the type checker

    district = ForeignKey(references=District, null=False, index=True)
    source_kind = Varchar(length=16, required=True)
    source_id = Integer(required=True)
    program = Varchar(length=12, required=True)
    description = Varchar(length=300, required=True)
    detail = Varchar(length=300, default="")
    service_date = Date(required=True)
    amount_cents = Integer(required=True)
    po_number = Varchar(length=60, default="")
    status = Varchar(length=10, default="open", index=True)
    invoice = ForeignKey(references=Invoice, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)
    close_reason = Varchar(length=300, default="")


class InvoiceLine(Table, tablename="invoice_line"):
    invoice = ForeignKey(references=Invoice, null=False, index=True)
    charge_line = ForeignKey(references=ChargeLine, null=False, unique=True)  # no charge on two invoices
    position = Integer(required=True)
    program = Varchar(length=12, required=True)
    description = Varchar(length=300, required=True)
    detail = Varchar(length=300, default="")
    service_date = Date(required=True)
    po_number = Varchar(length=60, default="")
    amount_cents = Integer(required=True)


class CreditNote(Table, tablename="credit_note"):
    """A correction or cancellation of an issued invoice, with its own number; also immutable."""

    number = Varchar(length=24, unique=True, required=True)
    fiscal_year = Varchar(length=7, required=True)
    sequence = Integer(required=True)
    invoice = ForeignKey(references=Invoice, null=False, index=True)
    district = ForeignKey(references=District, null=False, index=True)
    kind = Varchar(length=10, required=True)  # correction | void
    reason = Text(required=True)
    amount_cents = Integer(required=True)
    issued_at = Timestamptz(required=True)
    issued_on = Date(required=True)
    issued_by = ForeignKey(references=User, null=True)


class CreditNoteLine(Table, tablename="credit_note_line"):
    credit_note = ForeignKey(references=CreditNote, null=False, index=True)
    invoice_line = ForeignKey(references=InvoiceLine, null=False, index=True)
    description = Varchar(length=300, required=True)
    amount_cents = Integer(required=True)


class DocumentCounter(Table, tablename="document_counter"):
    """The last number used per kind of document and fiscal year; its row lock makes numbering gapless."""

    kind = Varchar(length=12, required=True)
    fiscal_year = Varchar(length=7, required=True)
    last_value = Integer(default=0)


class CardPayment(Table, tablename="card_payment"):
    """One Stripe Checkout Session: for a registration's fee, a participant's tuition payment or a district's invoice."""

    id: Serial  # piccolo adds the primary key itself; declared for the type checker

    purpose = Varchar(length=12, required=True)  # registration | tuition | invoice
    registration = ForeignKey(references=Registration, null=True, default=None, index=True)
    invoice = ForeignKey(references=Invoice, null=True, default=None, index=True)
    instalment = ForeignKey(references=TuitionInstalment, null=True, default=None, index=True)
    district = ForeignKey(references=District, null=True, default=None)
    payer = ForeignKey(references=User, null=True)
    description = Varchar(length=300, default="")
    amount_cents = Integer(required=True)
    currency = Varchar(length=3, default="usd")
    status = Varchar(length=10, default="created", index=True)
    checkout_session_id = Varchar(length=255, null=True, default=None, unique=True)
    checkout_url = Text(default="")
    payment_intent_id = Varchar(length=255, null=True, default=None)
    amount_refunded_cents = Integer(default=0)
    outcome = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)


class PaymentReceived(Table, tablename="payment_received"):
    """Money a district paid: a check, an ACH transfer or a card payment on an invoice."""

    district = ForeignKey(references=District, null=False, index=True)
    method = Varchar(length=8, required=True)
    amount_cents = Integer(required=True)
    received_on = Date(required=True)
    reference = Varchar(length=80, default="")
    note = Varchar(length=300, default="")
    card_payment = ForeignKey(references=CardPayment, null=True, default=None, unique=True)
    recorded_by = ForeignKey(references=User, null=True)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Allocation(Table, tablename="payment_allocation"):
    """Part of a payment applied to an invoice. Negative rows give money back to the district's credit."""

    payment = ForeignKey(references=PaymentReceived, null=False, index=True)
    invoice = ForeignKey(references=Invoice, null=False, index=True)
    amount_cents = Integer(required=True)
    note = Varchar(length=300, default="")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Refund(Table, tablename="card_refund"):
    """A refund of a card payment, followed from the request to Stripe's final answer."""

    card_payment = ForeignKey(references=CardPayment, null=False, index=True)
    amount_cents = Integer(required=True)
    reason = Varchar(length=300, default="")
    status = Varchar(length=10, default="requested", index=True)
    stripe_refund_id = Varchar(length=255, null=True, default=None, unique=True)
    attempts = Integer(default=0)
    failure_message = Varchar(length=300, default="")
    requested_by = ForeignKey(references=User, null=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class StripeEvent(Table, tablename="stripe_event"):
    """Every verified webhook event, stored under Stripe's id and processed once."""

    stripe_id = Varchar(length=255, unique=True, required=True)
    type = Varchar(length=100, required=True)
    payload = Text(required=True)
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=300, default="")


class PaymentSetting(Table, tablename="payment_setting"):
    """Finance's choices, e.g. what happens to a card payment that arrives after its hold expired."""

    key = Varchar(length=40, unique=True, required=True)
    value = Varchar(length=200, required=True)
    updated_by = ForeignKey(references=User, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())
