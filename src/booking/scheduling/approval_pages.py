"""/district/approvals: a coordinator approves or declines their district's paid registrations (htmx row by row)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.accounts.districts import get_district
from booking.catalog.pages import PRESENTATION
from booking.errors import Conflict, InvalidInput
from booking.scheduling.approvals import approval_row, approve, decline, pending_approvals
from booking.scheduling.forms import DeclineForm
from booking.scheduling.rows import ApprovalRow
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect, wants_fragment


class ApprovalsController(Controller):
    path = "/district/approvals"
    guards = [roles("coordinator")]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        actor: Actor,
        *,
        status: int = 200,
        error: str | None = None,
        error_id: int | None = None,
    ):
        return page(
            request,
            "scheduling/approvals.html",
            status=status,
            rows=await pending_approvals(actor),
            district=await get_district(actor.district_id),
            error=error,
            error_id=error_id,
            **PRESENTATION,
        )

    async def _decided(
        self,
        request: Request,
        actor: Actor,
        registration_id: int,
        row: ApprovalRow | None,
        error: str | None,
        notice: str,
    ):
        """htmx: the row, updated in place (with the error inside it); otherwise POST-redirect-GET or the page with the error."""
        status = 200 if error is None else 409
        if wants_fragment(request):
            row = row or await approval_row(actor, registration_id)
            return page(request, "scheduling/_approval_row.html", status=status, row=row, error=error, **PRESENTATION)
        if error is not None:
            return await self._page(request, actor, status=status, error=error, error_id=registration_id)
        return redirect(request, request.app.route_reverse("scheduling.approvals"), notice=notice)

    @get("/", name="scheduling.approvals")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return await self._page(request, actor)

    @post("/{registration_id:int}/approve", name="scheduling.registration_approve")
    async def approve(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        try:
            row = await approve(actor, registration_id)
        except Conflict as error:
            return await self._decided(request, actor, registration_id, None, error.message, "")
        return await self._decided(request, actor, registration_id, row, None, "registration-approved")

    @post("/{registration_id:int}/decline", name="scheduling.registration_decline")
    async def decline(self, request: Request, actor: SignedInActor, registration_id: FromPath[int]) -> object:
        try:
            entry = await read_form(request, DeclineForm)
            row = await decline(actor, registration_id, entry.reason)
        except (Conflict, InvalidInput) as error:
            return await self._decided(request, actor, registration_id, None, error.message, "")
        return await self._decided(request, actor, registration_id, row, None, "registration-declined")
