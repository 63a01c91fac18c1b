"""The district coordinator's money pages.

/district/invoices (what is to pay and what is settled, the district's credit), /district/invoices/{id}
(one invoice: lines, credit notes, payments; pay by card or by check/ACH), /district/invoices/{id}.pdf,
and /district/purchase-orders (the district's POs: add, close).

Thin handlers: parse, call one use case (district_invoices, purchase_orders, checkout), render. Scoping
to the coordinator's own district happens in those use cases: another district's invoice or PO is a 404.
Staff and finance are refused here (403): they work on the finance pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from booking.accounts.actor import Actor
from booking.clock import to_local
from booking.errors import Conflict, DomainError, InvalidInput, NotFound
from booking.money import plain_amount
from booking.payments import district_invoices, purchase_orders
from booking.payments.checkout import start_invoice_checkout
from booking.payments.forms import PurchaseOrderEntry
from booking.payments.gateway import card_payments_available
from booking.payments.invoice_documents import REMIT_TO
from booking.pdf import pdf_response
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect, wants_fragment

coordinators_only = roles("coordinator")

# After paying by card, the page asks for the invoice's state every few seconds, for about a minute:
# Stripe's webhook usually settles the invoice within seconds of the return.
STATUS_POLL_SECONDS = 3
STATUS_POLL_TRIES = 20

PO_FIELDS = ("number", "description", "not_to_exceed", "valid_from", "valid_until")
# Confirmations after POST-redirect-GET, shown through the page's usual notice area.
DONE = {
    "po-added": "The purchase order is on file. Give its number to SCOE when you register people, so invoices carry it.",
    "po-closed": "The purchase order is closed. Invoices already drawn on it are not changed.",
    "po-corrected": "The purchase order is corrected. Invoices from now on carry it as it is now.",
}
_DOCUMENT_REF = re.compile(r"^([0-9]{1,18})(\.pdf)?$")


def day_text(day) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def local_day(moment) -> str:
    return day_text(to_local(moment).date()) if moment else ""


PRESENTATION = {"day_text": day_text, "local_day": local_day, "remit_to": REMIT_TO, "poll_seconds": STATUS_POLL_SECONDS}


def _invoice_ref(ref: str) -> tuple[int, bool]:
    """ "42" -> (42, False); "42.pdf" -> (42, True); anything else names no document."""
    match = _DOCUMENT_REF.match(ref)
    if match is None:
        raise NotFound("No such invoice.")
    return int(match.group(1)), bool(match.group(2))


def _done_notice(request: Request) -> dict:
    message = DONE.get(request.query_params.get("notice") or "")
    return {"notice": message} if message else {}


class DistrictInvoicesController(Controller):
    path = "/district/invoices"
    guards = [coordinators_only]
    include_in_schema = False

    @get("/", name="payments.district_invoices")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        overview = await district_invoices.list_district_invoices(actor)
        return page(request, "payments/district_invoices.html", overview=overview, **PRESENTATION)

    async def _invoice_page(
        self, request: Request, actor: Actor, invoice_id: int, *, status: int = 200, pay_error: str | None = None
    ) -> object:
        view = await district_invoices.district_invoice(actor, invoice_id)
        return page(
            request,
            "payments/district_invoice.html",
            status=status,
            view=view,
            row=view.row,
            returned_from_card=request.query_params.get("paid") == "1",
            pay_error=pay_error,
            card_offered=card_payments_available(),
            tries=0,
            poll_limit=STATUS_POLL_TRIES,
            **PRESENTATION,
        )

    @get("/{ref:str}", name="payments.district_invoice")
    async def show(self, request: Request, actor: SignedInActor, ref: FromPath[str]) -> object:
        invoice_id, as_pdf = _invoice_ref(ref)
        if as_pdf:
            return pdf_response(*await district_invoices.district_invoice_pdf(actor, invoice_id))
        return await self._invoice_page(request, actor, invoice_id)

    @get("/{ref:str}/status", name="payments.district_invoice_status")
    async def payment_status(self, request: Request, actor: SignedInActor, ref: FromPath[str]) -> object:
        """The small "being confirmed / paid" box, polled by htmx after the return from Stripe."""
        invoice_id, as_pdf = _invoice_ref(ref)
        if as_pdf:
            raise NotFound("No such page.")
        row = await district_invoices.invoice_balance_row(actor, invoice_id)
        if not wants_fragment(request):
            return Redirect(path=f"/district/invoices/{invoice_id}?paid=1", status_code=303)
        tries_text = request.query_params.get("tries") or "0"
        tries = int(tries_text) if tries_text.isascii() and tries_text.isdigit() and len(tries_text) < 4 else 0
        return page(
            request,
            "payments/_district_payment_status.html",
            row=row,
            tries=tries,
            poll_limit=STATUS_POLL_TRIES,
            **PRESENTATION,
        )

    @get("/{ref:str}/credit-notes/{note_ref:str}", name="payments.district_credit_note")
    async def credit_note(
        self, request: Request, actor: SignedInActor, ref: FromPath[str], note_ref: FromPath[str]
    ) -> Response:
        invoice_id, invoice_as_pdf = _invoice_ref(ref)
        note_id, note_as_pdf = _invoice_ref(note_ref)
        if invoice_as_pdf or not note_as_pdf:
            raise NotFound("No such credit note.")
        return pdf_response(*await district_invoices.district_credit_note_pdf(actor, invoice_id, note_id))

    @post("/{ref:str}/pay", name="payments.district_invoice_pay")
    async def pay(self, request: Request, actor: SignedInActor, ref: FromPath[str]) -> object:
        """Start a Stripe Checkout for what is open on the invoice, and send the coordinator there."""
        invoice_id, as_pdf = _invoice_ref(ref)
        if as_pdf:
            raise NotFound("No such invoice.")
        await district_invoices.own_invoice(actor, invoice_id)  # 404 before anything else for another district's id
        try:
            url = await start_invoice_checkout(actor, invoice_id)
        except NotFound:
            raise
        except DomainError as error:
            return await self._invoice_page(
                request, actor, invoice_id, status=error.status_hint, pay_error=error.message
            )
        return redirect(request, url)


@dataclass
class PoForm:
    values: dict = field(default_factory=lambda: {name: "" for name in PO_FIELDS})
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def _po_form_values(po: dict) -> dict:
    limit = po["not_to_exceed_cents"]
    return {
        "number": po["number"],
        "description": po["description"],
        "not_to_exceed": plain_amount(limit),
        "valid_from": po["valid_from"].isoformat() if po["valid_from"] else "",
        "valid_until": po["valid_until"].isoformat() if po["valid_until"] else "",
    }


def _po_entry_values(entry: PurchaseOrderEntry) -> dict:
    # Kept a little longer than any field allows, so "too long" is reported, not silently cut.
    return {name: getattr(entry, name)[:400] for name in PO_FIELDS}


class DistrictPurchaseOrdersController(Controller):
    path = "/district/purchase-orders"
    guards = [coordinators_only]
    include_in_schema = False

    async def _list_page(self, request: Request, actor: Actor, form: PoForm, *, status: int = 200) -> object:
        orders = await purchase_orders.purchase_orders_of(actor)
        return page(
            request,
            "payments/district_purchase_orders.html",
            status=status,
            orders=orders,
            form=form,
            **PRESENTATION,
            **_done_notice(request),
        )

    @get("/", name="payments.purchase_orders")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return await self._list_page(request, actor, PoForm())

    @post("/", name="payments.purchase_order_add")
    async def add(self, request: Request, actor: SignedInActor) -> object:
        form = PoForm(values=_po_entry_values(await read_form(request, PurchaseOrderEntry)))
        try:
            await purchase_orders.add_purchase_order(actor, form.values)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._list_page(request, actor, form, status=422)
        except Conflict as error:  # the same number is already on file
            form.errors = {"number": error.message}
            return await self._list_page(request, actor, form, status=409)
        return redirect(request, "/district/purchase-orders", notice="po-added")

    async def _edit_page(
        self, request: Request, actor: Actor, po_id: int, form: PoForm | None = None, *, status: int = 200
    ) -> object:
        po = await purchase_orders.visible_purchase_order(actor, po_id)
        if form is None:
            form = PoForm(values=_po_form_values(po))
        return page(
            request, "payments/district_purchase_order_edit.html", status=status, po=po, form=form, **PRESENTATION
        )

    @get("/{po_id:int}/edit", name="payments.purchase_order_edit")
    async def edit(self, request: Request, actor: SignedInActor, po_id: FromPath[int]) -> object:
        return await self._edit_page(request, actor, po_id)

    @post("/{po_id:int}/edit", name="payments.purchase_order_correct")
    async def correct(self, request: Request, actor: SignedInActor, po_id: FromPath[int]) -> object:
        form = PoForm(values=_po_entry_values(await read_form(request, PurchaseOrderEntry)))
        try:
            await purchase_orders.correct_purchase_order(actor, po_id, form.values)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._edit_page(request, actor, po_id, form, status=422)
        except Conflict as error:  # already on an invoice
            form.form_error = error.message
            return await self._edit_page(request, actor, po_id, form, status=409)
        return redirect(request, "/district/purchase-orders", notice="po-corrected")

    @post("/{po_id:int}/close", name="payments.purchase_order_close")
    async def close(self, request: Request, actor: SignedInActor, po_id: FromPath[int]) -> object:
        try:
            await purchase_orders.close_purchase_order(actor, po_id)
        except Conflict as error:
            return await self._list_page(request, actor, PoForm(form_error=error.message), status=409)
        return redirect(request, "/district/purchase-orders", notice="po-closed")
