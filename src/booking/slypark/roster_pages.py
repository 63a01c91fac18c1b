"""Staff pages for a Sly Park week: its roster, cabins and hiking groups (printable, CSV), closing a lost week,
billing balances. A season's occupancy by week is on the season page (staff_pages.py). Thin handlers: parse, call one use case, render."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response

from booking.accounts.actor import Actor
from booking.csv_files import csv_response
from booking.errors import Conflict, InvalidInput
from booking.slypark import rosters
from booking.slypark.charges import bill_balances
from booking.slypark.forms import CloseWeekForm
from booking.slypark.week_closure import close_week
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect


def week_label(week: dict) -> str:
    return f"{week['starts_on']:%B %-d} to {week['ends_on']:%B %-d, %Y}"


class SlyParkRosterController(Controller):
    path = "/staff/slypark"
    guards = [roles("staff")]
    include_in_schema = False

    async def _roster(
        self,
        request: Request,
        actor: Actor,
        week_id: int,
        *,
        status: int = 200,
        close_values: dict | None = None,
        close_errors: dict | None = None,
        close_error: str | None = None,
    ) -> object:
        roster = await rosters.view_week_roster(actor, week_id)
        return page(
            request,
            "slypark/roster.html",
            status=status,
            roster=roster,
            week=roster.week,
            season=roster.season,
            totals=roster.totals,
            week_label=week_label,
            close_values=close_values or {"reason": "", "confirm": False},
            close_errors=close_errors or {},
            close_error=close_error,
        )

    @get("/weeks/{week_id:int}/roster", name="slypark.roster")
    async def roster(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        return await self._roster(request, actor, week_id)

    @get("/weeks/{week_id:int}/roster.csv", name="slypark.roster_csv")
    async def roster_csv(self, week_id: FromPath[int], actor: SignedInActor) -> Response:
        return csv_response(*await rosters.roster_csv(actor, week_id))

    @post("/weeks/{week_id:int}/assign", name="slypark.roster_assign")
    async def assign(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        await rosters.assign_cabins(actor, week_id)
        return redirect(
            request, request.app.route_reverse("slypark.roster", week_id=week_id), notice="slypark-cabins-assigned"
        )

    @post("/weeks/{week_id:int}/bill-balances", name="slypark.roster_bill_balances")
    async def balances(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        await rosters.week_roster(actor, week_id)  # staff only; an unknown week is a 404
        await bill_balances()
        return redirect(
            request, request.app.route_reverse("slypark.roster", week_id=week_id), notice="slypark-balances-billed"
        )

    @post("/weeks/{week_id:int}/close", name="slypark.week_close")
    async def close(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, CloseWeekForm)
        values = {"reason": entry.reason, "confirm": entry.confirm}
        roster = await rosters.week_roster(actor, week_id)
        errors = {}
        if not values["confirm"]:
            errors["confirm"] = "Tick the box to confirm that this week is closed and its schools moved."
        try:
            if errors:
                raise InvalidInput(errors)
            outcomes = await close_week(actor, week_id, values["reason"])
        except InvalidInput as error:
            if not values["reason"].strip():
                errors["reason"] = "Say why the week is closed, for example: no staff, snow storm."
            errors.update(error.field_errors)
            return await self._roster(request, actor, week_id, status=422, close_values=values, close_errors=errors)
        except Conflict as error:
            return await self._roster(
                request, actor, week_id, status=409, close_values=values, close_error=error.message
            )
        return page(
            request,
            "slypark/roster_closed.html",
            week=roster.week,
            reason=" ".join(values["reason"].split()),
            outcomes=outcomes,
            week_label=week_label,
        )
