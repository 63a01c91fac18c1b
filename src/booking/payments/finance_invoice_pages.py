"""Finance's invoice pages (finance and admin only).

/finance/invoices (filtered list; htmx swaps the table, a plain GET works the same), /finance/invoices/new
(choose a district, preview its open charges as one draft per PO, issue), /finance/invoices/{id} (one
invoice: lines, payments, credit notes; credit-note, void and apply-credit forms), the invoice and
credit-note PDFs, and POST /finance/charges/po (put a PO number on open charges before invoicing).

Thin handlers: parse the form, call one use case (invoicing, credit_notes, payments_received), render;
bad input re-renders the form with its errors and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.errors import Conflict, InvalidInput, NotFound, collect_field_errors
from booking.money import parse_amount
from booking.payments import finance_lists
from booking.payments.credit_notes import issue_credit_note
from booking.payments.finance_pages import PRESENTATION, document_ref, done_notice, query_text
from booking.payments.fiscal import local_today, parse_day
from booking.payments.forms import ApplyCreditEntry, CreditNoteEntry, InvoiceIssueEntry, VoidEntry
from booking.payments.invoice_documents import credit_note_pdf, invoice_pdf
from booking.payments.invoicing import LineSelection, issue_invoices, preview_invoices, set_po_on_open_lines
from booking.payments.payments_received import apply_district_credit
from booking.payments.reports import fiscal_years_on_record
from booking.pdf import pdf_response
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, finance_only
from booking.web.pages import page, page_or_fragment, redirect

_ID = re.compile(r"^[0-9]{1,18}$")
_LINE_FIELD = re.compile(r"^line_([0-9]{1,18})$")
SELECTION_FIELDS = ("from", "to", "booking")


def _form_text(data, name: str, limit: int = 600) -> str:
    """One field of the credit-note grid (`line_<id>`), read from the raw form."""
    value = data.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _ids(values: list) -> list[int] | None:
    """Checkbox values as ids; None when one is not an id at all."""
    ids = []
    for value in values:
        if not isinstance(value, str) or not _ID.match(value):
            return None
        ids.append(int(value))
    return ids


@dataclass
class FormState:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


@dataclass
class IssueState:
    """The new-invoice page: which lines are checked, the period label, the warnings box, the PO form."""

    selection: dict = field(default_factory=lambda: {name: "" for name in SELECTION_FIELDS})
    checked: set[int] | None = None  # None: every line checked
    period_label: str = ""
    acknowledged: bool = False
    po_number: str = ""
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def _selection(values: dict) -> LineSelection:
    """The preview's filters: service dates from/to and one Sly Park booking."""
    errors: dict[str, str] = {}
    first = collect_field_errors(errors, parse_day, values.get("from"), "from", required=False)
    last = collect_field_errors(errors, parse_day, values.get("to"), "to", required=False)
    if first and last and last < first:
        errors["to"] = "The end date is before the start date."
    booking_text = (values.get("booking") or "").strip()
    booking = None
    if booking_text:
        if _ID.match(booking_text) and len(booking_text) < 10:
            booking = int(booking_text)
        else:
            errors["booking"] = "A Sly Park booking number is a whole number, like 42."
    if errors:
        raise InvalidInput(errors)
    return LineSelection(service_from=first, service_to=last, slypark_booking_id=booking)


def _selection_query(district_id: int, selection: dict) -> str:
    return urlencode({"district": district_id, **{k: v for k, v in selection.items() if v}})


class FinanceInvoicesController(Controller):
    path = "/finance"
    guards = [finance_only]
    include_in_schema = False

    # --- the list ---------------------------------------------------------------------------

    @get("/invoices", name="payments.invoices")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        districts = await finance_lists.active_districts()
        values = {name: query_text(request, name) for name in ("district", "state", "year")}
        filters, errors = finance_lists.check_invoice_filters(values, {d["id"] for d in districts})
        rows = await finance_lists.list_invoices(actor, filters)
        return page_or_fragment(
            request,
            "payments/finance_invoices.html",
            "payments/_finance_invoice_rows.html",
            status=400 if errors else 200,
            rows=rows,
            districts=districts,
            values=values,
            errors=errors,
            filters=filters,
            years=await _years(),
            limit=finance_lists.INVOICE_LIST_LIMIT,
            **PRESENTATION,
            **done_notice(request),
        )

    # --- issuing -----------------------------------------------------------------------------

    async def _new_page(
        self, request: Request, actor: Actor, district: dict | None, state: IssueState, *, status: int = 200
    ) -> object:
        drafts = []
        if district is not None and not any(name in state.errors for name in SELECTION_FIELDS):
            drafts = await preview_invoices(actor, district["id"], _selection(state.selection))
        districts = await finance_lists.districts_to_invoice(actor)
        return page(
            request,
            "payments/finance_invoice_new.html",
            status=status,
            district=district,
            drafts=drafts,
            districts=districts,
            state=state,
            has_warnings=any(draft.warnings for draft in drafts),
            **PRESENTATION,
            **done_notice(request),
        )

    @get("/invoices/new", name="payments.invoice_new")
    async def new(self, request: Request, actor: SignedInActor) -> object:
        state = IssueState(selection={name: query_text(request, name) for name in SELECTION_FIELDS})
        district_text = query_text(request, "district")
        if not district_text:
            return await self._new_page(request, actor, None, state)
        try:
            district = await finance_lists.check_district(district_text)
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._new_page(request, actor, None, state, status=400)
        try:
            _selection(state.selection)
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._new_page(request, actor, district, state, status=400)
        return await self._new_page(request, actor, district, state)

    async def _issue_form(self, request: Request) -> tuple[dict | None, IssueState, list[int] | None]:
        entry = await read_form(request, InvoiceIssueEntry)
        state = IssueState(
            selection={"from": entry.from_[:40], "to": entry.to[:40], "booking": entry.booking[:40]},
            period_label=entry.period_label[:200],
            po_number=entry.po_number[:100],
            acknowledged=entry.acknowledge,
        )
        line_ids = _ids(entry.line)
        state.checked = set(line_ids or [])
        try:
            district = await finance_lists.check_district(entry.district[:40])
        except InvalidInput as error:
            state.errors = error.field_errors
            return None, state, line_ids
        return district, state, line_ids

    @post("/invoices", name="payments.invoices_issue")
    async def issue(self, request: Request, actor: SignedInActor) -> object:
        district, state, line_ids = await self._issue_form(request)
        if district is None:
            return await self._new_page(request, actor, None, state, status=422)
        if line_ids is None:
            state.errors = {"lines": "Some of the checked charges are not charges of this district."}
            return await self._new_page(request, actor, district, state, status=422)
        try:
            issued = await issue_invoices(
                actor,
                district["id"],
                line_ids,
                acknowledge_warnings=state.acknowledged,
                period_label=state.period_label,
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._new_page(request, actor, district, state, status=422)
        except NotFound as error:
            state.form_error = error.message
            return await self._new_page(request, actor, district, state, status=422)
        except Conflict as error:
            state.form_error = error.message
            if error.code == "lines_changed":
                state.checked = None  # a fresh preview: whatever is still open, all checked
            return await self._new_page(request, actor, district, state, status=409)
        if len(issued) == 1:
            return redirect(request, f"/finance/invoices/{issued[0]['id']}", notice="invoice-issued")
        return redirect(request, f"/finance/invoices?district={district['id']}", notice="invoices-issued")

    @post("/charges/po", name="payments.charges_set_po")
    async def set_po(self, request: Request, actor: SignedInActor) -> object:
        district, state, line_ids = await self._issue_form(request)
        if district is None:
            return await self._new_page(request, actor, None, state, status=422)
        try:
            if line_ids is None:
                raise NotFound("Some of the checked charges are not charges of this district.")
            await set_po_on_open_lines(actor, district["id"], line_ids, state.po_number)
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._new_page(request, actor, district, state, status=422)
        except (NotFound, Conflict) as error:
            state.form_error = error.message
            return await self._new_page(
                request, actor, district, state, status=409 if isinstance(error, Conflict) else 422
            )
        return redirect(
            request, f"/finance/invoices/new?{_selection_query(district['id'], state.selection)}", notice="po-set"
        )

    # --- one invoice -------------------------------------------------------------------------

    async def _invoice_page(
        self,
        request: Request,
        actor: Actor,
        invoice_id: int,
        *,
        status: int = 200,
        correction: FormState | None = None,
        void: FormState | None = None,
        apply: FormState | None = None,
    ) -> object:
        view = await finance_lists.finance_invoice(actor, invoice_id)
        return page(
            request,
            "payments/finance_invoice.html",
            status=status,
            view=view,
            row=view.row,
            correction=correction or FormState(),
            void=void or FormState(),
            apply=apply or FormState(),
            **PRESENTATION,
            **done_notice(request),
        )

    @get("/invoices/{ref:str}", name="payments.invoice")
    async def show(self, request: Request, actor: SignedInActor, ref: FromPath[str]) -> object:
        invoice_id, as_pdf = document_ref(ref)
        if as_pdf:
            await finance_lists.invoice_exists(actor, invoice_id)
            return pdf_response(*await invoice_pdf(invoice_id))
        return await self._invoice_page(request, actor, invoice_id)

    @post("/invoices/{invoice_id:int}/credit-notes", name="payments.invoice_credit_note")
    async def credit(self, request: Request, actor: SignedInActor, invoice_id: FromPath[int]) -> object:
        entry = await read_form(request, CreditNoteEntry)
        data = await request.form()  # the amounts per line: a grid whose field names are built from the lines' ids
        form = FormState(
            values={key: _form_text(data, key, 40) for key in data if isinstance(key, str) and _LINE_FIELD.match(key)}
        )
        form.values["reason"] = entry.reason[:600]
        errors: dict[str, str] = {}
        amounts: dict[int, int] = {}
        for key, text in form.values.items():
            match = _LINE_FIELD.match(key)
            if match and text.strip():
                cents = collect_field_errors(errors, parse_amount, text, key, allow_zero=True)
                if cents:
                    amounts[int(match.group(1))] = cents
        try:
            if errors:
                raise InvalidInput(errors)
            await issue_credit_note(actor, invoice_id, reason=form.values["reason"], amounts=amounts)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._invoice_page(request, actor, invoice_id, status=422, correction=form)
        except (NotFound, Conflict) as error:
            await finance_lists.invoice_exists(actor, invoice_id)  # an unknown invoice stays a 404
            form.form_error = error.message
            return await self._invoice_page(
                request,
                actor,
                invoice_id,
                status=error.status_hint if isinstance(error, Conflict) else 422,
                correction=form,
            )
        return redirect(request, f"/finance/invoices/{invoice_id}", notice="credit-note-issued")

    @post("/invoices/{invoice_id:int}/void", name="payments.invoice_void")
    async def void(self, request: Request, actor: SignedInActor, invoice_id: FromPath[int]) -> object:
        entry = await read_form(request, VoidEntry)
        reopen = entry.reopen
        form = FormState(values={"reason": entry.reason[:600], "reopen": reopen})
        try:
            await issue_credit_note(actor, invoice_id, reason=form.values["reason"], void=True, reopen_charges=reopen)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._invoice_page(request, actor, invoice_id, status=422, void=form)
        except Conflict as error:
            form.form_error = error.message
            return await self._invoice_page(request, actor, invoice_id, status=409, void=form)
        return redirect(
            request, f"/finance/invoices/{invoice_id}", notice="invoice-voided-reopened" if reopen else "invoice-voided"
        )

    @post("/invoices/{invoice_id:int}/apply-credit", name="payments.invoice_apply_credit")
    async def apply_credit(self, request: Request, actor: SignedInActor, invoice_id: FromPath[int]) -> object:
        entry = await read_form(request, ApplyCreditEntry)
        form = FormState(values={"amount": entry.amount[:40]})
        try:
            amount = parse_amount(form.values["amount"], "amount") if form.values["amount"].strip() else None
            await apply_district_credit(actor, invoice_id, amount)
        except InvalidInput as error:
            form.errors = error.field_errors
            return await self._invoice_page(request, actor, invoice_id, status=422, apply=form)
        except Conflict as error:
            form.form_error = error.message
            return await self._invoice_page(request, actor, invoice_id, status=409, apply=form)
        return redirect(request, f"/finance/invoices/{invoice_id}", notice="credit-applied")

    @get("/credit-notes/{ref:str}", name="payments.credit_note")
    async def credit_note(self, request: Request, actor: SignedInActor, ref: FromPath[str]) -> object:
        note_id, as_pdf = document_ref(ref, "credit note")
        if not as_pdf:
            raise NotFound("No such credit note.")
        await finance_lists.credit_note_of(actor, note_id)
        return pdf_response(*await credit_note_pdf(note_id))


async def _years() -> list[str]:
    return await fiscal_years_on_record(local_today())
