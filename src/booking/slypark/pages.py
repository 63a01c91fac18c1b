"""The district coordinator's Sly Park pages: /slypark (seasons, week requests), /slypark/bookings (offers,
bookings, remaining beds) and /slypark/bookings/{id} (one booking: numbers, amounts due, headcount changes).

Thin handlers: each parses the form, calls one use case of booking.slypark, and renders. Scoping to the
coordinator's district happens in the use cases' queries (another district's booking is a 404).
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.accounts.districts import list_schools
from booking.clock import LOCAL_TZ, format_local, utc_now
from booking.errors import Conflict, InvalidInput, NotFound
from booking.slypark import cabin_leaders, intake, offers
from booking.slypark.beds import bed_use, holds_beds
from booking.slypark.bookings import (
    Headcount,
    book_remaining,
    bookings_for,
    change_headcount,
    freeze_date,
    get_booking,
    is_frozen,
    week_by_id,
)
from booking.slypark.charges import charges_of
from booking.slypark.forms import REASON_MAX, REASON_TOO_LONG, BookWeekForm, DeclineForm, HeadcountForm, WeekRequestForm
from booking.slypark.seasons import get_season, published_seasons, requests_window, seasons_booking_open, weeks_of
from booking.slypark.week_requests import (
    MAX_CHOICES,
    RequestInput,
    change_request,
    choice_ids,
    file_request,
    get_request,
    open_request_of_school,
    requests_for,
    withdraw_request,
)
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect

coordinators = roles("coordinator", "staff")

REQUEST_WORDS = {
    "submitted": "Waiting for the allocation",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Offer expired",
    "unplaced": "No week available",
    "withdrawn": "Withdrawn",
}
BOOKING_WORDS = {"offered": "Offered", "confirmed": "Confirmed", "released": "Released", "cancelled": "Cancelled"}
CHARGE_WORDS = {"deposit": "Deposit", "balance": "Final balance"}
CHARGE_STATUS_WORDS = {"owed": "Owed", "invoiced": "Invoiced", "paid": "Paid", "cancelled": "Cancelled"}
REQUEST_FIELDS = tuple(name for name in WeekRequestForm.__struct_fields__ if name not in ("can_share", "can_split"))
BOOK_FIELDS = BookWeekForm.__struct_fields__


def week_label(starts_on: dt.date, ends_on: dt.date) -> str:
    """ "Mon Mar 8 – Fri Mar 12, 2027"."""
    return f"{starts_on:%a %b %-d} – {ends_on:%a %b %-d, %Y}"


def day_text(day: dt.date | None) -> str:
    return f"{day:%B %-d, %Y}" if day else ""


PRESENTATION = {
    "week_label": week_label,
    "day_text": day_text,
    "booking_words": BOOKING_WORDS,
    "charge_words": CHARGE_WORDS,
    "charge_status_words": CHARGE_STATUS_WORDS,
    "format_local": format_local,
}


# --- Reading forms (the Structs: slypark/forms.py) ------------------------------------------


def _count(value: str) -> int | None:
    """A whole number as typed, or None (the use case then says what to enter)."""
    value = value.strip()
    digits = value[1:] if value.startswith("-") else value
    return int(value) if digits.isascii() and digits.isdigit() and len(digits) <= 6 else None


def _id(value: str) -> int | None:
    """An option's id; blank is None; anything else not from the list is an id that matches nothing."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else -1


async def _school_options(actor: Actor) -> list[tuple[int, str]]:
    schools = await list_schools(actor.district_id if actor.is_coordinator else None)
    if actor.is_coordinator:
        return [(s["id"], s["name"]) for s in schools]
    return [(s["id"], f"{s['name']} ({s['district_name']})") for s in schools]


# --- /slypark --------------------------------------------------------------------------------


def request_status(request: dict, offered: list[dict], now: dt.datetime) -> str:
    if request["status"] == "offered":
        live = [b for b in offered if holds_beds(b, now)]
        if not live:
            return "Offer expired"
        return f"Offered — answer by {format_local(min(b['offer_expires_at'] for b in live))}"
    return REQUEST_WORDS.get(request["status"], request["status"])


async def seasons_context(actor: Actor, now: dt.datetime) -> list[dict]:
    seasons = await published_seasons()
    result = []
    for season in seasons:
        requests = await requests_for(actor, season["id"])
        offered = await offers.offers_in_season(season["id"])
        weeks = {w["id"]: w for w in await weeks_of(season["id"])}
        for request in requests:
            request["status_words"] = request_status(
                request, [b for b in offered if b["request"] == request["id"]], now
            )
            request["week_labels"] = [
                week_label(weeks[i]["starts_on"], weeks[i]["ends_on"])
                for i in choice_ids(request["choices"])
                if i in weeks
            ]
        result.append({**season, "closed_reason": requests_window(season, now), "requests": requests})
    return result


async def request_form_context(
    actor: Actor,
    season_id: int,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    form_error: str | None = None,
) -> dict:
    season = await get_season(season_id)
    if season["status"] == "draft":
        raise NotFound("No such season.")
    weeks = [w for w in await weeks_of(season_id) if not w["closed"]]
    return {
        **PRESENTATION,
        "season": season,
        "closed_reason": requests_window(season, utc_now()),
        "schools": await _school_options(actor),
        "week_options": [(w["id"], week_label(w["starts_on"], w["ends_on"])) for w in weeks],
        "form": values or {**dict.fromkeys(REQUEST_FIELDS, ""), "can_share": True, "can_split": False},
        "errors": errors or {},
        "form_error": form_error,
        "max_choices": MAX_CHOICES,
    }


def _request_input(entry: WeekRequestForm) -> tuple[dict, RequestInput]:
    """What the form shows again, and the use case's input."""
    data = RequestInput(
        school_id=_id(entry.school_id),
        lead_teacher_name=entry.lead_teacher_name,
        lead_teacher_email=entry.lead_teacher_email,
        boys=_count(entry.boys),
        girls=_count(entry.girls),
        teachers=_count(entry.teachers),
        choices=[_id(choice) for choice in entry.choices()],
        can_share=entry.can_share,
        can_split=entry.can_split,
    )
    return entry.values(), data


def _values_of(existing: dict) -> dict:
    choices = choice_ids(existing["choices"])
    return {
        "school_id": str(existing["school"]),
        "lead_teacher_name": existing["lead_teacher_name"],
        "lead_teacher_email": existing["lead_teacher_email"],
        "boys": str(existing["boys"]),
        "girls": str(existing["girls"]),
        "teachers": str(existing["teachers"]),
        **{f"choice_{n}": str(choices[n - 1]) if n <= len(choices) else "" for n in range(1, MAX_CHOICES + 1)},
        "can_share": existing["can_share"],
        "can_split": existing["can_split"],
    }


class SlyParkController(Controller):
    path = "/slypark"
    guards = [coordinators]
    include_in_schema = False

    @get("/", name="slypark.index")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return page(
            request,
            "slypark/index.html",
            seasons=await seasons_context(actor, utc_now()),
            form_error=None,
            **PRESENTATION,
        )

    @get("/seasons/{season_id:int}/request", name="slypark.request_form")
    async def request_form(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/request_form.html", **await request_form_context(actor, season_id))

    @post("/seasons/{season_id:int}/request", name="slypark.request_file")
    async def file(self, request: Request, season_id: FromPath[int], actor: SignedInActor) -> object:
        values, data = _request_input(await read_form(request, WeekRequestForm))
        try:
            await file_request(actor, season_id, data)
        except InvalidInput as error:
            return page(
                request,
                "slypark/request_form.html",
                status=422,
                **await request_form_context(actor, season_id, values=values, errors=error.field_errors),
            )
        except Conflict as error:
            # "Change that one instead": the page links to the school's request when it can be changed.
            existing = (
                await open_request_of_school(actor, season_id, data.school_id)
                if error.code == "already_requested"
                else None
            )
            return page(
                request,
                "slypark/request_form.html",
                status=409,
                **await request_form_context(actor, season_id, values=values, form_error=error.message),
                existing_request=existing,
            )
        return redirect(request, request.app.route_reverse("slypark.index"), notice="slypark-request-filed")

    @get("/requests/{request_id:int}/edit", name="slypark.request_edit")
    async def edit_form(self, request: Request, request_id: FromPath[int], actor: SignedInActor) -> object:
        existing = await get_request(actor, request_id)
        return page(
            request,
            "slypark/request_form.html",
            **await request_form_context(actor, existing["season"], values=_values_of(existing)),
            editing=existing,
        )

    @post("/requests/{request_id:int}/edit", name="slypark.request_change")
    async def change(self, request: Request, request_id: FromPath[int], actor: SignedInActor) -> object:
        existing = await get_request(actor, request_id)
        values, data = _request_input(await read_form(request, WeekRequestForm))
        values["school_id"] = str(existing["school"])
        try:
            await change_request(actor, request_id, data)
        except InvalidInput as error:
            return page(
                request,
                "slypark/request_form.html",
                status=422,
                editing=existing,
                **await request_form_context(actor, existing["season"], values=values, errors=error.field_errors),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/request_form.html",
                status=409,
                editing=existing,
                **await request_form_context(actor, existing["season"], values=values, form_error=error.message),
            )
        return redirect(request, request.app.route_reverse("slypark.index"), notice="slypark-request-changed")

    @post("/requests/{request_id:int}/withdraw", name="slypark.request_withdraw")
    async def withdraw(self, request: Request, request_id: FromPath[int], actor: SignedInActor) -> object:
        try:
            await withdraw_request(actor, request_id)
        except Conflict as error:
            return page(
                request,
                "slypark/index.html",
                status=409,
                seasons=await seasons_context(actor, utc_now()),
                form_error=error.message,
                **PRESENTATION,
            )
        return redirect(request, request.app.route_reverse("slypark.index"), notice="slypark-request-withdrawn")

    # --- /slypark/bookings -----------------------------------------------------------------

    @get("/bookings", name="slypark.bookings")
    async def bookings(self, request: Request, actor: SignedInActor) -> object:
        return page(request, "slypark/bookings.html", **await bookings_context(actor))

    @post("/bookings/{booking_id:int}/accept", name="slypark.booking_accept")
    async def accept(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        try:
            await offers.accept_offer(actor, booking_id)
        except Conflict as error:
            return page(
                request, "slypark/bookings.html", status=409, **await bookings_context(actor, form_error=error.message)
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.booking", booking_id=booking_id),
            notice="slypark-offer-accepted",
        )

    @post("/bookings/{booking_id:int}/decline", name="slypark.booking_decline")
    async def decline(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        reason = (await read_form(request, DeclineForm)).reason
        if len(reason) > REASON_MAX:
            await get_booking(actor, booking_id)  # another district's offer stays a 404
            return page(
                request,
                "slypark/bookings.html",
                status=422,
                **await bookings_context(
                    actor, decline_errors={booking_id: REASON_TOO_LONG}, decline_reasons={booking_id: reason}
                ),
            )
        try:
            await offers.decline_offer(actor, booking_id, " ".join(reason.split()))
        except Conflict as error:
            return page(
                request, "slypark/bookings.html", status=409, **await bookings_context(actor, form_error=error.message)
            )
        return redirect(request, request.app.route_reverse("slypark.bookings"), notice="slypark-offer-declined")

    @get("/weeks/{week_id:int}/book", name="slypark.week_book_form")
    async def book_form(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/book_form.html", **await book_context(actor, week_id))

    @post("/weeks/{week_id:int}/book", name="slypark.week_book")
    async def book(self, request: Request, week_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, BookWeekForm)
        values = entry.values()
        counts = Headcount(_count(entry.boys), _count(entry.girls), _count(entry.teachers))
        try:
            booking_id = await book_remaining(
                actor,
                week_id,
                _id(entry.school_id),
                counts,
                lead_teacher_name=entry.lead_teacher_name,
                lead_teacher_email=entry.lead_teacher_email,
            )
        except InvalidInput as error:
            return page(
                request,
                "slypark/book_form.html",
                status=422,
                **await book_context(actor, week_id, values=values, errors=error.field_errors),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/book_form.html",
                status=409,
                **await book_context(actor, week_id, values=values, form_error=error.message),
            )
        return redirect(
            request, request.app.route_reverse("slypark.booking", booking_id=booking_id), notice="slypark-week-booked"
        )

    # --- /slypark/bookings/{id} ------------------------------------------------------------

    @get("/bookings/{booking_id:int}", name="slypark.booking")
    async def booking(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/booking.html", **await booking_context(actor, booking_id))

    @post("/bookings/{booking_id:int}/headcount", name="slypark.booking_headcount")
    async def headcount(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        entry = await read_form(request, HeadcountForm)
        values = entry.values()
        counts = Headcount(_count(entry.boys), _count(entry.girls), _count(entry.teachers))
        try:
            if len(entry.reason) > REASON_MAX:
                raise InvalidInput({"reason": REASON_TOO_LONG})
            await change_headcount(actor, booking_id, counts, " ".join(entry.reason.split()))
        except InvalidInput as error:
            return page(
                request,
                "slypark/booking.html",
                status=422,
                **await booking_context(actor, booking_id, values=values, errors=error.field_errors),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/booking.html",
                status=409,
                **await booking_context(actor, booking_id, values=values, form_error=error.message),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.booking", booking_id=booking_id),
            notice="slypark-headcount-changed",
        )


# --- Page contexts ---------------------------------------------------------------------------


async def bookings_context(
    actor: Actor,
    *,
    form_error: str | None = None,
    decline_errors: dict | None = None,
    decline_reasons: dict | None = None,
) -> dict:
    now = utc_now()
    bookings = await bookings_for(actor)
    for booking in bookings:
        booking["live_offer"] = booking["status"] == "offered" and holds_beds(booking, now)
        booking["week_text"] = week_label(booking["starts_on"], booking["ends_on"])
    open_seasons = await seasons_booking_open()
    today = now.astimezone(LOCAL_TZ).date()
    remaining = []
    for season in open_seasons:
        weeks = [w for w in await weeks_of(season["id"]) if not w["closed"] and w["starts_on"] > today]
        use = await bed_use([w["id"] for w in weeks], now)
        rows = [
            {
                **w,
                "label": week_label(w["starts_on"], w["ends_on"]),
                "boys_left": use[w["id"]].boys_left,
                "girls_left": use[w["id"]].girls_left,
            }
            for w in weeks
        ]
        remaining.append({**season, "weeks": [r for r in rows if r["boys_left"] or r["girls_left"]]})
    return {
        **PRESENTATION,
        "offers": [b for b in bookings if b["status"] == "offered"],
        "confirmed": [b for b in bookings if b["status"] == "confirmed"],
        "remaining": remaining,
        "form_error": form_error,
        "decline_errors": decline_errors or {},
        "decline_reasons": decline_reasons or {},
    }


async def book_context(
    actor: Actor, week_id: int, *, values: dict | None = None, errors: dict | None = None, form_error: str | None = None
) -> dict:
    week = await week_by_id(week_id)
    season = await get_season(week["season"])
    now = utc_now()
    use = (await bed_use([week_id], now))[week_id]
    closed_reason = None
    if season["status"] != "booking_open":
        closed_reason = "Remaining beds open for booking once the season's offers are settled."
    elif week["closed"]:
        closed_reason = "That week is closed."
    elif week["starts_on"] <= now.astimezone(LOCAL_TZ).date():
        closed_reason = "That week has already begun."
    return {
        **PRESENTATION,
        "week": week,
        "week_text": week_label(week["starts_on"], week["ends_on"]),
        "season": season,
        "use": use,
        "closed_reason": closed_reason,
        "schools": await _school_options(actor),
        "form": values or dict.fromkeys(BOOK_FIELDS, ""),
        "errors": errors or {},
        "form_error": form_error,
    }


async def booking_context(
    actor: Actor,
    booking_id: int,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    form_error: str | None = None,
) -> dict:
    booking = await get_booking(actor, booking_id)
    season = await get_season(booking["season"])
    now = utc_now()
    students = booking["boys"] + booking["girls"]
    charges = await charges_of(booking_id)
    return {
        **PRESENTATION,
        "booking": booking,
        "season": season,
        "week_text": week_label(booking["starts_on"], booking["ends_on"]),
        "students": students,
        "cabin_leaders": await cabin_leaders.signed_up_count(booking_id),
        "student_count": await intake.student_count(booking_id),
        "cabin_leaders_needed": -(-students // season["students_per_cabin_leader"]) if students else 0,
        "charges": charges,
        "charges_total": sum(c["amount_cents"] for c in charges if c["status"] != "cancelled"),
        "price_total": students * season["price_per_student_cents"],
        "freeze_date": freeze_date(season, booking["starts_on"]),
        "frozen": is_frozen(season, booking["starts_on"], now) and not actor.is_staff,
        "offer_live": booking["status"] == "offered" and holds_beds(booking, now),
        "form": values
        or {"boys": booking["boys"], "girls": booking["girls"], "teachers": booking["teachers"], "reason": ""},
        "errors": errors or {},
        "form_error": form_error,
    }
