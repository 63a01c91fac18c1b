"""Staff follow a cohort's year (/staff/cohorts/{id}/progress): hours, absences, make-up work, fieldwork, completion;
and the participant's completion letter (/my/applications/{id}/completion-letter.pdf).

Attendance itself is taken on the workshops' own sheets (/staff/offerings/{id}/attendance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response

from booking.accounts.actor import Actor
from booking.cohorts.completion import HoursShort, record_completion
from booking.cohorts.fieldwork import record_fieldwork, remove_fieldwork
from booking.cohorts.forms import CompletionForm, FieldworkForm, MakeupForm
from booking.cohorts.letters import completion_letter_pdf
from booking.cohorts.makeups import assign_makeup, complete_makeup, remove_makeup
from booking.cohorts.progress import cohort_progress, staff_participant_progress
from booking.errors import Conflict, InvalidInput
from booking.pdf import pdf_response
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles, signed_in
from booking.web.pages import page, redirect

MAKEUP_FIELDS = ("session", "description", "hours", "due_on")
COMPLETION_FIELDS = ("completed_on", "override_reason")
# The fieldwork form shares its page with the make-up form, so its own field names (and ids) differ.
FIELDWORK_FIELDS = {"worked_on": "worked_on", "hours": "fieldwork_hours", "description": "fieldwork_description"}


@dataclass
class FormState:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def person_path(request: Request, cohort_id: int, registration_id: int) -> str:
    return request.app.route_reverse(
        "cohorts.staff_progress_person", cohort_id=cohort_id, registration_id=registration_id
    )


class CohortProgressController(Controller):
    path = "/staff/cohorts"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/{cohort_id:int}/progress", name="cohorts.staff_progress")
    async def overview(self, request: Request, actor: SignedInActor, cohort_id: FromPath[int]) -> object:
        return page(request, "cohorts/staff_progress.html", overview=await cohort_progress(actor, cohort_id))

    async def _person_page(
        self,
        request: Request,
        actor: Actor,
        cohort_id: int,
        registration_id: int,
        *,
        status: int = 200,
        makeup: FormState | None = None,
        completion: FormState | None = None,
        fieldwork: FormState | None = None,
    ) -> object:
        progress = await staff_participant_progress(actor, cohort_id, registration_id)
        return page(
            request,
            "cohorts/staff_progress_person.html",
            status=status,
            progress=progress,
            makeup=makeup or FormState({name: "" for name in MAKEUP_FIELDS}),
            completion=completion or FormState({name: "" for name in COMPLETION_FIELDS}),
            fieldwork=fieldwork or FormState({name: "" for name in FIELDWORK_FIELDS.values()}),
        )

    @get("/{cohort_id:int}/progress/{registration_id:int}", name="cohorts.staff_progress_person")
    async def person(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], registration_id: FromPath[int]
    ) -> object:
        return await self._person_page(request, actor, cohort_id, registration_id)

    @post("/{cohort_id:int}/progress/{registration_id:int}/makeups", name="cohorts.makeup_assign")
    async def assign(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], registration_id: FromPath[int]
    ) -> object:
        entry = await read_form(request, MakeupForm)
        state = FormState({name: getattr(entry, name) for name in MAKEUP_FIELDS})
        try:
            await assign_makeup(
                actor,
                registration_id,
                entry.session_id(),
                entry.description,
                entry.hours,
                entry.due_on,
                cohort_id=cohort_id,
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._person_page(request, actor, cohort_id, registration_id, status=422, makeup=state)
        return redirect(request, person_path(request, cohort_id, registration_id) + "?notice=makeup-assigned#makeups")

    @post("/{cohort_id:int}/progress/{registration_id:int}/makeups/{makeup_id:int}/done", name="cohorts.makeup_done")
    async def done(
        self,
        request: Request,
        actor: SignedInActor,
        cohort_id: FromPath[int],
        registration_id: FromPath[int],
        makeup_id: FromPath[int],
    ) -> object:
        await complete_makeup(actor, makeup_id, registration_id=registration_id, cohort_id=cohort_id)
        return redirect(request, person_path(request, cohort_id, registration_id) + "?notice=makeup-done#makeups")

    @post(
        "/{cohort_id:int}/progress/{registration_id:int}/makeups/{makeup_id:int}/remove", name="cohorts.makeup_remove"
    )
    async def remove(
        self,
        request: Request,
        actor: SignedInActor,
        cohort_id: FromPath[int],
        registration_id: FromPath[int],
        makeup_id: FromPath[int],
    ) -> object:
        await remove_makeup(actor, makeup_id, registration_id=registration_id, cohort_id=cohort_id)
        return redirect(request, person_path(request, cohort_id, registration_id) + "?notice=makeup-removed#makeups")

    @post("/{cohort_id:int}/progress/{registration_id:int}/fieldwork", name="cohorts.fieldwork_add")
    async def add_fieldwork(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], registration_id: FromPath[int]
    ) -> object:
        entry = await read_form(request, FieldworkForm)
        state = FormState({name: getattr(entry, name) for name in FIELDWORK_FIELDS.values()})
        try:
            await record_fieldwork(
                actor,
                registration_id,
                state.values["worked_on"],
                state.values["fieldwork_hours"],
                state.values["fieldwork_description"],
                cohort_id=cohort_id,
            )
        except InvalidInput as error:
            state.errors = {FIELDWORK_FIELDS.get(key, key): message for key, message in error.field_errors.items()}
            return await self._person_page(request, actor, cohort_id, registration_id, status=422, fieldwork=state)
        except Conflict as error:
            state.form_error = error.message
            return await self._person_page(request, actor, cohort_id, registration_id, status=409, fieldwork=state)
        return redirect(
            request, person_path(request, cohort_id, registration_id) + "?notice=fieldwork-recorded#fieldwork"
        )

    @post(
        "/{cohort_id:int}/progress/{registration_id:int}/fieldwork/{entry_id:int}/remove",
        name="cohorts.fieldwork_remove",
    )
    async def remove_fieldwork_entry(
        self,
        request: Request,
        actor: SignedInActor,
        cohort_id: FromPath[int],
        registration_id: FromPath[int],
        entry_id: FromPath[int],
    ) -> object:
        await remove_fieldwork(actor, entry_id, registration_id=registration_id, cohort_id=cohort_id)
        return redirect(
            request, person_path(request, cohort_id, registration_id) + "?notice=fieldwork-removed#fieldwork"
        )

    @post("/{cohort_id:int}/progress/{registration_id:int}/completion", name="cohorts.completion_record")
    async def complete(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], registration_id: FromPath[int]
    ) -> object:
        entry = await read_form(request, CompletionForm)
        state = FormState({name: getattr(entry, name) for name in COMPLETION_FIELDS})
        try:
            await record_completion(
                actor,
                registration_id,
                state.values["completed_on"],
                state.values["override_reason"],
                cohort_id=cohort_id,
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._person_page(request, actor, cohort_id, registration_id, status=422, completion=state)
        except HoursShort as error:
            state.form_error = error.message
            state.errors = {"override_reason": "Give the reason to record completion although hours are missing."}
            return await self._person_page(request, actor, cohort_id, registration_id, status=409, completion=state)
        return redirect(
            request, person_path(request, cohort_id, registration_id) + "?notice=completion-recorded#completion"
        )


class CompletionLetterController(Controller):
    path = "/my/applications"
    guards = [signed_in]
    include_in_schema = False

    @get("/{application_id:int}/completion-letter.pdf", name="cohorts.completion_letter")
    async def letter(self, actor: SignedInActor, application_id: FromPath[int]) -> Response:
        return pdf_response(*await completion_letter_pdf(actor, application_id))
