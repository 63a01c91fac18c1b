"""Staff pages for Sly Park: /staff/slypark (seasons, a new season, one season with its weeks,
requests and allocation runs) and /staff/slypark/runs/{id} (an allocation's report, publishing
its offers). Thin handlers: parse the form, call one use case (seasons, week_requests,
allocation_runs), render; a refused form is shown again with what was typed and what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.catalog.validation import parse_local_date, parse_local_datetime
from booking.clock import to_local
from booking.errors import Conflict, InvalidInput, NotFound, collect_field_errors
from booking.fields import parse_date
from booking.money import parse_price
from booking.slypark import allocation_runs, overview, seasons, week_requests
from booking.slypark.forms import (
    AllocationForm,
    PublishForm,
    RequestPriorityForm,
    SeasonForm,
    SeasonStatusForm,
    WeekBedsForm,
)
from booking.web.forms import optional_id, read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect, wants_fragment

SEASON_STATUS_LABELS = {
    "draft": "Draft: not taking requests yet",
    "requests_open": "Taking week requests",
    "allocating": "Requests closed: allocating weeks",
    "offers_out": "Offers out to coordinators",
    "booking_open": "Remaining beds open for booking",
    "closed": "Closed",
}
# The next step from each status, as the season page's button: (status, button text).
NEXT_STEPS = {
    "draft": [("requests_open", "Open requests")],
    "requests_open": [("allocating", "Close requests and allocate")],
    "allocating": [("requests_open", "Reopen requests")],
    "offers_out": [("booking_open", "Open remaining beds for booking")],
    "booking_open": [("closed", "Close season")],
}
REQUEST_STATUS_LABELS = {
    "submitted": "Waiting for allocation",
    "offered": "Offered",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Offer expired",
    "unplaced": "No week",
    "withdrawn": "Withdrawn",
}
RUN_STATUS_LABELS = {
    "optimal": "Best possible (proven optimal)",
    "feasible": "Good, not proven best",
    "infeasible": "No allocation possible",
}
TIERS = [(str(n), f"{n} (first)" if n == 0 else str(n)) for n in range(6)]
SEASON_FIELDS = SeasonForm.__struct_fields__
SEASON_ERROR_KEYS = {"price_per_student_cents": "price", "deposit_per_student_cents": "deposit"}
NUMBER_DEFAULTS = {
    "boys_beds": 0,
    "girls_beds": 0,
    "cabin_size": 12,
    "students_per_teacher": 12,
    "students_per_cabin_leader": 8,
    "freeze_days": 21,
    "offer_days": 14,
}
A_MONDAY = dt.date(2000, 1, 3)


@dataclass
class FormState:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def week_label(week: dict | None) -> str:
    if week is None:
        return "a week no longer in the season"
    start, end = week["starts_on"], week["ends_on"]
    return (
        f"{start:%b} {start.day}–{end.day}, {start.year}"
        if start.month == end.month
        else f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    )


def in_words(message: str | None, weeks_by_id: dict[int, dict]) -> str:
    """The solver names weeks and requests by id ("week 12", "request 7 (Alpha)"); staff know them by dates and schools."""

    def week(match: re.Match) -> str:
        found = weeks_by_id.get(int(match.group(1)))
        return f"week of {week_label(found)}" if found else match.group(0)

    def pair(match: re.Match) -> str:
        first, second = weeks_by_id.get(int(match.group(1))), weeks_by_id.get(int(match.group(2)))
        return f"weeks of {week_label(first)} and {week_label(second)}" if first and second else match.group(0)

    text = re.sub(r"\brequest \d+ \(([^)]*)\)", r"\1", message or "")
    text = re.sub(r"\bweeks (\d+) and (\d+)\b", pair, text)
    return re.sub(r"\bweek (\d+)\b", week, text)


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def labels() -> dict:
    return {
        "season_status_labels": SEASON_STATUS_LABELS,
        "request_status_labels": REQUEST_STATUS_LABELS,
        "run_status_labels": RUN_STATUS_LABELS,
        "week_label": week_label,
        "ordinal": ordinal,
        "tiers": TIERS,
        "choice_presets": allocation_runs.CHOICE_PRESETS,
        "split_presets": allocation_runs.SPLIT_PRESETS,
        "preset_for": allocation_runs.preset_for,
        "local_day": lambda moment: to_local(moment).strftime("%a %b %-d, %Y %-I:%M %p") if moment else "",
    }


# --- Reading forms -------------------------------------------------------------------------


def whole_number(value: str, name: str) -> int:
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 7:
        raise InvalidInput({name: "Enter a whole number, like 12 (0 or more)."})
    return int(value)


def parse_closed_weeks(value: str) -> tuple[dt.date, ...]:
    days = []
    for number, line in enumerate((value or "").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            day = parse_date(line.strip(), "closed_weeks")
        except InvalidInput as error:
            raise InvalidInput({"closed_weeks": f"Line {number}: {error.field_errors['closed_weeks']}"}) from None
        if day.weekday() != 0:
            raise InvalidInput({"closed_weeks": f"Line {number}: {day:%b %-d, %Y} is not a Monday."})
        days.append(day)
    return tuple(days)


def season_input(values: dict) -> seasons.SeasonInput:
    """The typed form -> SeasonInput; every problem at once, what cannot be parsed and what check_season finds."""
    errors: dict[str, str] = {}
    first = collect_field_errors(errors, parse_local_date, values["first_week"], "first_week")
    last = collect_field_errors(errors, parse_local_date, values["last_week"], "last_week")
    numbers = {name: collect_field_errors(errors, whole_number, values[name], name) for name in NUMBER_DEFAULTS}
    price = collect_field_errors(errors, parse_price, values["price"], "price")
    deposit = collect_field_errors(errors, parse_price, values["deposit"], "deposit")
    for name, cents in (("price", price), ("deposit", deposit)):
        if cents is None and name not in errors:
            errors[name] = "Enter an amount in dollars per student, like 425."
    opens = collect_field_errors(errors, parse_local_datetime, values["requests_open_at"], "requests_open_at")
    closes = collect_field_errors(errors, parse_local_datetime, values["requests_close_at"], "requests_close_at")
    closed_weeks = collect_field_errors(errors, parse_closed_weeks, values["closed_weeks"]) or ()
    first_ok = first or A_MONDAY
    last_ok = last or first_ok
    if first and last and "closed_weeks" not in errors:
        outside = [d for d in closed_weeks if not first <= d <= last]
        if outside:
            errors["closed_weeks"] = f"{outside[0]:%b %-d, %Y} is not a week of this season."
    data = seasons.SeasonInput(
        name=values["name"],
        first_week=first_ok,
        last_week=last_ok,
        price_per_student_cents=price if price is not None else (deposit or 0),
        deposit_per_student_cents=deposit or 0,
        requests_open_at=opens,
        requests_close_at=closes,
        closed_weeks=closed_weeks,
        **{name: NUMBER_DEFAULTS[name] if value is None else value for name, value in numbers.items()},
    )
    try:
        seasons.check_season(data)
    except InvalidInput as error:
        for key, message in error.field_errors.items():
            errors.setdefault(SEASON_ERROR_KEYS.get(key, key), message)
    if errors:
        raise InvalidInput(errors)
    return data


# --- Reading what the pages show -----------------------------------------------------------


def request_form_values(req: dict) -> dict:
    return {
        "tier": str(req["tier"]),
        "returning_school": req["returning_school"],
        "pinned_week": str(req["pinned_week"] or ""),
        "excluded": req["excluded"],
    }


class StaffSlyParkController(Controller):
    path = "/staff/slypark"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/", name="slypark.staff_seasons")
    async def index(self, request: Request) -> object:
        return page(request, "slypark/staff_seasons.html", seasons=await overview.season_rows(), **labels())

    # New season ----------------------------------------------------------------------------

    def _new_page(self, request: Request, state: FormState, *, status: int = 200) -> object:
        return page(request, "slypark/staff_season_new.html", status=status, state=state, **labels())

    @get("/new", name="slypark.staff_season_new")
    async def new_form(self, request: Request) -> object:
        values = {name: "" for name in SEASON_FIELDS}
        values.update(
            {name: str(value) for name, value in NUMBER_DEFAULTS.items() if name not in ("boys_beds", "girls_beds")}
        )
        return self._new_page(request, FormState(values))

    @post("/new", name="slypark.staff_season_create")
    async def create(self, request: Request, actor: SignedInActor) -> object:
        values = msgspec.structs.asdict(await read_form(request, SeasonForm))
        state = FormState(values)
        try:
            season_id = await seasons.create_season(actor, season_input(values))
        except InvalidInput as error:
            state.errors = {SEASON_ERROR_KEYS.get(k, k): v for k, v in error.field_errors.items()}
            return self._new_page(request, state, status=422)
        return redirect(
            request,
            request.app.route_reverse("slypark.staff_season", season_id=season_id),
            notice="slypark-season-created",
        )

    # One season ----------------------------------------------------------------------------

    async def _season_page(
        self,
        request: Request,
        actor: Actor,
        season_id: int,
        *,
        status: int = 200,
        status_error: str | None = None,
        week_state: dict | None = None,
        request_state: dict | None = None,
        allocate: FormState | None = None,
    ) -> object:
        season = await seasons.get_season(season_id)
        weeks = await overview.occupancy(season_id)
        requests = await week_requests.requests_for(actor, season_id)
        return page(
            request,
            "slypark/staff_season.html",
            status=status,
            season=season,
            weeks=weeks,
            weeks_by_id={w["id"]: w for w in weeks},
            requests=requests,
            runs=await overview.run_rows(season_id),
            next_steps=NEXT_STEPS.get(season["status"], []),
            status_error=status_error,
            week_state=week_state or {},
            request_state=request_state or {},
            allocate=allocate
            or FormState({"choice_weights": season["choice_weights"], "split_penalty": str(season["split_penalty"])}),
            choice_ids=week_requests.choice_ids,
            request_form_values=request_form_values,
            **labels(),
        )

    @get("/{season_id:int}", name="slypark.staff_season")
    async def season(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        return await self._season_page(request, actor, season_id)

    @post("/{season_id:int}/status", name="slypark.staff_season_status")
    async def set_status(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        wanted = (await read_form(request, SeasonStatusForm)).status
        try:
            await seasons.set_status(actor, season_id, wanted)
        except (InvalidInput, Conflict) as error:
            message = "; ".join(error.field_errors.values()) if isinstance(error, InvalidInput) else error.message
            return await self._season_page(request, actor, season_id, status=409, status_error=message)
        return redirect(
            request,
            request.app.route_reverse("slypark.staff_season", season_id=season_id),
            notice="slypark-status-changed",
        )

    @post("/{season_id:int}/weeks/{week_id:int}/beds", name="slypark.staff_week_beds")
    async def set_beds(
        self, request: Request, season_id: FromPath[int], week_id: FromPath[int], actor: SignedInActor
    ) -> object:
        await overview.require_week_in_season(season_id, week_id)
        state = FormState(msgspec.structs.asdict(await read_form(request, WeekBedsForm)))
        errors: dict[str, str] = {}
        boys = collect_field_errors(errors, whole_number, state.values["boys_beds"], "boys_beds")
        girls = collect_field_errors(errors, whole_number, state.values["girls_beds"], "girls_beds")
        try:
            if errors:
                raise InvalidInput(errors)
            await seasons.set_beds(actor, week_id, boys, girls)
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._season_page(request, actor, season_id, status=422, week_state={week_id: state})
        return redirect(
            request,
            request.app.route_reverse("slypark.staff_season", season_id=season_id),
            notice="slypark-beds-changed",
        )

    @post("/{season_id:int}/requests/{request_id:int}/priority", name="slypark.staff_request_priority")
    async def set_priority(
        self, request: Request, season_id: FromPath[int], request_id: FromPath[int], actor: SignedInActor
    ) -> object:
        row = await week_requests.get_request(actor, request_id)
        if row["season"] != season_id:
            raise NotFound("No such request in this season.")
        state = FormState(msgspec.structs.asdict(await read_form(request, RequestPriorityForm)))
        errors: dict[str, str] = {}
        # The ids stay text in the Struct (the row shows them again as typed); read here, with the list's message.
        tier = collect_field_errors(errors, optional_id, state.values, "tier")
        pinned = collect_field_errors(errors, optional_id, state.values, "pinned_week")
        if tier is None and "tier" not in errors:
            errors["tier"] = "Choose a priority from 0 (first) to 5."
        try:
            if errors:
                raise InvalidInput(errors)
            await week_requests.set_priority(
                actor,
                request_id,
                tier=tier,
                returning_school=state.values["returning_school"],
                pinned_week=pinned,
                unpin=pinned is None,
                excluded=state.values["excluded"],
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            if wants_fragment(request):
                return await self._request_row(request, actor, season_id, request_id, state, status=422)
            return await self._season_page(request, actor, season_id, status=422, request_state={request_id: state})
        if wants_fragment(request):
            return await self._request_row(request, actor, season_id, request_id, saved=True)
        return redirect(
            request,
            request.app.route_reverse("slypark.staff_season", season_id=season_id),
            notice="slypark-request-saved",
        )

    async def _request_row(
        self,
        request: Request,
        actor: Actor,
        season_id: int,
        request_id: int,
        state: FormState | None = None,
        *,
        status: int = 200,
        saved: bool = False,
    ) -> object:
        weeks = await seasons.weeks_of(season_id)
        req = await week_requests.get_request(actor, request_id)
        return page(
            request,
            "slypark/staff_request_row.html",
            status=status,
            r=req,
            weeks=weeks,
            weeks_by_id={w["id"]: w for w in weeks},
            request_state={request_id: state} if state else {},
            saved=saved,
            choice_ids=week_requests.choice_ids,
            request_form_values=request_form_values,
            **labels(),
        )

    # Allocation ----------------------------------------------------------------------------

    @post("/{season_id:int}/runs", name="slypark.staff_run_start")
    async def run(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, AllocationForm)
        state = FormState({"choice_weights": entry.choice_weights, "split_penalty": entry.split_penalty})
        # A preset chosen by its words stands for its numbers; "custom" (or none: an older form) uses the typed ones.
        choice_preset, split_preset = entry.choice_preset, entry.split_preset
        if choice_preset in allocation_runs.CHOICE_PRESETS:
            state.values["choice_weights"] = allocation_runs.CHOICE_PRESETS[choice_preset][2]
        if split_preset in allocation_runs.SPLIT_PRESETS:
            state.values["split_penalty"] = allocation_runs.SPLIT_PRESETS[split_preset][2]
        errors: dict[str, str] = {}
        penalty = collect_field_errors(errors, whole_number, state.values["split_penalty"], "split_penalty")
        try:
            if errors:
                allocation_runs.parse_weights(state.values["choice_weights"])  # report both fields at once
                raise InvalidInput(errors)
            run_id = await allocation_runs.run_allocation(
                actor, season_id, choice_weights=state.values["choice_weights"], split_penalty=penalty
            )
        except InvalidInput as error:
            state.errors = {**errors, **error.field_errors}
            return await self._allocate_form(request, actor, season_id, state, status=422)
        except Conflict as error:
            state.form_error = error.message
            return await self._allocate_form(request, actor, season_id, state, status=409)
        return redirect(request, request.app.route_reverse("slypark.staff_run", run_id=run_id))

    async def _allocate_form(
        self, request: Request, actor: Actor, season_id: int, state: FormState, *, status: int
    ) -> object:
        if wants_fragment(request):
            season = await seasons.get_season(season_id)
            return page(
                request, "slypark/staff_allocate_form.html", status=status, season=season, allocate=state, **labels()
            )
        return await self._season_page(request, actor, season_id, status=status, allocate=state)

    @get("/runs/{run_id:int}", name="slypark.staff_run")
    async def run_report(self, request: Request, run_id: FromPath[int]) -> object:
        return await self._run_page(request, run_id)

    async def _run_page(self, request: Request, run_id: int, *, status: int = 200, error: str | None = None) -> object:
        run = await allocation_runs.get_run(run_id)
        season = await seasons.get_season(run["season"])
        weeks = await seasons.weeks_of(season["id"])
        latest = await overview.latest_run_id(season["id"])
        summary = run["summary"]
        weeks_by_id = {w["id"]: w for w in weeks}
        summary["errors"] = [in_words(e, weeks_by_id) for e in summary.get("errors") or []]
        gap = summary.get("gap") or 0
        summary["gap_text"] = (
            ""
            if not gap
            else (
                "stopped before it could tell how close to the best it is"
                if gap == float("inf")
                else f"at most {gap * 100:.1f}% from the best"
            )
        )
        for outcome in run["outcomes"]:
            outcome["reason"] = in_words(outcome.get("reason"), weeks_by_id)
        counts = sorted(
            ((int(rank), n) for rank, n in (summary.get("choice_counts") or {}).items()), key=lambda p: p[0]
        )
        return page(
            request,
            "slypark/staff_run.html",
            status=status,
            run=run,
            season=season,
            summary=summary,
            choice_counts=counts,
            weeks_by_id=weeks_by_id,
            latest_id=latest["id"] if latest else None,
            error=error,
            allocate=FormState(
                {
                    "choice_weights": ",".join(str(w) for w in summary.get("weights", [])),
                    "split_penalty": str(summary.get("split_penalty", "")),
                }
            ),
            **labels(),
        )

    @get("/runs/{run_id:int}/publish", name="slypark.staff_run_publish_confirm")
    async def publish_confirmation(self, request: Request, run_id: FromPath[int], actor: SignedInActor) -> object:
        """Before anyone is emailed: the schools told, their coordinators, and a button naming the count."""
        try:
            preview = await allocation_runs.publish_preview(actor, run_id)
        except Conflict as error:
            return await self._run_page(request, run_id, status=409, error=error.message)
        season = await seasons.get_season(preview.run["season"])
        return page(request, "slypark/staff_publish_confirm.html", preview=preview, run=preview.run, season=season)

    @post("/runs/{run_id:int}/publish", name="slypark.staff_run_publish")
    async def publish(self, request: Request, run_id: FromPath[int], actor: SignedInActor) -> object:
        run = await allocation_runs.get_run(run_id)
        confirmed = (await read_form(request, PublishForm)).confirm_emails.strip()
        try:
            if not (confirmed.isascii() and confirmed.isdigit()):
                # Not confirmed (an old form, a script): show who would be emailed instead of emailing them.
                preview = await allocation_runs.publish_preview(actor, run_id)
                season = await seasons.get_season(run["season"])
                return page(
                    request,
                    "slypark/staff_publish_confirm.html",
                    status=409,
                    preview=preview,
                    run=run,
                    season=season,
                    unconfirmed=True,
                )
            await allocation_runs.publish(actor, run_id, expected_emails=int(confirmed))
        except Conflict as error:
            return await self._run_page(request, run_id, status=409, error=error.message)
        return redirect(
            request,
            request.app.route_reverse("slypark.staff_season", season_id=run["season"]),
            notice="slypark-offers-published",
        )
