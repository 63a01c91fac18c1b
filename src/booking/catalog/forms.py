"""The staff pages' forms, one Struct each, read with `read_form(request, <Form>)` (booking.web.forms).

The fields stay text as typed: the staff pages show a refused form again with what was typed, and the
use cases and booking.fields turn dollars, local dates and times into values with their own messages
(staff_pages.offering_input, session_input). The JSON API takes its own, typed input: catalog/schemas.py.
"""

from __future__ import annotations

from booking.web.forms import Form, Text, text_field

Short = text_field(500)
Tiny = text_field(20)


class OverrideFields(Form):
    """ "Schedule anyway": forms that may meet a scheduling conflict carry the box and the reason."""

    override: bool = False
    override_reason: Text = ""

    def reason(self) -> str | None:
        """None unless "Schedule anyway" is ticked; then the reason as typed (the use case checks it)."""
        return self.override_reason if self.override else None


class DescriptionPreviewForm(Form):
    """The htmx "Preview the description" button: only the description is read."""

    description_md: text_field(20_000) = ""


class OfferingForm(OverrideFields):
    """An offering's details (edit page; the new-offering form adds its first session)."""

    title: Text = ""
    description_md: text_field(20_000) = ""
    subject: Text = ""
    grade_band: Text = ""
    format: Text = ""
    pd_hours: Text = ""
    facilitators: Text = ""
    capacity: Text = ""
    price: Text = ""
    nonmember_price: Text = ""
    registration_opens_at: Text = ""
    registration_closes_at: Text = ""
    cancellation_deadline: Text = ""
    status: Text = ""
    attendance_rule: Text = ""
    min_attendance_hours: Text = ""
    audiences: list[Text] = []
    facilitator_ids: list[Text] = []


class NewOfferingForm(OfferingForm):
    """/staff/offerings/new: the details and, optionally, the first session (fields first_date, ...)."""

    first_date: Short = ""
    first_start_time: Short = ""
    first_end_time: Short = ""
    first_room_id: Short = ""
    first_online_url: Short = ""
    first_location_note: Short = ""


class SessionForm(OverrideFields):
    """Add a session to an offering."""

    date: Short = ""
    start_time: Short = ""
    end_time: Short = ""
    room_id: Short = ""
    online_url: Short = ""
    location_note: Short = ""


class RescheduleForm(SessionForm):
    """Change a session; `record_past` is "yes" when staff confirm moving a session that already happened."""

    record_past: Text = ""


class CapacityForm(OverrideFields):
    capacity: Tiny = ""


class CopyForm(OverrideFields):
    first_date: Tiny = ""


class CancelForm(Form):
    """Cancel an offering or one session: the reason told to the people registered."""

    reason: text_field(1000) = ""


class VenueForm(Form):
    name: Short = ""
    address: Short = ""


class VenueEditForm(VenueForm):
    is_active: bool = False


class RoomForm(Form):
    room_name: Short = ""
    room_capacity: Tiny = ""
