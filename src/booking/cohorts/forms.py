"""The cohorts pages' forms: one msgspec Struct per form, read with `booking.web.forms.read_form`.

The Structs check the shape of what a form sends (text and its length, ticked boxes, repeated fields,
the uploaded file); what the values mean stays with the use cases (applications, cohort_setup, questions,
review, makeups, fieldwork, completion, supervisor), whose messages the pages show beside the fields.
No JSON API takes these inputs, so nothing is shared with a `schemas.py`.

Two kinds of text field:

* a limit of its own (`text_field(N)`): more than N characters is "Use at most N characters.", an
  error of the request as a whole (the handlers read these forms before their own error handling);
* `AnyText`: bounded only by the input boundary (booking.web.input_boundary.MAX_TEXT_CHARS), because
  the page shows the text again beside the use case's own message, or states the limit itself.
"""

from __future__ import annotations

from litestar.datastructures import UploadFile

from booking.errors import InvalidInput
from booking.web.forms import AnyText, Form, optional_id, text_field

Text100 = text_field(100)
Text200 = text_field(200)
Text2000 = text_field(2000)
Text4000 = text_field(4000)
Text5000 = text_field(5000)
Text10k = text_field(10_000)
Text20k = text_field(20_000)
Text100k = text_field(100_000)


# --- The applicant's pages (pages.py) -----------------------------------------------------------


class ApplicationForm(Form):
    """/my/applications/{id}/edit. The answers to the program's questions are fields named after them
    (`q<question id>`), read beside this Struct from the form itself."""

    county: AnyText = ""
    supervisor_name: AnyText = ""
    supervisor_email: AnyText = ""
    payer: AnyText = ""
    instalments: AnyText = ""
    po_number: AnyText = ""
    action: AnyText = ""  # the button: "save" or "submit"


class DocumentForm(Form):
    """/my/applications/{id}/documents: one file and what it is."""

    label: AnyText = ""
    document: UploadFile | None = None


class WithdrawForm(Form):
    """/my/applications/{id}/withdraw."""

    reason: AnyText = ""

    def check(self) -> None:
        """The reason's limit, reported on the page that shows the reason again."""
        if len(self.reason) > REASON_MAX:
            raise InvalidInput({"reason": f"Use at most {REASON_MAX} characters."})


REASON_MAX = 300


# --- The supervisor's page (supervisor_pages.py) ------------------------------------------------


class SupervisorAnswerForm(Form):
    """/cohorts/supervisor/{token}: yes or no, and a comment (supervisor.MAX_COMMENT states its limit)."""

    support: AnyText = ""
    comment: AnyText = ""


# --- Staff: cohorts and their review (staff_pages.py) -------------------------------------------


class SettingsForm(Form):
    """/staff/cohorts/{id}/settings, and the same fields on the new cohort's form."""

    required_hours: Text200 = ""
    first_payment_due: Text200 = ""
    payment_options: list[AnyText] = []


class CohortForm(SettingsForm):
    """/staff/cohorts/new."""

    title: Text5000 = ""
    program: Text5000 = ""
    new_program: Text5000 = ""
    description: Text100k = ""
    capacity: Text5000 = ""
    tuition: Text5000 = ""
    opens: Text5000 = ""
    closes: Text5000 = ""


class DecisionForm(Form):
    """Accept, waitlist, decline or start the review of an application; `back` is the list's filters."""

    message: Text100k = ""
    back: Text2000 = ""


class QuestionForm(Form):
    """/staff/programs/{id}/questions: a new eligibility question."""

    prompt: Text5000 = ""
    kind: Text100 = ""
    choices: Text20k = ""
    required: bool = False


# --- Staff: a cohort's year (progress_pages.py) -------------------------------------------------


class MakeupForm(Form):
    """Make-up work for a missed session."""

    session: Text4000 = ""
    description: Text4000 = ""
    hours: Text4000 = ""
    due_on: Text4000 = ""

    def session_id(self) -> int | None:
        """The session picked from the list ("Choose an option from the list." otherwise), checked where the
        page reports it beside the other fields."""
        return optional_id({"session": self.session}, "session")


class FieldworkForm(Form):
    """One day's fieldwork; its field names differ from the make-up form's, which shares its page."""

    worked_on: Text10k = ""
    fieldwork_hours: Text10k = ""
    fieldwork_description: Text10k = ""


class CompletionForm(Form):
    """Recording that the participant completed the program."""

    completed_on: Text2000 = ""
    override_reason: Text2000 = ""
