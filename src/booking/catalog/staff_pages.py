"""Staff build the catalog: /staff/offerings (list, create, edit, sessions, capacity, copy,
cancel) and /staff/venues (venues and rooms). Thin handlers: parse the form, call one use
case, render; a refused form is shown again with what was typed and what is wrong."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from booking.accounts.actor import Actor
from booking.catalog import deleting, editing, venues
from booking.catalog import sessions as session_cases
from booking.catalog.conflicts import WARNING_LABELS, ScheduleConflict, ScheduleWarning
from booking.catalog.forms import (
    CancelForm,
    CapacityForm,
    CopyForm,
    DescriptionPreviewForm,
    NewOfferingForm,
    OfferingForm,
    RescheduleForm,
    RoomForm,
    SessionForm,
    VenueEditForm,
    VenueForm,
)
from booking.catalog.offerings import create_offering
from booking.catalog.overview import MAX_SEARCH, WHEN_CHOICES, offering_for_staff, staff_offerings, staff_people
from booking.catalog.tables import ATTENDANCE_RULES, AUDIENCES, FORMATS, GRADE_BANDS, OFFERING_STATUSES
from booking.catalog.validation import (
    OfferingInput,
    SessionInput,
    check_offering,
    local_to_utc,
    parse_local_date,
    parse_local_datetime,
    parse_local_time,
)
from booking.clock import to_local
from booking.errors import InvalidInput, collect_field_errors
from booking.money import parse_price, plain_amount
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, page_or_fragment, redirect, wants_fragment
from booking.workflows.cancel_offering import cancel_offering

STATUS_LABELS = {"draft": "Draft", "published": "Published", "cancelled": "Cancelled", "completed": "Completed"}
FORMAT_LABELS = {"in_person": "In person", "virtual": "Virtual", "hybrid": "Hybrid"}
AUDIENCE_LABELS = {
    "teacher": "Teachers",
    "para-educator": "Para-educators",
    "administrator": "Administrators",
    "classified": "Classified staff",
}
RULE_LABELS = {"all_sessions": "Attend every session", "min_hours": "Attend a minimum number of hours"}
DETAIL_FIELDS = (
    "title",
    "description_md",
    "subject",
    "grade_band",
    "format",
    "pd_hours",
    "facilitators",
    "capacity",
    "price",
    "nonmember_price",
    "registration_opens_at",
    "registration_closes_at",
    "cancellation_deadline",
    "status",
    "attendance_rule",
    "min_attendance_hours",
)
SESSION_FIELDS = ("date", "start_time", "end_time", "room_id", "online_url", "location_note")
# Use-case field names -> the form's.
SESSION_ERROR_KEYS = {"starts_at": "start_time", "ends_at": "end_time"}
DETAIL_ERROR_KEYS = {"price_cents": "price", "nonmember_price_cents": "nonmember_price"}


def local_day(moment: dt.datetime) -> str:
    return to_local(moment).strftime("%a %b %-d, %Y")


def local_clock(moment: dt.datetime, with_zone: bool = False) -> str:
    local = to_local(moment)
    return local.strftime("%-I:%M %p") + (f" {local.tzname()}" if with_zone else "")


def choices() -> dict:
    return {
        "day": local_day,
        "clock": local_clock,
        "status_labels": STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "audience_labels": AUDIENCE_LABELS,
        "rule_labels": RULE_LABELS,
        "audiences_all": AUDIENCES,
        "formats_all": FORMATS,
        "grade_bands": GRADE_BANDS,
        "rules_all": ATTENDANCE_RULES,
        "grade_band_options": [(g, g) for g in GRADE_BANDS],
        "statuses_all": OFFERING_STATUSES,
        "warning_labels": WARNING_LABELS,
    }


# --- Reading forms -------------------------------------------------------------------------


def _local_input(moment: dt.datetime | None) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _rename(errors: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
    return {keys.get(k, k): v for k, v in errors.items()}


def details_from_offering(row: dict) -> dict:
    return {
        "title": row["title"],
        "description_md": row["description_md"],
        "audiences": row["audience_list"],
        "subject": row["subject"],
        "grade_band": row["grade_band"],
        "format": row["format"],
        "pd_hours": f"{row['pd_hours_tenths'] / 10:g}",
        "facilitators": row["facilitators"],
        "facilitator_ids": [str(i) for i in row["facilitator_ids"]],
        "capacity": str(row["capacity"]),
        "price": plain_amount(row["price_cents"]),
        "nonmember_price": plain_amount(row["nonmember_price_cents"]),
        "registration_opens_at": _local_input(row["registration_opens_at"]),
        "registration_closes_at": _local_input(row["registration_closes_at"]),
        "cancellation_deadline": _local_input(row["cancellation_deadline"]),
        "status": row["status"],
        "attendance_rule": row["attendance_rule"],
        "min_attendance_hours": f"{row['min_attendance_tenths'] / 10:g}",
    }


def blank_details() -> dict:
    return {
        **{name: "" for name in DETAIL_FIELDS},
        "audiences": [],
        "facilitator_ids": [],
        "format": "in_person",
        "status": "draft",
        "attendance_rule": "all_sessions",
        "pd_hours": "0",
        "price": "0.00",
        "min_attendance_hours": "0",
    }


def details_from_form(entry: OfferingForm) -> dict:
    values = {name: getattr(entry, name) for name in DETAIL_FIELDS}
    values["audiences"] = entry.audiences[:10]
    values["facilitator_ids"] = entry.facilitator_ids[:50]
    return values


def session_from_form(entry: SessionForm | NewOfferingForm, prefix: str = "") -> dict:
    return {name: getattr(entry, prefix + name) for name in SESSION_FIELDS}


def first_session_keys(errors: dict[str, str]) -> dict[str, str]:
    """The new-offering form's first session: its fields are named first_date, first_start_time, ..."""
    result = {}
    for key, message in errors.items():
        name = key.removeprefix("sessions[0].").removeprefix("sessions.")
        name = {"sessions": "date"}.get(name, SESSION_ERROR_KEYS.get(name, name))
        result["first_" + name if name in SESSION_FIELDS else key] = message
    return result


def session_from_row(row: dict) -> dict:
    start, end = to_local(row["starts_at"]), to_local(row["ends_at"])
    return {
        "date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"),
        "room_id": str(row["room"] or ""),
        "online_url": row["online_url"],
        "location_note": row["location_note"],
    }


def _whole_number(value: str, name: str, message: str) -> int:
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 7:
        raise InvalidInput({name: message})
    return int(value)


def _ids(values: list[str], name: str) -> list[int]:
    if not all(v.isascii() and v.isdigit() and len(v) < 12 for v in values):
        raise InvalidInput({name: "Choose from the list."})
    return [int(v) for v in values]


def offering_input(
    values: dict, sessions: list[SessionInput] | None = None, *, has_sessions: bool = False
) -> OfferingInput:
    """The typed form -> OfferingInput. Every problem is reported at once: what cannot be parsed,
    and what check_offering finds in the rest."""
    errors: dict[str, str] = {}
    capacity = collect_field_errors(
        errors, _whole_number, values["capacity"], "capacity", "Capacity must be a whole number of seats, like 30."
    )
    price = collect_field_errors(errors, parse_price, values["price"], "price")
    if price is None and "price" not in errors:
        errors["price"] = "Enter the member-district price; 0 for a free workshop."
    nonmember = collect_field_errors(errors, parse_price, values["nonmember_price"], "nonmember_price")
    moments = {
        name: collect_field_errors(errors, parse_local_datetime, values[name], name)
        for name in ("registration_opens_at", "registration_closes_at", "cancellation_deadline")
    }
    facilitator_ids = collect_field_errors(errors, _ids, values["facilitator_ids"], "facilitator_ids") or []
    data = OfferingInput(
        title=values["title"],
        capacity=capacity if capacity is not None else 1,
        price_cents=price or 0,
        nonmember_price_cents=nonmember,
        status=values["status"] or "draft",
        sessions=sessions or [],
        description_md=values["description_md"],
        audiences=values["audiences"],
        subject=values["subject"],
        grade_band=values["grade_band"],
        format=values["format"],
        pd_hours=values["pd_hours"],
        attendance_rule=values["attendance_rule"],
        min_attendance_hours=values["min_attendance_hours"] or "0",
        facilitators=values["facilitators"],
        facilitator_ids=facilitator_ids,
        **moments,
    )
    try:
        check_offering(data, has_sessions=has_sessions)
    except InvalidInput as error:
        for key, message in _rename(error.field_errors, DETAIL_ERROR_KEYS).items():
            errors.setdefault(key, message)
    if errors:
        raise InvalidInput(errors)
    return data


def session_input(values: dict) -> SessionInput:
    errors: dict[str, str] = {}
    day = collect_field_errors(errors, parse_local_date, values["date"], "date")
    start = collect_field_errors(errors, parse_local_time, values["start_time"], "start_time")
    end = collect_field_errors(errors, parse_local_time, values["end_time"], "end_time")
    room_id = None
    if values["room_id"].strip():
        room_id = collect_field_errors(
            errors, _whole_number, values["room_id"], "room_id", "Choose a room from the list."
        )
    starts_at = ends_at = None
    if day and start:
        starts_at = collect_field_errors(errors, local_to_utc, dt.datetime.combine(day, start), "start_time")
    if day and end:
        ends_at = collect_field_errors(errors, local_to_utc, dt.datetime.combine(day, end), "end_time")
    if errors:
        raise InvalidInput(errors)
    return SessionInput(
        starts_at=starts_at,
        ends_at=ends_at,
        room_id=room_id,
        online_url=values["online_url"],
        location_note=values["location_note"],
    )


def _offering_url(request: Request, offering_id: int) -> str:
    return request.app.route_reverse("catalog.staff_offering", offering_id=offering_id)


def _venue_url(request: Request, venue_id: int) -> str:
    return request.app.route_reverse("catalog.staff_venue", venue_id=venue_id)


@dataclass
class FormState:
    """What one form on a page shows: the values typed, errors, and scheduling warnings."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    warnings: list[ScheduleWarning] = field(default_factory=list)
    reason_error: str | None = None
    override_reason: str = ""
    form_error: str | None = None


def refused(state: FormState, error: Exception, keys: dict[str, str] | None = None) -> int:
    """Fill `state` from a refusal; return the status to answer with."""
    if isinstance(error, ScheduleConflict):
        state.warnings, state.reason_error = error.warnings, error.reason_error
        if error.reason_error:
            state.errors = {"override_reason": error.reason_error}
        return 409
    if isinstance(error, InvalidInput):
        state.errors = _rename(error.field_errors, keys or {})
        return 422
    raise error


# --- Offerings -----------------------------------------------------------------------------


class StaffOfferingsController(Controller):
    path = "/staff/offerings"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/", name="catalog.staff_offerings")
    async def index(
        self,
        request: Request,
        actor: SignedInActor,
        status: FromQuery[str] = "",
        when: FromQuery[str] = "upcoming",
        q: FromQuery[str] = "",
    ) -> object:
        status = status if status in OFFERING_STATUSES else ""
        when = when if when in WHEN_CHOICES else "upcoming"
        search = q[:MAX_SEARCH]
        rows = await staff_offerings(actor, status=status, when=when, search=search)
        return page_or_fragment(
            request,
            "catalog/staff_offerings.html",
            "catalog/_staff_offering_rows.html",
            offerings=rows,
            status_filter=status,
            when=when,
            search=search,
            **choices(),
        )

    # New offering ------------------------------------------------------------------------

    async def _new_page(
        self, request: Request, details: FormState, first: FormState, *, status: int = 200, preview: str | None = None
    ) -> object:
        return page(
            request,
            "catalog/staff_offering_new.html",
            status=status,
            details=details,
            first=first,
            preview=preview,
            staff=await staff_people(),
            rooms=await venues.room_choices(),
            **choices(),
        )

    @get("/new", name="catalog.staff_offering_new")
    async def new_form(self, request: Request) -> object:
        return await self._new_page(request, FormState(blank_details()), FormState({n: "" for n in SESSION_FIELDS}))

    @post("/new", name="catalog.staff_offering_create")
    async def create(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, NewOfferingForm)
        details = FormState(details_from_form(entry), override_reason=entry.override_reason)
        first = FormState(session_from_form(entry, prefix="first_"))
        wants_session = any(
            first.values[n].strip() for n in ("date", "start_time", "end_time", "room_id", "online_url")
        )
        try:
            errors: dict[str, str] = {}
            sessions: list[SessionInput] = []
            if wants_session:
                parsed = collect_field_errors(errors, session_input, first.values)
                sessions = [parsed] if parsed else []
            try:
                data = offering_input(details.values, sessions)
            except InvalidInput as error:
                errors.update(error.field_errors)
            if errors:
                raise InvalidInput(errors)
            offering_id = await create_offering(actor, data, entry.reason())
        except InvalidInput as error:
            details.errors = first_session_keys(_rename(error.field_errors, DETAIL_ERROR_KEYS))
            return await self._new_page(request, details, first, status=422)
        except ScheduleConflict as error:
            status = refused(details, error)
            return await self._new_page(request, details, first, status=status)
        return redirect(request, _offering_url(request, offering_id), notice="offering-created")

    @post("/new/preview", name="catalog.staff_offering_new_preview")
    async def preview_new(self, request: Request) -> object:
        if wants_fragment(request):
            description = (await read_form(request, DescriptionPreviewForm)).description_md
            return page(request, "catalog/_staff_preview.html", preview=description)
        entry = await read_form(request, NewOfferingForm)
        return await self._new_page(
            request,
            FormState(details_from_form(entry)),
            FormState(session_from_form(entry, prefix="first_")),
            preview=entry.description_md,
        )

    # One offering ------------------------------------------------------------------------

    async def _edit_page(
        self,
        request: Request,
        actor: Actor,
        offering_id: int,
        *,
        status: int = 200,
        preview: str | None = None,
        **states: FormState,
    ) -> object:
        offering = await offering_for_staff(actor, offering_id)
        forms = {
            "details": FormState(details_from_offering(offering)),
            "session": FormState({n: "" for n in SESSION_FIELDS}),
            "capacity": FormState({"capacity": str(offering["capacity"])}),
            "copy": FormState({"first_date": ""}),
            "publish": FormState(),
        }
        forms.update(states)
        return page(
            request,
            "catalog/staff_offering_edit.html",
            status=status,
            offering=offering,
            preview=preview,
            staff=await staff_people(),
            rooms=await venues.room_choices(),
            **forms,
            **choices(),
        )

    @get("/{offering_id:int}", name="catalog.staff_offering")
    async def edit(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        return await self._edit_page(request, actor, offering_id)

    @post("/{offering_id:int}", name="catalog.staff_offering_save")
    async def save(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        await offering_for_staff(actor, offering_id)  # an unknown workshop is a 404, whatever was typed
        entry = await read_form(request, OfferingForm)
        details = FormState(details_from_form(entry), override_reason=entry.override_reason)
        try:
            data = offering_input(details.values, has_sessions=True)
            change = await editing.update_offering(actor, offering_id, data, entry.reason())
        except (InvalidInput, ScheduleConflict) as error:
            status = refused(details, error)
            return await self._edit_page(request, actor, offering_id, status=status, details=details)
        notice = "offering-saved-promoted" if change.promoted else "offering-saved"
        return redirect(request, _offering_url(request, offering_id), notice=notice)

    @post("/{offering_id:int}/preview", name="catalog.staff_offering_preview")
    async def preview(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        await offering_for_staff(actor, offering_id)
        if wants_fragment(request):
            description = (await read_form(request, DescriptionPreviewForm)).description_md
            return page(request, "catalog/_staff_preview.html", preview=description)
        entry = await read_form(request, OfferingForm)
        return await self._edit_page(
            request, actor, offering_id, preview=entry.description_md, details=FormState(details_from_form(entry))
        )

    @post("/{offering_id:int}/capacity", name="catalog.staff_offering_capacity")
    async def capacity(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        entry = await read_form(request, CapacityForm)
        state = FormState({"capacity": entry.capacity}, override_reason=entry.override_reason)
        try:
            new = _whole_number(
                state.values["capacity"], "capacity", "Capacity must be a whole number of seats, like 30."
            )
            change = await editing.change_capacity(actor, offering_id, new, entry.reason())
        except (InvalidInput, ScheduleConflict) as error:
            status = refused(state, error)
            return await self._edit_page(request, actor, offering_id, status=status, capacity=state)
        notice = "capacity-promoted" if change.promoted else "capacity-changed"
        return redirect(request, _offering_url(request, offering_id), notice=notice)

    @post("/{offering_id:int}/publish", name="catalog.staff_offering_publish")
    async def publish(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        return await self._set_status(request, actor, offering_id, "published", "offering-published")

    @post("/{offering_id:int}/unpublish", name="catalog.staff_offering_unpublish")
    async def unpublish(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        return await self._set_status(request, actor, offering_id, "draft", "offering-unpublished")

    async def _set_status(self, request: Request, actor: Actor, offering_id: int, status: str, notice: str) -> object:
        state = FormState()
        try:
            await editing.set_status(actor, offering_id, status)
        except InvalidInput as error:
            state.form_error = " ".join(error.field_errors.values())
            return await self._edit_page(request, actor, offering_id, status=422, publish=state)
        return redirect(request, _offering_url(request, offering_id), notice=notice)

    @post("/{offering_id:int}/copy", name="catalog.staff_offering_copy")
    async def copy(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        entry = await read_form(request, CopyForm)
        state = FormState({"first_date": entry.first_date}, override_reason=entry.override_reason)
        try:
            first_date = parse_local_date(state.values["first_date"], "first_date")
            new_id = await editing.copy_offering(actor, offering_id, first_date, entry.reason())
        except (InvalidInput, ScheduleConflict) as error:
            status = refused(state, error)
            return await self._edit_page(request, actor, offering_id, status=status, copy=state)
        return redirect(request, _offering_url(request, new_id), notice="offering-copied")

    @get("/{offering_id:int}/cancel", name="catalog.staff_offering_cancel_form")
    async def cancel_form(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        offering = await offering_for_staff(actor, offering_id)
        return page(
            request,
            "catalog/staff_offering_cancel.html",
            offering=offering,
            state=FormState({"reason": ""}),
            **choices(),
        )

    @post("/{offering_id:int}/cancel", name="catalog.staff_offering_cancel")
    async def cancel(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        entry = await read_form(request, CancelForm)
        state = FormState({"reason": entry.reason})
        try:
            await cancel_offering(actor, offering_id, state.values["reason"])
        except InvalidInput as error:
            state.errors = error.field_errors
            offering = await offering_for_staff(actor, offering_id)
            return page(
                request, "catalog/staff_offering_cancel.html", status=422, offering=offering, state=state, **choices()
            )
        return redirect(request, _offering_url(request, offering_id), notice="offering-cancelled")

    @get("/{offering_id:int}/delete", name="catalog.staff_offering_delete_form")
    async def delete_form(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        offering = await offering_for_staff(actor, offering_id)
        return page(request, "catalog/staff_offering_delete.html", offering=offering, **choices())

    @post("/{offering_id:int}/delete", name="catalog.staff_offering_delete")
    async def delete(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        await deleting.delete_draft(actor, offering_id)
        return redirect(request, request.app.route_reverse("catalog.staff_offerings"), notice="draft-deleted")

    # Sessions ----------------------------------------------------------------------------

    @post("/{offering_id:int}/sessions", name="catalog.staff_session_add")
    async def add_session(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        entry = await read_form(request, SessionForm)
        state = FormState(session_from_form(entry), override_reason=entry.override_reason)
        try:
            await session_cases.add_session(actor, offering_id, session_input(state.values), entry.reason())
        except (InvalidInput, ScheduleConflict) as error:
            status = refused(state, error, SESSION_ERROR_KEYS)
            return await self._edit_page(request, actor, offering_id, status=status, session=state)
        return redirect(request, _offering_url(request, offering_id), notice="session-added")

    async def _session_page(
        self,
        request: Request,
        actor: Actor,
        offering_id: int,
        session_id: int,
        state: FormState | None = None,
        *,
        status: int = 200,
        cancel_state: FormState | None = None,
    ) -> object:
        offering = await offering_for_staff(actor, offering_id)
        session = await session_cases.get_session(offering_id, session_id)
        return page(
            request,
            "catalog/staff_session_edit.html",
            status=status,
            offering=offering,
            session=session,
            state=state or FormState(session_from_row(session)),
            cancel_state=cancel_state or FormState({"reason": ""}),
            rooms=await venues.room_choices(),
            **choices(),
        )

    @get("/{offering_id:int}/sessions/{session_id:int}", name="catalog.staff_session")
    async def session_form(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> object:
        return await self._session_page(request, actor, offering_id, session_id)

    @post("/{offering_id:int}/sessions/{session_id:int}", name="catalog.staff_session_reschedule")
    async def reschedule(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> object:
        await session_cases.get_session(offering_id, session_id)  # 404 first
        entry = await read_form(request, RescheduleForm)
        state = FormState(session_from_form(entry), override_reason=entry.override_reason)
        try:
            changed = await session_cases.reschedule_session(
                actor,
                offering_id,
                session_id,
                session_input(state.values),
                entry.reason(),
                record_past=entry.record_past == "yes",
            )
        except (InvalidInput, ScheduleConflict) as error:
            status = refused(state, error, SESSION_ERROR_KEYS)
            return await self._session_page(request, actor, offering_id, session_id, state, status=status)
        return redirect(
            request,
            _offering_url(request, offering_id),
            notice="session-rescheduled" if changed else "session-unchanged",
        )

    @post("/{offering_id:int}/sessions/{session_id:int}/cancel", name="catalog.staff_session_cancel")
    async def cancel_session(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> object:
        entry = await read_form(request, CancelForm)
        cancel_state = FormState({"reason": entry.reason})
        try:
            await session_cases.cancel_session(actor, offering_id, session_id, cancel_state.values["reason"])
        except InvalidInput as error:
            cancel_state.errors = error.field_errors
            return await self._session_page(
                request, actor, offering_id, session_id, status=422, cancel_state=cancel_state
            )
        return redirect(request, _offering_url(request, offering_id), notice="session-cancelled")


# --- Venues and rooms ----------------------------------------------------------------------


class StaffVenuesController(Controller):
    path = "/staff/venues"
    guards = [roles("staff")]
    include_in_schema = False

    async def _index(
        self, request: Request, actor: Actor, state: FormState | None = None, *, status: int = 200
    ) -> object:
        return page(
            request,
            "catalog/staff_venues.html",
            status=status,
            venues=await venues.list_venues(actor),
            state=state or FormState({"name": "", "address": ""}),
        )

    @get("/", name="catalog.staff_venues")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return await self._index(request, actor)

    @post("/", name="catalog.staff_venue_create")
    async def create(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, VenueForm)
        state = FormState({"name": entry.name, "address": entry.address})
        try:
            venue_id = await venues.create_venue(actor, venues.VenueInput(**state.values))
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._index(request, actor, state, status=422)
        return redirect(request, _venue_url(request, venue_id), notice="venue-created")

    async def _venue(
        self,
        request: Request,
        actor: Actor,
        venue_id: int,
        *,
        status: int = 200,
        venue_state: FormState | None = None,
        room_state: FormState | None = None,
        edit_room: int | None = None,
        edit_state: FormState | None = None,
    ) -> object:
        venue = await venues.get_venue(actor, venue_id)
        return page(
            request,
            "catalog/staff_venue.html",
            status=status,
            venue=venue,
            venue_state=venue_state
            or FormState({"name": venue["name"], "address": venue["address"], "is_active": venue["is_active"]}),
            room_state=room_state or FormState({"room_name": "", "room_capacity": ""}),
            edit_room=edit_room,
            edit_state=edit_state,
        )

    @get("/{venue_id:int}", name="catalog.staff_venue")
    async def show(self, request: Request, actor: SignedInActor, venue_id: FromPath[int]) -> object:
        return await self._venue(request, actor, venue_id)

    @post("/{venue_id:int}", name="catalog.staff_venue_save")
    async def save(self, request: Request, actor: SignedInActor, venue_id: FromPath[int]) -> object:
        entry = await read_form(request, VenueEditForm)
        state = FormState({"name": entry.name, "address": entry.address, "is_active": entry.is_active})
        try:
            await venues.update_venue(
                actor, venue_id, venues.VenueInput(entry.name, entry.address), is_active=entry.is_active
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._venue(request, actor, venue_id, status=422, venue_state=state)
        return redirect(request, _venue_url(request, venue_id), notice="venue-saved")

    @post("/{venue_id:int}/rooms", name="catalog.staff_room_add")
    async def add_room(self, request: Request, actor: SignedInActor, venue_id: FromPath[int]) -> object:
        entry = await read_form(request, RoomForm)
        state = FormState({"room_name": entry.room_name, "room_capacity": entry.room_capacity})
        try:
            await venues.add_room(actor, venue_id, venues.RoomInput(entry.room_name, entry.room_capacity))
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._venue(request, actor, venue_id, status=422, room_state=state)
        return redirect(request, _venue_url(request, venue_id), notice="room-added")

    @post("/{venue_id:int}/rooms/{room_id:int}", name="catalog.staff_room_save")
    async def save_room(
        self, request: Request, actor: SignedInActor, venue_id: FromPath[int], room_id: FromPath[int]
    ) -> object:
        entry = await read_form(request, RoomForm)
        state = FormState({"room_name": entry.room_name, "room_capacity": entry.room_capacity})
        try:
            await venues.update_room(actor, venue_id, room_id, venues.RoomInput(entry.room_name, entry.room_capacity))
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._venue(request, actor, venue_id, status=422, edit_room=room_id, edit_state=state)
        return redirect(request, _venue_url(request, venue_id), notice="room-saved")
