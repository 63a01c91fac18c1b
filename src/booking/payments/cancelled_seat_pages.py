"""Finance's list of district-billed seats cancelled after they were invoiced (finance and admin only).

GET /finance/cancelled-seats: per invoice, the cancelled seats still owed, each invoice with a one-click
credit note (and one per seat), plus finance's setting: keep this list, or credit automatically.
Thin handlers: parse the form, call one use case (cancelled_seats, policy), render.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.errors import Conflict, InvalidInput
from booking.payments import cancelled_seats, policy
from booking.payments.finance_pages import PRESENTATION
from booking.payments.forms import CancelledSeatsCreditEntry, CancelledSeatsSettingEntry
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, finance_only
from booking.web.pages import page, redirect

NOTICES = {
    "credited": "The credit note is issued and emailed to the district; the seat shows as credited on its invoice.",
    "setting-saved": "The setting is saved.",
}

# The radio buttons' words: (value, label, what it means).
SETTING_CHOICES = [
    (
        "finance_list",
        "Finance credits them from this list",
        "A cancelled seat waits here until someone in finance issues its credit note with one click.",
    ),
    (
        "automatic",
        "Credit automatically",
        "The credit note is issued and emailed to the district the moment the seat is cancelled.",
    ),
]


class CancelledSeatsController(Controller):
    path = "/finance/cancelled-seats"
    guards = [finance_only]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        actor: Actor,
        *,
        status: int = 200,
        form_error: str | None = None,
        setting_errors: dict | None = None,
    ) -> object:
        notice = NOTICES.get(request.query_params.get("notice") or "")
        return page(
            request,
            "payments/finance_cancelled_seats.html",
            status=status,
            invoices=await cancelled_seats.invoices_to_credit(actor),
            current=await policy.cancelled_after_invoicing_policy(),
            choices=SETTING_CHOICES,
            form_error=form_error,
            setting_errors=setting_errors or {},
            **({"notice": notice} if notice else {}),
            **PRESENTATION,
        )

    @get("/", name="payments.cancelled_seats")
    async def show(self, request: Request, actor: SignedInActor) -> object:
        return await self._page(request, actor)

    @post("/{invoice_id:int}/credit", name="payments.cancelled_seats_credit")
    async def credit(self, request: Request, actor: SignedInActor, invoice_id: FromPath[int]) -> object:
        try:
            entry = await read_form(request, CancelledSeatsCreditEntry)
            line_ids = cancelled_seats.check_line_ids(entry.line)
            await cancelled_seats.credit_cancelled_seats(actor, invoice_id, line_ids)
        except (InvalidInput, Conflict) as error:
            message = error.message if isinstance(error, Conflict) else "Choose seats from the list."
            return await self._page(
                request, actor, status=error.status_hint if isinstance(error, Conflict) else 422, form_error=message
            )
        return redirect(request, "/finance/cancelled-seats", notice="credited")

    @post("/setting", name="payments.cancelled_seats_setting_save")
    async def save_setting(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, CancelledSeatsSettingEntry)
        try:
            await policy.set_cancelled_after_invoicing_policy(actor, entry.cancelled_after_invoicing)
        except InvalidInput as error:
            return await self._page(request, actor, status=422, setting_errors=error.field_errors)
        return redirect(request, "/finance/cancelled-seats", notice="setting-saved")
