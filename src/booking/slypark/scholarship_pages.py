"""Scholarship pages. A coordinator's /slypark/bookings/{id}/scholarships (ask, see the decision); staff's and
finance's /staff/slypark/scholarships (each season's fund: budget, requests to decide, the report, its CSV).

Thin handlers: read the form, call one use case (slypark.scholarships, slypark.scholarship_report), render; a
refused form is shown again with what was typed and what is wrong."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.csv_files import csv_response
from booking.errors import Conflict, InvalidInput
from booking.money import plain_amount
from booking.slypark import scholarship_report, scholarships
from booking.slypark.bookings import get_booking
from booking.slypark.forms import ScholarshipAskForm, ScholarshipBudgetForm, ScholarshipDecisionForm
from booking.slypark.scholarship_lifecycle import LABELS as STATUS_LABELS
from booking.slypark.seasons import get_season
from booking.slypark.tables import Season
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect


def _week_text(row: dict) -> str:
    start, end = row["starts_on"], row["ends_on"]
    return (
        f"{start:%b} {start.day}–{end.day}, {start.year}"
        if start.month == end.month
        else f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    )


PRESENTATION = {
    "status_labels": {status.value: label for status, label in STATUS_LABELS.items()},
    "week_text": _week_text,
}


class ScholarshipPagesController(Controller):
    """The booking's district asks; staff and finance may look (the booking's own scoping decides who sees it)."""

    path = "/slypark/bookings/{booking_id:int}/scholarships"
    guards = [roles("coordinator", "staff", "finance")]
    include_in_schema = False

    @get("/", name="slypark.scholarships")
    async def show(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/scholarships.html", **await ask_context(actor, booking_id))

    @post("/", name="slypark.scholarship_ask")
    async def ask(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        values = (await read_form(request, ScholarshipAskForm)).values()
        try:
            await scholarships.ask_for_scholarship(actor, booking_id, scholarships.ScholarshipAsk(**values))
        except InvalidInput as error:
            return page(
                request,
                "slypark/scholarships.html",
                status=422,
                **await ask_context(actor, booking_id, values=values, errors=error.field_errors),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/scholarships.html",
                status=409,
                **await ask_context(actor, booking_id, values=values, form_error=error.message),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.scholarships", booking_id=booking_id),
            notice="scholarship-asked",
        )


async def ask_context(
    actor: Actor,
    booking_id: int,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    form_error: str | None = None,
) -> dict:
    booking = await get_booking(actor, booking_id)
    season = await get_season(booking["season"])
    fund = await scholarships.fund_of_season(season["id"])
    return {
        **PRESENTATION,
        "booking": booking,
        "season": season,
        "fund_open": fund is not None and fund["budget_cents"] > 0,
        "students": booking["boys"] + booking["girls"],
        "requests": await scholarships.requests_of_booking(actor, booking_id),
        "may_ask": actor.is_coordinator,
        "form": values or {"students": "", "kind": "full", "amount_each": "", "reason": ""},
        "errors": errors or {},
        "form_error": form_error,
    }


class StaffScholarshipsController(Controller):
    path = "/staff/slypark/scholarships"
    guards = [roles("staff", "finance")]
    include_in_schema = False

    @get("/", name="slypark.staff_scholarships")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        seasons = await Season.select(Season.id, Season.name).order_by(Season.id, ascending=False)
        funds = [await scholarship_report.fund_report(actor, season["id"]) for season in seasons]
        return page(request, "slypark/staff_scholarships.html", funds=funds)

    @get("/{season_id:int}", name="slypark.scholarship_fund")
    async def fund(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/staff_scholarship_fund.html", **await fund_context(actor, season_id))

    @get("/{season_id:int}/fund.csv", name="slypark.scholarship_fund_csv")
    async def export(self, season_id: FromPath[int], actor: SignedInActor) -> Response:
        report = await scholarship_report.fund_report(actor, season_id)
        return csv_response(*scholarship_report.report_csv(report))

    @post("/{season_id:int}/budget", name="slypark.scholarship_budget_set")
    async def budget(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        budget = (await read_form(request, ScholarshipBudgetForm)).budget
        try:
            await scholarships.set_budget(actor, season_id, budget)
        except InvalidInput as error:
            return page(
                request,
                "slypark/staff_scholarship_fund.html",
                status=422,
                **await fund_context(actor, season_id, budget_value=budget, budget_errors=error.field_errors),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/staff_scholarship_fund.html",
                status=409,
                **await fund_context(actor, season_id, budget_value=budget, budget_errors={"budget": error.message}),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.scholarship_fund", season_id=season_id),
            notice="scholarship-budget-set",
        )

    @post("/requests/{request_id:int}/decide", name="slypark.scholarship_decide")
    async def decide(self, request: Request, request_id: FromPath[int], actor: SignedInActor) -> object:
        found = await scholarships.get_request(actor, request_id)
        values = (await read_form(request, ScholarshipDecisionForm)).values()
        season_id = found["season_id"]
        try:
            await scholarships.decide_scholarship(actor, request_id, scholarships.AwardDecision(**values))
        except InvalidInput as error:
            return page(
                request,
                "slypark/staff_scholarship_fund.html",
                status=422,
                **await fund_context(
                    actor, season_id, decide_id=request_id, decide_values=values, decide_errors=error.field_errors
                ),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/staff_scholarship_fund.html",
                status=409,
                **await fund_context(
                    actor, season_id, decide_id=request_id, decide_values=values, decide_errors={"form": error.message}
                ),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.scholarship_fund", season_id=season_id),
            notice="scholarship-decided",
        )


async def fund_context(
    actor: Actor,
    season_id: int,
    *,
    budget_value: str | None = None,
    budget_errors: dict | None = None,
    decide_id: int | None = None,
    decide_values: dict | None = None,
    decide_errors: dict | None = None,
) -> dict:
    report = await scholarship_report.fund_report(actor, season_id)
    requests = await scholarships.requests_of_season(actor, season_id)
    waiting = [r for r in requests if r["status"] == "asked"]
    for row in waiting:
        row["form"] = (
            decide_values
            if row["id"] == decide_id
            else {"students": str(row["students"]), "amount_each": "", "note": ""}
        )
        row["errors"] = decide_errors if row["id"] == decide_id else {}
    # A refusal for a request no longer waiting (decided a moment ago by someone else) is shown at the top.
    page_error = None
    if decide_id is not None and decide_id not in {row["id"] for row in waiting}:
        page_error = " ".join((decide_errors or {}).values()) or None
    return {
        **PRESENTATION,
        "page_error": page_error,
        "report": report,
        "season": report.season,
        "waiting": waiting,
        "decided": [r for r in requests if r["status"] != "asked"],
        "may_decide": actor.is_staff,
        "budget_value": budget_value if budget_value is not None else plain_amount(report.budget_cents),
        "budget_errors": budget_errors or {},
        "now": utc_now(),
    }
