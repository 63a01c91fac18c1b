"""The scheduling pages' forms, one Struct each, read with `booking.web.forms.read_form`.

They check the shape of the input only (text and its length, a ticked box, an id from a list, the
upload); what the values mean (who pays, a position on the waiting list, an audience, a count) is
checked by the handlers and use cases, with the messages they always had.

The JSON API (schemas.RegistrationCreate) takes a different input than the registration form (an
attendee, no form fields), so the two do not share a Struct.
"""

from __future__ import annotations

from litestar.datastructures import UploadFile

from booking.web.forms import Form, OptionalId, text_field


class RegistrationForm(Form):
    """POST /workshops/{id}/register: who pays ("" for the default) and the district's PO number."""

    payer: text_field(20) = ""
    po_number: text_field(200) = ""


class RegisterOthersForm(Form):
    """POST /workshops/{id}/register-others: one person a line, and the PO number for all of them."""

    people: text_field(40_000) = ""
    po_number: text_field(200) = ""


class DeclineForm(Form):
    """POST /district/approvals/{id}/decline: the coordinator's reason."""

    reason: text_field(2000) = ""


class CompleteForm(Form):
    """POST /staff/offerings/{id}/complete: "yes" once staff confirmed completing with unmarked attendance."""

    confirm_unmarked: text_field(2000) = ""


class WaitlistMoveForm(Form):
    """POST /staff/offerings/{id}/waitlist/{registration_id}/move: the new position (checked by the handler) and why."""

    position: text_field(10) = ""
    reason: text_field(300) = ""


class AttendanceMarkForm(Form):
    """POST /staff/offerings/{id}/attendance/{session_id}/{registration_id}: the mark (checked by the use case)."""

    status: text_field(20) = ""


class SheetImportForm(Form):
    """POST /staff/offerings/{id}/attendance/import: the CSV file and the session it is for (none: by its dates)."""

    sheet: UploadFile | None = None
    session: OptionalId = None


class RegistrantEmailForm(Form):
    """POST /staff/offerings/{id}/email: the message to preview."""

    audience: text_field(20) = ""
    session: OptionalId = None
    subject: text_field(1000) = ""
    body: text_field(20_000) = ""

    def fields(self) -> dict:
        """The use case's keyword arguments (registrant_email.preview / send)."""
        return {"audience": self.audience.strip(), "session_id": self.session, "subject": self.subject,
                "body": self.body}


class RegistrantEmailSendForm(RegistrantEmailForm):
    """POST /staff/offerings/{id}/email/send: the message again, and the count of recipients staff confirmed."""

    confirm_count: text_field(10) = ""


class CalendarInvitesForm(Form):
    """POST /account/calendar/invites: whether to get calendar invites by email."""

    calendar_invites: bool = False


class StaffFeedForm(Form):
    """POST /account/calendar/staff: "venue:3", "room:7" or "program:2" (checked by feed_pages.parse_scope)."""

    scope: text_field(40) = ""
