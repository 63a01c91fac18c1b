"""The Sly Park pages' forms, one Struct each, read with `booking.web.forms.read_form`.

Most Sly Park fields are *clipped*, not refused: the pages always kept the first N characters of
what was typed and let the use case say, in its own words, what is too long (its limits are
smaller); the form is then shown again with the clipped text. A `clipped(N)` field keeps that:
`read_form` accepts whatever the input boundary let through, and the Struct cuts it to N
characters. Fields the pages did refuse when too long ("Use at most N characters.") are plain
`text_field(N)` fields, refused by `read_form` with that very message.

No Sly Park form has a JSON API twin: nothing here is shared with a `schemas.py`.
The student grid's rows (`first_name-3`, ...) are named by their row number: the handler reads
those from the form body itself; only the grid's fixed fields are declared here (`StudentGridForm`).
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar.datastructures import UploadFile

from booking.slypark import cabin_leaders, family_forms
from booking.slypark.week_requests import MAX_CHOICES
from booking.web.forms import AnyText, Form, text_field


@dataclass(frozen=True)
class Clip:
    """Annotation marker: keep the first `limit` characters."""

    limit: int


def clipped(limit: int) -> Any:
    """A text field cut to `limit` characters rather than refused (see the module's docstring)."""
    return Annotated[AnyText, Clip(limit)]


@functools.cache
def _clips(schema: type) -> dict[str, int]:
    clips = {}
    for name, hint in typing.get_type_hints(schema, include_extras=True).items():
        if typing.get_origin(hint) is Annotated:
            for extra in typing.get_args(hint)[1:]:
                if isinstance(extra, Clip):
                    clips[name] = extra.limit
    return clips


class ClippedForm(Form):
    """A form whose `clipped(N)` fields hold at most N characters."""

    def __post_init__(self) -> None:
        for name, limit in _clips(type(self)).items():
            setattr(self, name, getattr(self, name)[:limit])

    def values(self) -> dict[str, Any]:
        """Field -> value: what the form shows again when the use case refuses it."""
        return msgspec.structs.asdict(self)


# --- The coordinator's pages (pages.py) ----------------------------------------------------

COORDINATOR_CLIP = 400


class WeekRequestForm(ClippedForm):
    """A school's week request: /slypark/seasons/{id}/request and /slypark/requests/{id}/edit (MAX_CHOICES weeks)."""

    school_id: clipped(COORDINATOR_CLIP) = ""
    lead_teacher_name: clipped(COORDINATOR_CLIP) = ""
    lead_teacher_email: clipped(COORDINATOR_CLIP) = ""
    boys: clipped(COORDINATOR_CLIP) = ""
    girls: clipped(COORDINATOR_CLIP) = ""
    teachers: clipped(COORDINATOR_CLIP) = ""
    choice_1: clipped(COORDINATOR_CLIP) = ""
    choice_2: clipped(COORDINATOR_CLIP) = ""
    choice_3: clipped(COORDINATOR_CLIP) = ""
    choice_4: clipped(COORDINATOR_CLIP) = ""
    choice_5: clipped(COORDINATOR_CLIP) = ""
    can_share: bool = False
    can_split: bool = False

    def choices(self) -> list[str]:
        return [getattr(self, f"choice_{n}") for n in range(1, MAX_CHOICES + 1)]


class DeclineForm(ClippedForm):
    """Declining an offer: /slypark/bookings/{id}/decline (the reason: at most 300 characters)."""

    reason: clipped(COORDINATOR_CLIP) = ""


class BookWeekForm(ClippedForm):
    """Booking a week's remaining beds: /slypark/weeks/{id}/book."""

    school_id: clipped(COORDINATOR_CLIP) = ""
    lead_teacher_name: clipped(COORDINATOR_CLIP) = ""
    lead_teacher_email: clipped(COORDINATOR_CLIP) = ""
    boys: clipped(COORDINATOR_CLIP) = ""
    girls: clipped(COORDINATOR_CLIP) = ""
    teachers: clipped(COORDINATOR_CLIP) = ""


class HeadcountForm(ClippedForm):
    """Changing a booking's numbers: /slypark/bookings/{id}/headcount (the reason: at most 300 characters)."""

    boys: clipped(COORDINATOR_CLIP) = ""
    girls: clipped(COORDINATOR_CLIP) = ""
    teachers: clipped(COORDINATOR_CLIP) = ""
    reason: clipped(COORDINATOR_CLIP) = ""


REASON_MAX = 300  # a decline's or a headcount change's reason
REASON_TOO_LONG = f"Use at most {REASON_MAX} characters."


# --- Scholarships (scholarship_pages.py) ---------------------------------------------------

SCHOLARSHIP_CLIP = 2000  # longer than any field allows: the use case says what is too long


class ScholarshipAskForm(ClippedForm):
    students: clipped(SCHOLARSHIP_CLIP) = ""
    kind: clipped(SCHOLARSHIP_CLIP) = ""
    amount_each: clipped(SCHOLARSHIP_CLIP) = ""
    reason: clipped(SCHOLARSHIP_CLIP) = ""


class ScholarshipBudgetForm(ClippedForm):
    budget: clipped(SCHOLARSHIP_CLIP) = ""


class ScholarshipDecisionForm(ClippedForm):
    students: clipped(SCHOLARSHIP_CLIP) = ""
    amount_each: clipped(SCHOLARSHIP_CLIP) = ""
    note: clipped(SCHOLARSHIP_CLIP) = ""


# --- Family links and the family's form (family_pages.py) ---------------------------------


class FamilyLinkForm(ClippedForm):
    """Reissuing a student's link (`student` only) or reminding a family (`student`, `email`)."""

    student: clipped(210) = ""
    email: clipped(300) = ""


FAMILY_CLIP = 2100

# The family's health form: the fields of family_forms.FormInput, plus the page's language.
FamilyForm = msgspec.defstruct(
    "FamilyForm",
    [("lang", clipped(10), ""), *((name, clipped(FAMILY_CLIP), "") for name in family_forms.FORM_FIELDS)],
    bases=(ClippedForm,),
    kw_only=True,
    module=__name__,
)


# --- Student grid and cabin leaders (intake_pages.py) --------------------------------------


class StudentGridForm(ClippedForm):
    """The grid's fixed fields: how many rows it sends, and "add" for five more rows. The rows themselves
    (`first_name-0`, ...) have names built from their number: the handler reads them from the form body."""

    rows: clipped(6) = ""
    action: clipped(10) = ""


class StudentImportForm(Form):
    file: UploadFile | None = None


class CabinLeaderForm(ClippedForm):
    name: clipped(300) = ""
    email: clipped(300) = ""
    high_school: clipped(300) = ""
    gender: clipped(300) = ""
    guardian_name: clipped(300) = ""
    guardian_phone: clipped(300) = ""
    guardian_email: clipped(300) = ""
    signature: clipped(300) = ""

    def leader(self) -> cabin_leaders.LeaderInput:
        return cabin_leaders.LeaderInput(**self.values())


# --- Staff: seasons, allocation, rosters (staff_pages.py, roster_pages.py) -----------------


class SeasonForm(Form):
    """A new season: /staff/slypark/new. Every field is text; staff_pages.season_input parses it."""

    name: text_field(5000) = ""
    first_week: text_field(5000) = ""
    last_week: text_field(5000) = ""
    boys_beds: text_field(5000) = ""
    girls_beds: text_field(5000) = ""
    cabin_size: text_field(5000) = ""
    price: text_field(5000) = ""
    deposit: text_field(5000) = ""
    students_per_teacher: text_field(5000) = ""
    students_per_cabin_leader: text_field(5000) = ""
    freeze_days: text_field(5000) = ""
    offer_days: text_field(5000) = ""
    requests_open_at: text_field(5000) = ""
    requests_close_at: text_field(5000) = ""
    closed_weeks: text_field(5000) = ""


class SeasonStatusForm(Form):
    status: text_field(40) = ""


class WeekBedsForm(Form):
    boys_beds: text_field(20) = ""
    girls_beds: text_field(20) = ""


class RequestPriorityForm(Form):
    """Staff's priority for one request. `tier` and `pinned_week` stay text: the page shows them again as typed."""

    tier: text_field(10) = ""
    returning_school: bool = False
    pinned_week: text_field(20) = ""
    excluded: bool = False


class AllocationForm(Form):
    """Running the allocation. A preset chosen by its words stands for its numbers; "custom" (or none: an older
    form) uses the typed ones."""

    choice_weights: text_field(100) = ""
    split_penalty: text_field(20) = ""
    choice_preset: text_field(30) = ""
    split_preset: text_field(30) = ""


class PublishForm(Form):
    """Publishing a run's offers: the number of emails the confirmation page named."""

    confirm_emails: text_field(10) = ""


class CloseWeekForm(Form):
    reason: text_field(2000) = ""
    confirm: bool = False
