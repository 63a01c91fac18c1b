"""Staff pages after the workshop: roster, attendance sheets (tap or CSV), completion, CSV exports."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from booking.accounts.actor import Actor
from booking.csv_files import csv_response
from booking.errors import InvalidInput
from booking.pdf import pdf_response
from booking.scheduling import attendance, exports, registrant_email, sign_in_sheet
from booking.scheduling.forms import (
    AttendanceMarkForm,
    CompleteForm,
    RegistrantEmailForm,
    RegistrantEmailSendForm,
    SheetImportForm,
    WaitlistMoveForm,
)
from booking.scheduling.pd_hours import AttendanceUnmarked, describe_rule
from booking.scheduling.waitlist import reorder
from booking.web.forms import decode_form, read_form
from booking.web.guards import SignedInActor, roles
from booking.web.input_boundary import UPLOAD_FORM_SLACK
from booking.web.pages import page, page_or_fragment, redirect, wants_fragment
from booking.workflows.complete_offering import complete_offering


async def roster_context(actor: Actor, offering_id: int) -> dict:
    overview = await attendance.roster_overview(actor, offering_id)
    return {
        "overview": overview,
        "offering": overview.offering,
        "sessions": overview.offering["sessions"],
        "entries": overview.entries,
        "rule": describe_rule(overview.offering),
        "status_labels": exports.STATUS_LABELS,
        "session_label": attendance.session_label,
        "move_errors": {},
        "move_target": None,
        "unmarked": None,
    }


async def sheet_context(actor: Actor, offering_id: int, session_id: int | None, **extra) -> dict:
    sheet = await attendance.attendance_sheet(actor, offering_id, session_id)
    return {
        "offering": sheet.offering,
        "sessions": sheet.sessions,
        "session": sheet.session,
        "rows": sheet.rows,
        "counts": sheet.counts,
        "session_label": attendance.session_label,
        "session_day": attendance.session_day,
        "import_errors": {},
        "import_message": None,
        "import_session": sheet.session["id"] if sheet.session else None,
        **extra,
    }


async def email_context(actor: Actor, offering_id: int, **extra) -> dict:
    overview = await attendance.roster_overview(actor, offering_id)
    return {
        "offering": overview.offering,
        "sessions": overview.offering["sessions"],
        "audiences": registrant_email.AUDIENCES,
        "messages": await registrant_email.history(actor, offering_id),
        "session_label": attendance.session_label,
        "draft": {"audience": "confirmed", "session": None, "subject": "", "body": ""},
        "errors": {},
        "preview": None,
        **extra,
    }


def _draft(form) -> dict:
    """What staff typed, to show again (never trusted: the template escapes it)."""
    value = lambda name, size: form.get(name)[:size] if isinstance(form.get(name), str) else ""  # noqa: E731 - a one-line reader, read where it is used
    session = value("session", 20)
    return {
        "audience": value("audience", 20),
        "session": int(session) if session.isascii() and session.isdigit() else None,
        "subject": value("subject", 1000),
        "body": value("body", 20000),
    }


class StaffRosterController(Controller):
    path = "/staff/offerings"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/{offering_id:int}/roster", name="scheduling.roster")
    async def roster_page(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        return page(request, "scheduling/staff_roster.html", **await roster_context(actor, offering_id))

    @post("/{offering_id:int}/complete", name="scheduling.offering_complete")
    async def complete(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        entry = await read_form(request, CompleteForm)
        try:
            await complete_offering(actor, offering_id, confirm_unmarked=entry.confirm_unmarked == "yes")
        except AttendanceUnmarked as unmarked:
            # Ask, listing who has no mark: the roster again, with the confirmation in place of the button.
            context = {**await roster_context(actor, offering_id), "unmarked": unmarked.unmarked}
            return page(request, "scheduling/staff_roster.html", status=409, **context)
        return redirect(
            request,
            request.app.route_reverse("scheduling.roster", offering_id=offering_id),
            notice="offering-completed",
        )

    @post("/{offering_id:int}/waitlist/{registration_id:int}/move", name="scheduling.waitlist_move")
    async def move_on_waitlist(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], registration_id: FromPath[int]
    ) -> object:
        try:
            # A too long position is now shown beside the field like a too long reason (it was the error page).
            entry = await read_form(request, WaitlistMoveForm)
            position = entry.position.strip()
            if not (position.isascii() and position.isdigit()):
                raise InvalidInput({"position": "Enter the new position as a whole number, 1 or more."})
            await reorder(actor, registration_id, int(position), entry.reason, offering_id)
        except InvalidInput as error:
            context = {
                **await roster_context(actor, offering_id),
                "move_errors": error.field_errors,
                "move_target": registration_id,
            }
            return page(request, "scheduling/staff_roster.html", status=422, **context)
        return redirect(
            request, request.app.route_reverse("scheduling.roster", offering_id=offering_id), notice="waitlist-moved"
        )

    @get("/{offering_id:int}/attendance", name="scheduling.attendance")
    async def sheet(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session: FromQuery[int | None] = None
    ) -> object:
        return page(
            request, "scheduling/staff_roster_attendance.html", **await sheet_context(actor, offering_id, session)
        )

    @post("/{offering_id:int}/attendance/{session_id:int}/{registration_id:int}", name="scheduling.attendance_mark")
    async def mark(
        self,
        request: Request,
        actor: SignedInActor,
        offering_id: FromPath[int],
        session_id: FromPath[int],
        registration_id: FromPath[int],
    ) -> object:
        entry = await read_form(request, AttendanceMarkForm)
        row, counts = await attendance.mark_attendance(actor, offering_id, session_id, registration_id, entry.status)
        if wants_fragment(request):
            return page(
                request,
                "scheduling/_attendance_row.html",
                offering={"id": offering_id},
                session={"id": session_id},
                row=row,
                counts=counts,
                oob=True,
            )
        return redirect(
            request,
            request.app.route_reverse("scheduling.attendance", offering_id=offering_id)
            + f"?session={session_id}&notice=attendance-saved#person-{registration_id}",
        )

    @post("/{offering_id:int}/attendance/{session_id:int}/all-present", name="scheduling.attendance_all_present")
    async def mark_all_present(
        self, request: Request, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> object:
        await attendance.mark_all_present(actor, offering_id, session_id)
        return redirect(
            request,
            request.app.route_reverse("scheduling.attendance", offering_id=offering_id) + f"?session={session_id}",
            notice="all-present",
        )

    @get("/{offering_id:int}/attendance/{session_id:int}/sign-in-sheet.pdf", name="scheduling.sign_in_sheet")
    async def sign_in_sheet_pdf(
        self, actor: SignedInActor, offering_id: FromPath[int], session_id: FromPath[int]
    ) -> Response:
        filename, pdf = await sign_in_sheet.sign_in_sheet_pdf(actor, offering_id, session_id)
        return pdf_response(filename, pdf, cache_control="no-store")

    @post(
        "/{offering_id:int}/attendance/import",
        request_max_body_size=attendance.MAX_SHEET_BYTES + UPLOAD_FORM_SLACK,
        name="scheduling.attendance_import",
    )
    async def import_sheet(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        session_id = None
        try:
            entry = await read_form(request, SheetImportForm)
            session_id, upload = entry.session, entry.sheet
            if upload is not None:
                data = await upload.read(attendance.MAX_SHEET_BYTES + 1)
                filename, content_type = upload.filename or "", upload.content_type or ""
            else:
                data, filename, content_type = b"", "", ""
            await attendance.import_sign_in_sheet(
                actor, offering_id, filename=filename, content_type=content_type, data=data, session_id=session_id
            )
        except InvalidInput as error:
            shown = None if "session" in error.field_errors else session_id  # an unknown session is shown as none
            context = await sheet_context(
                actor,
                offering_id,
                shown,
                import_errors=error.field_errors,
                import_message=error.message,
                import_session=shown,
            )
            return page_or_fragment(
                request,
                "scheduling/staff_roster_attendance.html",
                "scheduling/_attendance_import.html",
                status=422,
                **context,
            )
        target = request.app.route_reverse("scheduling.attendance", offering_id=offering_id)
        if session_id is not None:
            target += f"?session={session_id}"
        return redirect(request, target, notice="sheet-imported")

    @get("/{offering_id:int}/email", name="scheduling.email")
    async def email_page(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        return page(request, "scheduling/staff_offering_email.html", **await email_context(actor, offering_id))

    @post("/{offering_id:int}/email", name="scheduling.email_preview")
    async def email_preview(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        """Step one: check the message and show who would get it, with the count to confirm."""
        form = (
            await request.form()
        )  # kept as sent: _draft shows what staff typed again, even where the Struct refuses it
        try:
            entry = decode_form(form, RegistrantEmailForm)
            preview = await registrant_email.preview(actor, offering_id, **entry.fields())
        except InvalidInput as error:
            context = await email_context(actor, offering_id, errors=error.field_errors, draft=_draft(form))
            return page(request, "scheduling/staff_offering_email.html", status=422, **context)
        return page(
            request,
            "scheduling/staff_offering_email.html",
            **await email_context(actor, offering_id, preview=preview, draft=_draft(form)),
        )

    @post("/{offering_id:int}/email/send", name="scheduling.email_send")
    async def email_send(self, request: Request, actor: SignedInActor, offering_id: FromPath[int]) -> object:
        """Step two: send, only to the count staff confirmed."""
        form = (
            await request.form()
        )  # kept as sent: _draft shows what staff typed again, even where the Struct refuses it
        try:
            entry = decode_form(form, RegistrantEmailSendForm)
            count = entry.confirm_count.strip()
            confirmed = int(count) if count.isascii() and count.isdigit() else None
            await registrant_email.send(actor, offering_id, confirmed_count=confirmed, **entry.fields())
        except InvalidInput as error:
            context = await email_context(actor, offering_id, errors=error.field_errors, draft=_draft(form))
            return page(request, "scheduling/staff_offering_email.html", status=422, **context)
        return redirect(
            request, request.app.route_reverse("scheduling.email", offering_id=offering_id), notice="message-sent"
        )

    @get("/{offering_id:int}/exports/roster.csv", name="scheduling.export_roster")
    async def export_roster(self, actor: SignedInActor, offering_id: FromPath[int]) -> Response:
        return csv_response(*await exports.roster_csv(actor, offering_id))

    @get("/{offering_id:int}/exports/attendance.csv", name="scheduling.export_attendance")
    async def export_attendance(self, actor: SignedInActor, offering_id: FromPath[int]) -> Response:
        return csv_response(*await exports.attendance_csv(actor, offering_id))

    @get("/{offering_id:int}/exports/pd-hours.csv", name="scheduling.export_pd_hours")
    async def export_pd_hours(self, actor: SignedInActor, offering_id: FromPath[int]) -> Response:
        return csv_response(*await exports.pd_hours_csv(actor, offering_id))
