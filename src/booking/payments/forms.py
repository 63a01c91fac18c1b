"""The payments pages' forms, one msgspec Struct each, read with `booking.web.forms.read_form`.

The Structs check the shape of what a form sends (text, ticked boxes, repeated fields); what the
values mean (an amount, a day, a district, a reason long enough) stays with the use cases and
their messages. Text fields take anything the input boundary lets through (`AnyText`): the pages
cut what they echo back where they always did, and the use cases say "too long" in their own words.

Two forms also carry a grid whose field names are built from ids (`line_<id>` on the credit-note
form, `apply_<id>` on the payment form): their handlers read that part from the raw form.
"""

from __future__ import annotations

import msgspec

from booking.web.forms import AnyText, Form

# --- /finance/card-payments and /finance/settings ------------------------------------------


class RefundEntry(Form):
    """POST /finance/card-payments/{id}/refunds."""

    amount: AnyText
    reason: AnyText


class LatePaymentSettingEntry(Form):
    """POST /finance/settings/payments."""

    late_payment: AnyText


# --- /finance/cancelled-seats --------------------------------------------------------------


class CancelledSeatsCreditEntry(Form):
    """POST /finance/cancelled-seats/{invoice_id}/credit: the ticked seats, none for every seat of the invoice."""

    line: list[AnyText]


class CancelledSeatsSettingEntry(Form):
    """POST /finance/cancelled-seats/setting."""

    cancelled_after_invoicing: AnyText


# --- /finance/invoices and /finance/charges ------------------------------------------------


class InvoiceIssueEntry(Form):
    """POST /finance/invoices and POST /finance/charges/po (the same form, two buttons)."""

    district: AnyText
    from_: AnyText = msgspec.field(name="from")
    to: AnyText
    booking: AnyText
    period_label: AnyText
    po_number: AnyText
    acknowledge: bool
    line: list[AnyText]


class CreditNoteEntry(Form):
    """POST /finance/invoices/{id}/credit-notes: the reason; the per-line amounts (`line_<id>`) are a grid."""

    reason: AnyText


class VoidEntry(Form):
    """POST /finance/invoices/{id}/void."""

    reason: AnyText
    reopen: bool


class ApplyCreditEntry(Form):
    """POST /finance/invoices/{id}/apply-credit: an amount, or empty for as much as covers the invoice."""

    amount: AnyText


# --- /finance/payments ---------------------------------------------------------------------


class PaymentEntry(Form):
    """POST /finance/payments: a check or ACH payment; the amounts to apply (`apply_<invoice id>`) are a grid."""

    district: AnyText
    method: AnyText
    amount: AnyText
    received_on: AnyText
    reference: AnyText
    note: AnyText
    action: AnyText  # the button: "show" (open invoices), "fill" (oldest first) or "" (record)


class AllocationEntry(Form):
    """POST /finance/payments/{id}/allocations."""

    invoice: AnyText
    amount: AnyText


# --- /district/purchase-orders -------------------------------------------------------------


class PurchaseOrderEntry(Form):
    """POST /district/purchase-orders (add) and POST /district/purchase-orders/{id}/edit (correct)."""

    number: AnyText
    description: AnyText
    not_to_exceed: AnyText
    valid_from: AnyText
    valid_until: AnyText
