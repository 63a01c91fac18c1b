"""The scheduling pages' forms, one Struct each, read with `booking.web.forms.read_form`.

They check the shape of the input only (text and its length, a ticked box, an id from a list, the
upload); what the values mean (who pays, a position on the waiting list, an audience, a count) is
checked by the handlers and use cases, with the messages they always had.

The JSON API (schemas.RegistrationCreate) takes a different input than the registration form (an
attendee, no form fields), so the two do not share a Struct.
"""

from __future__ import annotations

from typing import Annotated

from litestar.datastructures import UploadFile
from msgspec import Meta

from booking.web.forms import Form, OptionalId


class RegistrationForm(Form):
    """POST /workshops/{id}/register: who pays ("" for the default) and the district's PO number."""

    payer: Annotated[str, Meta(max_length=20)] = ""
    po_number: Annotated[str, Meta(max_length=200)] = ""


class RegisterOthersForm(Form):
    """POST /workshops/{id}/register-others: one person a line, and the PO number for all of them."""

    people: Annotated[str, Meta(max_length=40_000)] = ""
    po_number: Annotated[str, Meta(max_length=200)] = ""


class DeclineForm(Form):
    """POST /district/approvals/{id}/decline: the coordinator's reason."""

    reason: Annotated[str, Meta(max_length=2000)] = ""


class CompleteForm(Form):
    """POST /staff/offerings/{id}/complete: "yes" once staff confirmed completing with unmarked attendance."""

    confirm_unmarked: Annotated[str, Meta(max_length=2000)] = ""


class WaitlistMoveForm(Form):
    """POST /staff/offerings/{id}/waitlist/{registration_id}/move: the new position (checked by the handler) and why."""

    position: Annotated[str, Meta(max_length=10)] = ""
    reason: Annotated[str, Meta(max_length=300)] = ""


class AttendanceMarkForm(Form):
    """POST /staff/offerings/{id}/attendance/{session_id}/{registration_id}: the mark (checked by the use case)."""

    status: Annotated[str, Meta(max_length=20)] = ""


class SheetImportForm(Form):
    """POST /staff/offerings/{id}/attendance/import: the CSV file and the session it is for (none: by its dates)."""

    sheet: UploadFile | None = None
    session: OptionalId = None


class RegistrantEmailForm(Form):
    """POST /staff/offerings/{id}/email: the message to preview."""

    audience: Annotated[str, Meta(max_length=20)] = ""
    session: OptionalId = None
    subject: Annotated[str, Meta(max_length=1000)] = ""
    body: Annotated[str, Meta(max_length=20_000)] = ""

    def fields(self) -> dict:
        """The use case's keyword arguments (registrant_email.preview / send)."""
        return {
            "audience": self.audience.strip(),
            "session_id": self.session,
            "subject": self.subject,
            "body": self.body,
        }


class RegistrantEmailSendForm(RegistrantEmailForm):
    """POST /staff/offerings/{id}/email/send: the message again, and the count of recipients staff confirmed."""

    confirm_count: Annotated[str, Meta(max_length=10)] = ""


class CalendarInvitesForm(Form):
    """POST /account/calendar/invites: whether to get calendar invites by email."""

    calendar_invites: bool = False


class StaffFeedForm(Form):
    """POST /account/calendar/staff: "venue:3", "room:7" or "program:2" (checked by feed_pages.parse_scope)."""

    scope: Annotated[str, Meta(max_length=40)] = ""
