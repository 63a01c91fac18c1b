"""Finance's payment pages (finance and admin only).

/finance/payments: recent payments with what is not yet applied of each, and the "Record a check or
ACH payment" form. Choosing the district shows its open invoices, each with an "Apply" amount (htmx
swaps them in on change; without JavaScript the "Show open invoices" button does the same), and
"Fill oldest first" spreads the payment over them. /finance/payments/{id}: one payment, where it went,
and a form to apply what is left of it to an open invoice.

Thin handlers: parse the form, call one use case (payments_received), render; bad input re-renders
the form with its errors and records nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from booking.accounts.actor import Actor
from booking.errors import Conflict, InvalidInput, NotFound, collect_field_errors
from booking.money import parse_amount, plain_amount
from booking.payments import finance_lists
from booking.payments.finance_pages import PRESENTATION, done_notice, query_text
from booking.payments.fiscal import local_today
from booking.payments.forms import AllocationEntry, PaymentEntry
from booking.payments.payments_received import MANUAL_METHODS, allocate_payment, check_payment_form, record_payment
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, finance_only
from booking.web.pages import page, redirect, wants_fragment

PAYMENT_FIELDS = ("district", "method", "amount", "received_on", "reference", "note")
_APPLY_FIELD = re.compile(r"^apply_([0-9]{1,18})$")
_ID = re.compile(r"^[0-9]{1,18}$")


@dataclass
class PaymentForm:
    values: dict = field(default_factory=lambda: {name: "" for name in PAYMENT_FIELDS})
    applies: dict[int, str] = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


@dataclass
class AllocationForm:
    values: dict = field(default_factory=lambda: {"invoice": "", "amount": ""})
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def _form_text(data, name: str, limit: int = 400) -> str:
    """One field of the payment form's grid (`apply_<invoice id>`), read from the raw form."""
    value = data.get(name)
    return value[:limit] if isinstance(value, str) else ""


PAYMENT_PRESENTATION = {**PRESENTATION, "methods": MANUAL_METHODS}


class FinancePaymentsController(Controller):
    path = "/finance/payments"
    guards = [finance_only]
    include_in_schema = False

    async def _index_page(self, request: Request, actor: Actor, form: PaymentForm, *, status: int = 200) -> object:
        district = await _district_or_none(form.values["district"])
        invoices = await finance_lists.open_invoices_of(actor, district["id"]) if district else []
        return page(
            request,
            "payments/finance_payments.html",
            status=status,
            form=form,
            district=district,
            invoices=invoices,
            payments=await finance_lists.recent_payments(actor),
            districts=await finance_lists.active_districts(),
            **PAYMENT_PRESENTATION,
            **done_notice(request),
        )

    @get("/", name="payments.payments")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        form = PaymentForm()
        form.values.update(
            district=query_text(request, "district"), method="check", received_on=local_today().isoformat()
        )
        status = 200
        if form.values["district"] and await _district_or_none(form.values["district"]) is None:
            form.errors["district"] = "Choose a district from the list."
            status = 400
        return await self._index_page(request, actor, form, status=status)

    @get("/open-invoices", name="payments.payment_open_invoices")
    async def open_invoices(self, request: Request, actor: SignedInActor) -> object:
        """The chosen district's open invoices with their "Apply" fields: an htmx fragment of the form."""
        district_text = query_text(request, "district")
        if not wants_fragment(request):
            return Redirect(
                path=f"/finance/payments?district={district_text}" if district_text else "/finance/payments",
                status_code=303,
            )
        district = await _district_or_none(district_text)
        invoices = await finance_lists.open_invoices_of(actor, district["id"]) if district else []
        return page(
            request,
            "payments/_finance_payment_invoices.html",
            form=PaymentForm(),
            district=district,
            invoices=invoices,
            **PAYMENT_PRESENTATION,
        )

    @post("/", name="payments.payment_record")
    async def record(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, PaymentEntry)
        form = PaymentForm(values={name: getattr(entry, name)[:400] for name in PAYMENT_FIELDS})
        data = await request.form()  # the amounts to apply: a grid whose field names are built from the invoices' ids
        form.applies = {
            int(match.group(1)): _form_text(data, key, 40)
            for key in data
            if isinstance(key, str) and (match := _APPLY_FIELD.match(key))
        }
        action = entry.action[:20]
        errors: dict[str, str] = {}
        district = await _district_or_none(form.values["district"])
        if district is None:
            errors["district"] = "Choose the district that paid."
        if action == "show":
            form.errors = errors
            return await self._index_page(request, actor, form, status=422 if errors else 200)
        if action == "fill":
            amount = collect_field_errors(errors, parse_amount, form.values["amount"], "amount")
            form.errors = errors
            if errors:
                return await self._index_page(request, actor, form, status=422)
            open_invoices = await finance_lists.open_invoices_of(actor, district["id"])
            form.applies = {
                invoice_id: plain_amount(cents)
                for invoice_id, cents in finance_lists.fill_oldest_first(open_invoices, amount).items()
            }
            return await self._index_page(request, actor, form)
        try:
            clean = check_payment_form(form.values, form.applies)
        except InvalidInput as error:
            errors.update(error.field_errors)
        form.errors = errors
        if errors:
            return await self._index_page(request, actor, form, status=422)
        try:
            payment = await record_payment(actor, district["id"], clean)
        except NotFound as error:  # an invoice id that is not this district's
            form.form_error = error.message
            return await self._index_page(request, actor, form, status=422)
        except Conflict as error:
            form.form_error = error.message
            return await self._index_page(request, actor, form, status=409)
        return redirect(request, f"/finance/payments/{payment['id']}", notice="payment-recorded")

    async def _payment_page(
        self, request: Request, actor: Actor, payment_id: int, form: AllocationForm | None = None, *, status: int = 200
    ) -> object:
        view = await finance_lists.payment_view(actor, payment_id)
        if form is None:
            form = AllocationForm()
            if view.unapplied_cents and view.open_invoices:
                oldest = view.open_invoices[0]
                form.values = {
                    "invoice": str(oldest.invoice["id"]),
                    "amount": plain_amount(min(view.unapplied_cents, oldest.balance.open_cents)),
                }
        return page(
            request,
            "payments/finance_payment.html",
            status=status,
            view=view,
            form=form,
            **PAYMENT_PRESENTATION,
            **done_notice(request),
        )

    @get("/{payment_id:int}", name="payments.payment")
    async def show(self, request: Request, actor: SignedInActor, payment_id: FromPath[int]) -> object:
        return await self._payment_page(request, actor, payment_id)

    @post("/{payment_id:int}/allocations", name="payments.payment_allocate")
    async def allocate(self, request: Request, actor: SignedInActor, payment_id: FromPath[int]) -> object:
        entry = await read_form(request, AllocationEntry)
        form = AllocationForm(values={"invoice": entry.invoice[:40], "amount": entry.amount[:40]})
        errors: dict[str, str] = {}
        invoice_text = form.values["invoice"].strip()
        if not _ID.match(invoice_text):
            errors["invoice"] = "Choose the invoice to apply the payment to."
        amount = collect_field_errors(errors, parse_amount, form.values["amount"], "amount")
        try:
            if errors:
                raise InvalidInput(errors)
            await allocate_payment(actor, payment_id, int(invoice_text), amount)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._payment_page(request, actor, payment_id, form, status=422)
        except NotFound as error:  # an unknown payment stays a 404 when the page is drawn again
            form.errors = {"invoice": "Choose one of this district's open invoices."}
            form.form_error = error.message
            return await self._payment_page(request, actor, payment_id, form, status=422)
        except Conflict as error:
            form.form_error = error.message
            return await self._payment_page(request, actor, payment_id, form, status=409)
        return redirect(request, f"/finance/payments/{payment_id}", notice="payment-applied")


async def _district_or_none(text: str) -> dict | None:
    try:
        return await finance_lists.check_district(text)
    except InvalidInput:
        return None
