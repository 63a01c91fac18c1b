"""A booking's students and cabin leaders.

/slypark/bookings/{id}/students          the student grid, CSV import, and the nurse's CSV (medical.csv)
/slypark/bookings/{id}/cabin-leaders     who signed up, and the link to share
/slypark/cabin-leaders/{code}            the public sign-up page for high-school volunteers (no account)

Thin handlers: parse, call one use case of booking.slypark.intake / cabin_leaders, render.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.csv_files import csv_response
from booking.errors import Conflict, InvalidInput, NotFound
from booking.slypark import cabin_leaders, intake
from booking.slypark.forms import CabinLeaderForm, StudentGridForm, StudentImportForm
from booking.slypark.pages import PRESENTATION, week_label
from booking.web.forms import decode_form, read_form
from booking.web.guards import SignedInActor, roles
from booking.web.input_boundary import UPLOAD_FORM_SLACK
from booking.web.pages import page, redirect

NO_STORE = {"Cache-Control": "no-store"}
PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
GRID_EXTRA = 5
MAX_ROWS = intake.MAX_STUDENTS + 20
LEADER_FIELDS = CabinLeaderForm.__struct_fields__
GRID_CELL_CLIP = 2100


def _cell(form, name: str) -> str:
    value = form.get(name)
    return value[:GRID_CELL_CLIP] if isinstance(value, str) else ""


def _row_count(entry: StudentGridForm) -> int:
    value = entry.rows.strip()
    return min(int(value), MAX_ROWS) if value.isascii() and value.isdigit() else 0


async def intake_context(
    actor: Actor,
    booking_id: int,
    *,
    rows: list[dict] | None = None,
    errors: dict | None = None,
    form_error: str | None = None,
    import_errors: dict | None = None,
    import_message: str | None = None,
) -> dict:
    data = await intake.view_intake(actor, booking_id)
    if rows is None:
        rows = [{name: s[name] for name in intake.FIELDS} for s in data.students]
        rows += [dict.fromkeys(intake.FIELDS, "") for _ in range(GRID_EXTRA if rows else 10)]
    booking = data.booking
    return {
        **PRESENTATION,
        "booking": booking,
        "week_text": week_label(booking["starts_on"], booking["ends_on"]),
        "intake": data,
        "rows": rows,
        "errors": errors or {},
        "form_error": form_error,
        "import_errors": import_errors or {},
        "import_message": import_message,
        "editable": booking["status"] in ("offered", "confirmed"),
    }


class IntakeController(Controller):
    path = "/slypark/bookings"
    guards = [roles("coordinator", "staff")]
    include_in_schema = False

    @get("/{booking_id:int}/students", name="slypark.students")
    async def students(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        return page(request, "slypark/intake.html", headers=NO_STORE, **await intake_context(actor, booking_id))

    @post("/{booking_id:int}/students", name="slypark.students_save")
    async def save(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        # A dynamic grid: the rows' fields are named by their row number (`first_name-3`), so they are read from the
        # form body itself, each cell clipped like a text field; the grid's fixed fields come through StudentGridForm.
        form = await request.form()
        entry = decode_form(form, StudentGridForm)
        rows = [{name: _cell(form, f"{name}-{i}") for name in intake.FIELDS} for i in range(_row_count(entry))]
        if entry.action == "add":
            rows += [dict.fromkeys(intake.FIELDS, "") for _ in range(GRID_EXTRA)]
            return page(
                request,
                "slypark/intake.html",
                headers=NO_STORE,
                **await intake_context(actor, booking_id, rows=rows[:MAX_ROWS]),
            )
        try:
            await intake.save_grid(actor, booking_id, [intake.StudentInput(**row) for row in rows])
        except InvalidInput as error:
            return page(
                request,
                "slypark/intake.html",
                status=422,
                headers=NO_STORE,
                **await intake_context(
                    actor, booking_id, rows=rows, errors=error.field_errors, form_error=error.message
                ),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/intake.html",
                status=409,
                headers=NO_STORE,
                **await intake_context(actor, booking_id, rows=rows, form_error=error.message),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.students", booking_id=booking_id),
            notice="slypark-students-saved",
        )

    @post(
        "/{booking_id:int}/students/import",
        name="slypark.students_import",
        request_max_body_size=intake.MAX_FILE_BYTES + UPLOAD_FORM_SLACK,
    )
    async def import_file(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        upload = (await read_form(request, StudentImportForm)).file
        try:
            if upload is not None:
                data, filename = await upload.read(intake.MAX_FILE_BYTES + 1), upload.filename or ""
            else:
                data, filename = b"", ""
            await intake.import_students(actor, booking_id, filename=filename, data=data)
        except InvalidInput as error:
            return page(
                request,
                "slypark/intake.html",
                status=422,
                headers=NO_STORE,
                **await intake_context(
                    actor, booking_id, import_errors=error.field_errors, import_message=error.message
                ),
            )
        except Conflict as error:
            return page(
                request,
                "slypark/intake.html",
                status=409,
                headers=NO_STORE,
                **await intake_context(actor, booking_id, form_error=error.message),
            )
        return redirect(
            request,
            request.app.route_reverse("slypark.students", booking_id=booking_id),
            notice="slypark-students-imported",
        )

    @get("/{booking_id:int}/students/medical.csv", name="slypark.students_medical_csv")
    async def medical(self, booking_id: FromPath[int], actor: SignedInActor) -> Response:
        return csv_response(*await intake.medical_csv(actor, booking_id))

    @get("/{booking_id:int}/cabin-leaders", name="slypark.cabin_leaders")
    async def leaders(self, request: Request, booking_id: FromPath[int], actor: SignedInActor) -> object:
        data = await cabin_leaders.leaders_of(actor, booking_id)
        booking = data.booking
        link = (
            str(request.base_url).rstrip("/")
            + request.app.route_reverse("slypark.cabin_leader_signup", code=booking["cabin_leader_code"])
            if booking["cabin_leader_code"]
            else ""
        )
        return page(
            request,
            "slypark/leaders.html",
            **PRESENTATION,
            booking=booking,
            data=data,
            link=link,
            week_text=week_label(booking["starts_on"], booking["ends_on"]),
            open=booking["status"] in cabin_leaders.OPEN_STATUSES,
            agreement_version=cabin_leaders.AGREEMENT_VERSION,
        )

    @get("/{booking_id:int}/cabin-leaders/{leader_id:int}/remove", name="slypark.cabin_leader_remove_confirm")
    async def confirm_removal(
        self, request: Request, booking_id: FromPath[int], leader_id: FromPath[int], actor: SignedInActor
    ) -> object:
        """A page that asks first, so removal works the same without JavaScript."""
        booking, leader = await cabin_leaders.leader_for_removal(actor, booking_id, leader_id)
        return page(
            request,
            "slypark/leader_remove.html",
            booking=booking,
            leader=leader,
            week_text=week_label(booking["starts_on"], booking["ends_on"]),
        )

    @post("/{booking_id:int}/cabin-leaders/{leader_id:int}/remove", name="slypark.cabin_leader_remove")
    async def remove(
        self, request: Request, booking_id: FromPath[int], leader_id: FromPath[int], actor: SignedInActor
    ) -> object:
        await cabin_leaders.remove_leader(actor, booking_id, leader_id)
        return redirect(
            request,
            request.app.route_reverse("slypark.cabin_leaders", booking_id=booking_id),
            notice="slypark-leader-removed",
        )


def _signup_context(booking: dict, form: dict, errors: dict) -> dict:
    return {
        **PRESENTATION,
        "booking": booking,
        "week_text": week_label(booking["starts_on"], booking["ends_on"]),
        "form": form,
        "errors": errors,
        "agreement_text": cabin_leaders.AGREEMENT_TEXT,
        "agreement_version": cabin_leaders.AGREEMENT_VERSION,
    }


def _link_problem(request: Request, error: Exception) -> object:
    status = 409 if isinstance(error, Conflict) else 404
    return page(
        request,
        "slypark/leaders_link.html",
        status=status,
        headers=PUBLIC_HEADERS,
        problem="closed" if status == 409 else "unknown",
    )


class CabinLeaderSignUpController(Controller):
    path = "/slypark/cabin-leaders"
    include_in_schema = False

    @get("/{code:str}", name="slypark.cabin_leader_signup")
    async def show(self, request: Request, code: FromPath[str]) -> object:
        try:
            booking = await cabin_leaders.booking_for_code(code)
            cabin_leaders.check_open(booking)
        except (NotFound, Conflict) as error:
            return _link_problem(request, error)
        return page(
            request,
            "slypark/leaders_signup.html",
            headers=PUBLIC_HEADERS,
            code=code,
            **_signup_context(booking, dict.fromkeys(LEADER_FIELDS, ""), {}),
        )

    @post("/{code:str}", name="slypark.cabin_leader_sign")
    async def sign(self, request: Request, code: FromPath[str]) -> object:
        entry = await read_form(request, CabinLeaderForm)
        values = entry.values()
        try:
            leader = await cabin_leaders.sign_up(code, entry.leader())
        except InvalidInput as error:
            booking = await cabin_leaders.booking_for_code(code)
            return page(
                request,
                "slypark/leaders_signup.html",
                status=422,
                headers=PUBLIC_HEADERS,
                code=code,
                **_signup_context(booking, values, error.field_errors),
            )
        except (NotFound, Conflict) as error:
            return _link_problem(request, error)
        booking = await cabin_leaders.booking_for_code(code)
        return page(
            request,
            "slypark/leaders_thanks.html",
            headers=PUBLIC_HEADERS,
            leader=leader,
            **_signup_context(booking, values, {}),
        )
