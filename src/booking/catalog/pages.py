"""The public catalog: /workshops (search and filters, htmx-enhanced) and /workshops/{id}."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromPath

from booking.catalog.browsing import (
    AUDIENCE_LABELS,
    FORMAT_LABELS,
    GRADE_BAND_LABELS,
    PAGE_SIZE,
    CatalogQuery,
    browse_catalog,
    catalog_subjects,
    parse_catalog_query,
    workshop_details,
)
from booking.catalog.calendar_links import quick_add_links
from booking.catalog.tables import AUDIENCES, FORMATS, GRADE_BANDS
from booking.clock import to_local
from booking.errors import InvalidInput, NotFound
from booking.payments.gateway import card_payments_available
from booking.scheduling.my_learning import STAFF_CONTACT, current_registration
from booking.web.guards import OptionalActor, current_actor
from booking.web.pages import page, page_or_fragment, wants_fragment

FILTER_PARAMS = ("q", "audience", "subject", "grade", "format", "from", "to", "available", "page")


def _clock(moment: dt.datetime) -> str:
    return moment.strftime("%-I:%M %p")


def session_when(session: dict) -> str:
    """ "Tue, Mar 3, 2026, 9:00 AM – 12:00 PM PST", in Sacramento's time."""
    start, end = to_local(session["starts_at"]), to_local(session["ends_at"])
    day = start.strftime("%a, %b %-d, %Y")
    if end.date() == start.date():
        if start.tzname() == end.tzname():
            return f"{day}, {_clock(start)} – {_clock(end)} {end.tzname()}"
        return f"{day}, {_clock(start)} {start.tzname()} – {_clock(end)} {end.tzname()}"
    return f"{day}, {_clock(start)} {start.tzname()} – {end.strftime('%a, %b %-d, %Y')}, {_clock(end)} {end.tzname()}"


def session_day(session: dict) -> str:
    return to_local(session["starts_at"]).strftime("%a, %b %-d, %Y")


def session_place(session: dict) -> str:
    """Venue and room, or "Online"; the address and link are shown separately."""
    parts = [part for part in (session.get("venue_name"), session.get("room_name")) if part]
    place = ", ".join(parts)
    if session.get("online_url") and not place:
        place = "Online"
    if session.get("location_note"):
        place = f"{place} ({session['location_note']})" if place else session["location_note"]
    return place or "Location to be announced"


PRESENTATION = {
    "session_when": session_when,
    "session_day": session_day,
    "session_place": session_place,
    "audience_labels": AUDIENCE_LABELS,
    "format_labels": FORMAT_LABELS,
    "grade_band_labels": GRADE_BAND_LABELS,
}


def _first_values(request: Request) -> dict[str, str]:
    return {
        name: request.query_params.get(name) for name in FILTER_PARAMS if request.query_params.get(name) is not None
    }


def catalog_url(query: CatalogQuery, page_number: int | None = None) -> str:
    params = query.as_params()
    if page_number and page_number > 1:
        params["page"] = str(page_number)
    return "/workshops" + (f"?{urlencode(params)}" if params else "")


async def workshop_context(request: Request, offering_id: int, **overrides) -> dict:
    """Everything /workshops/{id} shows; the register handlers re-render it with their errors or report."""
    actor = current_actor(request)
    workshop = await workshop_details(actor, offering_id)
    if workshop["kind"] != "workshop":
        raise NotFound("No such workshop.")
    district = workshop["viewer_district"]
    context = {
        **PRESENTATION,
        "workshop": workshop,
        "my_registration": await current_registration(actor, offering_id),
        "can_register_others": actor is not None
        and (actor.is_staff or actor.is_coordinator)
        and workshop["status"] == "published",
        "district": district,
        "card_payments": card_payments_available(),
        "form": {"payer": "district" if workshop["price"] > 0 and district else "", "po_number": ""},
        "form_errors": {},
        "form_error": None,
        "bulk_form": {"people": "", "po_number": ""},
        "bulk_errors": {},
        "bulk_problems": [],
        "bulk_report": None,
        "staff_contact": STAFF_CONTACT,
        "quick_add": quick_add_links(workshop, workshop["sessions"]),
    }
    context.update(overrides)
    return context


class CatalogPagesController(Controller):
    path = "/workshops"
    include_in_schema = False

    @get("/", name="catalog.workshops")
    async def index(self, request: Request, actor: OptionalActor) -> object:
        subjects = await catalog_subjects()
        raw = _first_values(request)
        errors: dict[str, str] = {}
        result = None
        try:
            query = parse_catalog_query(raw, subjects)
            result = await browse_catalog(actor, query)
        except InvalidInput as error:
            errors = error.field_errors
            query = CatalogQuery()
        context = {
            **PRESENTATION,
            "result": result,
            "errors": errors,
            "raw": raw,
            "subject_options": [(s, s) for s in subjects],
            "audiences": AUDIENCES,
            "formats": FORMATS,
            "grade_bands": GRADE_BANDS,
            "page_size": PAGE_SIZE,
            "fragment": wants_fragment(request),
            "page_url": lambda number: catalog_url(result.query, number) if result else "/workshops",
        }
        response = page_or_fragment(
            request, "catalog/workshops.html", "catalog/_results.html", status=400 if errors else 200, **context
        )
        if wants_fragment(request) and result is not None:
            # The address bar gets the short, shareable form of the filters (only those set).
            response.headers["HX-Push-Url"] = catalog_url(result.query, result.page)
        return response

    @get("/{offering_id:int}", name="catalog.workshop")
    async def show(self, request: Request, offering_id: FromPath[int]) -> object:
        return page(request, "catalog/workshop.html", **await workshop_context(request, offering_id))
