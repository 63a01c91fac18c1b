"""Finance and staff pages for card payments: /finance/card-payments (every card payment, newest first,
filtered by status), /finance/card-payments/{id} (one payment with its refunds and a refund form) and
/finance/settings/payments (what happens to a card payment that arrives after its seat went to someone else).

Thin handlers: parse the form, call one use case (refunds.request_refund then refunds.submit_refund after its
commit; policy.set_late_payment_policy), render. The two read functions below are this page's queries, kept
out of the controller; they are for finance and staff only, like the routes that call them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.clock import to_local
from booking.errors import Conflict, InvalidInput
from booking.money import parse_amount, plain_amount
from booking.payments import policy
from booking.payments.card_payments import LIST_LIMIT, card_payment_with_refunds, card_payments
from booking.payments.forms import LatePaymentSettingEntry, RefundEntry
from booking.payments.refunds import request_refund, submit_refund
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect

finance_and_staff = roles("finance", "staff")

PAYMENT_STATUS_LABELS = {
    "created": "Started",
    "open": "Waiting for the payer",
    "paid": "Paid",
    "expired": "Abandoned (expired)",
    "failed": "Could not start",
}
REFUND_STATUS_LABELS = {
    "requested": "Requested",
    "pending": "Sent to Stripe",
    "succeeded": "Refunded",
    "failed": "Failed",
}
PURPOSE_LABELS = {"registration": "Workshop fee", "tuition": "Tuition", "invoice": "District invoice"}
DONE = {
    "refund-sent": "The refund is sent to Stripe. It shows as Refunded once the bank confirms it, usually within days.",
    "refund-requested": "The refund is recorded but Stripe did not answer yet; it is sent again automatically.",
    "refund-failed": "Stripe refused the refund. The reason is in the list of refunds below.",
    "settings-saved": "The payment settings are saved.",
}


# --- Pages ----------------------------------------------------------------------------------


@dataclass
class RefundForm:
    values: dict = field(default_factory=lambda: {"amount": "", "reason": ""})
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def local_time(moment) -> str:
    return to_local(moment).strftime("%b %-d, %Y %-I:%M %p") if moment else ""


PRESENTATION = {
    "payment_status_labels": PAYMENT_STATUS_LABELS,
    "refund_status_labels": REFUND_STATUS_LABELS,
    "purpose_labels": PURPOSE_LABELS,
    "local_time": local_time,
}


def _done_notice(request: Request) -> dict:
    message = DONE.get(request.query_params.get("notice") or "")
    return {"notice": message} if message else {}


class CardPaymentsController(Controller):
    path = "/finance"
    guards = [finance_and_staff]
    include_in_schema = False

    @get("/card-payments", name="payments.card_payments")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        wanted = request.query_params.get("status") or ""
        status = wanted if wanted in PAYMENT_STATUS_LABELS else ""
        payments = await card_payments(actor, status or None)
        return page(
            request,
            "payments/card_payments.html",
            payments=payments,
            selected_status=status,
            limit=LIST_LIMIT,
            **PRESENTATION,
        )

    async def _payment_page(
        self, request: Request, actor: Actor, card_payment_id: int, form: RefundForm | None = None, status: int = 200
    ) -> object:
        payment, refunds, available = await card_payment_with_refunds(actor, card_payment_id)
        if form is None:
            form = RefundForm(values={"amount": plain_amount(available) if available else "", "reason": ""})
        return page(
            request,
            "payments/card_payments_detail.html",
            status=status,
            payment=payment,
            refunds=refunds,
            available=available,
            form=form,
            **PRESENTATION,
            **_done_notice(request),
        )

    @get("/card-payments/{card_payment_id:int}", name="payments.card_payment")
    async def show(self, request: Request, actor: SignedInActor, card_payment_id: FromPath[int]) -> object:
        return await self._payment_page(request, actor, card_payment_id)

    @post("/card-payments/{card_payment_id:int}/refunds", name="payments.card_payment_refund")
    async def refund(self, request: Request, actor: SignedInActor, card_payment_id: FromPath[int]) -> object:
        entry = await read_form(request, RefundEntry)
        form = RefundForm(values={"amount": entry.amount[:400], "reason": entry.reason[:400]})
        try:
            amount = parse_amount(form.values["amount"], "amount")
            refund_id = await request_refund(actor, card_payment_id, amount, form.values["reason"])
        except InvalidInput as error:
            form.errors = error.field_errors
            if not form.values["reason"].strip() and "reason" not in form.errors:
                form.errors["reason"] = "Say why: the reason is kept with the refund."
            return await self._payment_page(request, actor, card_payment_id, form, status=422)
        except Conflict as error:
            form.form_error = error.message
            return await self._payment_page(request, actor, card_payment_id, form, status=409)
        # After request_refund's commit: the call to Stripe holds no lock.
        outcome = await submit_refund(refund_id)
        notice = {"requested": "refund-requested", "failed": "refund-failed"}.get(outcome, "refund-sent")
        return redirect(request, f"/finance/card-payments/{card_payment_id}", notice=notice)

    @get("/settings/payments", name="payments.payment_settings")
    async def settings_form(self, request: Request) -> object:
        return page(
            request,
            "payments/card_payments_settings.html",
            current=await policy.late_payment_policy(),
            choices=SETTING_CHOICES,
            errors={},
            **_done_notice(request),
        )

    @post("/settings/payments", name="payments.payment_settings_save")
    async def save_settings(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, LatePaymentSettingEntry)
        try:
            await policy.set_late_payment_policy(actor, entry.late_payment)
        except InvalidInput as error:
            return page(
                request,
                "payments/card_payments_settings.html",
                status=422,
                current=await policy.late_payment_policy(),
                choices=SETTING_CHOICES,
                errors=error.field_errors,
            )
        return redirect(request, "/finance/settings/payments", notice="settings-saved")


# The radio buttons' words: (value, label, what it means for the person who paid).
SETTING_CHOICES = [
    (
        "refund",
        "Refund automatically",
        "The person is told their seat went to someone else, and the full payment goes back to their card.",
    ),
    (
        "waitlist",
        "Waiting list, keep the payment",
        "The person joins the end of the waiting list with the payment kept; they are confirmed at once when a seat frees.",
    ),
]
