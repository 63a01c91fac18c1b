"""Staff pages for cohort programs: /staff/cohorts (list, new, settings, the review queue and its
decisions) and /staff/programs/{id}/questions. Thin handlers: parse the form or query, call one use
case (cohorts.cohort_setup), render; htmx gets fragments, plain requests full pages.

A cohort's sessions, capacity, tuition and publishing are edited on the workshops' own page,
/staff/offerings/{id}; its year (attendance, hours, completion) on /staff/cohorts/{id}/progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.clock import to_local
from booking.cohorts import application_lifecycle
from booking.cohorts import cohort_setup as setup
from booking.cohorts.forms import CohortForm, DecisionForm, QuestionForm, SettingsForm
from booking.cohorts.questions import QuestionInput, add_question, retire_question
from booking.cohorts.review import DECIDABLE
from booking.cohorts.tables import OPEN_FOR_REVIEW, QUESTION_KINDS
from booking.errors import Conflict, InvalidInput
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, page_or_fragment, redirect, wants_fragment

STATUS_LABELS = {"draft": "Draft", "published": "Published", "cancelled": "Cancelled", "completed": "Completed"}
APPLICATION_STATUS_LABELS = {status.value: label for status, label in application_lifecycle.LABELS.items()}
STATUS_FILTER_LABELS = {
    "open": "Waiting for a decision",
    "all": "All submitted applications",
    "submitted": "Submitted",
    "under_review": "Under review",
    "accepted": "Accepted",
    "waitlisted": "Waitlisted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
KIND_LABELS = {"yes_no": "Yes or no", "choice": "A choice from a list", "number": "A number", "text": "Text"}
SUPERVISOR_SHORT = {"confirmed": "Supports", "declined": "Does not support", "": "Not answered"}
SUPERVISOR_LABELS = {"confirmed": "Confirmed support", "declined": "Declined to support", "": "Not answered yet"}
PAYMENT_CHOICES = [str(n) for n in setup.PAYMENT_CHOICES]
COHORT_FIELDS = ("title", "program", "new_program", "description", "capacity", "tuition", "opens", "closes")
DECISION_NOTICES = {
    "accept": "application-accepted",
    "waitlist": "application-waitlisted",
    "decline": "application-declined",
    "start_review": "application-review-started",
}
FILTER_KEY = re.compile(r"^(status|county|supervisor|q[0-9]{1,12})$")


@dataclass
class FormState:
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    form_error: str | None = None


def local_day(moment) -> str:
    return to_local(moment).strftime("%a %b %-d, %Y") if moment else ""


def short_day(moment) -> str:
    return to_local(moment).strftime("%b %-d, %Y") if moment else ""


def labels() -> dict:
    return {
        "day": local_day,
        "short_day": short_day,
        "status_labels": STATUS_LABELS,
        "application_status_labels": APPLICATION_STATUS_LABELS,
        "status_filter_labels": STATUS_FILTER_LABELS,
        "kind_labels": KIND_LABELS,
        "supervisor_labels": SUPERVISOR_LABELS,
        "supervisor_short": SUPERVISOR_SHORT,
        "payment_choices": PAYMENT_CHOICES,
        "decidable": DECIDABLE,
        "open_for_review": OPEN_FOR_REVIEW,
    }


def _settings_values(entry: SettingsForm) -> dict:
    return {
        "required_hours": entry.required_hours,
        "first_payment_due": entry.first_payment_due,
        "payment_options": entry.payment_options[:10],
    }


def _settings_input(values: dict) -> setup.SettingsInput:
    return setup.SettingsInput(
        required_hours=values["required_hours"],
        payment_options=values["payment_options"],
        first_payment_due=values["first_payment_due"],
    )


def filter_query(raw) -> str:
    """The queue's filters as a query string (only the filters' own keys, only non-empty values)."""
    pairs = [(k, v) for k, v in raw if FILTER_KEY.match(k) and isinstance(v, str) and v.strip()]
    return urlencode(pairs[:50])


def queue_path(request: Request, cohort_id: int, query: str = "") -> str:
    return request.app.route_reverse("cohorts.staff_applications", cohort_id=cohort_id) + (f"?{query}" if query else "")


class StaffCohortsController(Controller):
    path = "/staff/cohorts"
    guards = [roles("staff")]
    include_in_schema = False

    @get("/", name="cohorts.staff_cohorts")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return page(request, "cohorts/staff_cohorts.html", cohorts=await setup.staff_cohorts(actor), **labels())

    # New cohort ----------------------------------------------------------------------------

    async def _new_page(self, request: Request, state: FormState, *, status: int = 200) -> object:
        programs = [(p["id"], p["title"]) for p in await setup.cohort_programs()]
        return page(
            request,
            "cohorts/staff_cohort_new.html",
            status=status,
            state=state,
            program_options=[*programs, (setup.NEW_PROGRAM, "A new program (name it below)")],
            **labels(),
        )

    @get("/new", name="cohorts.staff_cohort_new")
    async def new_form(self, request: Request) -> object:
        programs = await setup.cohort_programs()
        values = {name: "" for name in COHORT_FIELDS}
        values.update(
            program=str(programs[0]["id"]) if programs else setup.NEW_PROGRAM,
            required_hours="0",
            payment_options=["1"],
            first_payment_due="",
        )
        return await self._new_page(request, FormState(values))

    @post("/new", name="cohorts.staff_cohort_create")
    async def create(self, request: Request, actor: SignedInActor) -> object:
        entry = await read_form(request, CohortForm)
        values = {name: getattr(entry, name) for name in COHORT_FIELDS}
        values.update(_settings_values(entry))
        state = FormState(values)
        data = setup.CohortInput(**{name: values[name] for name in COHORT_FIELDS}, settings=_settings_input(values))
        try:
            cohort_id = await setup.create_cohort(actor, data)
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._new_page(request, state, status=422)
        return redirect(
            request, request.app.route_reverse("catalog.staff_offering", offering_id=cohort_id), notice="cohort-created"
        )

    # Settings ------------------------------------------------------------------------------

    async def _settings_page(
        self, request: Request, actor: Actor, cohort_id: int, state: FormState | None = None, *, status: int = 200
    ) -> object:
        cohort = await setup.cohort_for_staff(actor, cohort_id)
        if state is None:
            current = setup.settings_form_values(cohort["settings"])
            state = FormState(
                {
                    "required_hours": current.required_hours,
                    "payment_options": current.payment_options,
                    "first_payment_due": current.first_payment_due,
                }
            )
        return page(
            request, "cohorts/staff_cohort_settings.html", status=status, cohort=cohort, state=state, **labels()
        )

    @get("/{cohort_id:int}/settings", name="cohorts.staff_cohort_settings")
    async def settings_form(self, request: Request, actor: SignedInActor, cohort_id: FromPath[int]) -> object:
        return await self._settings_page(request, actor, cohort_id)

    @post("/{cohort_id:int}/settings", name="cohorts.staff_cohort_settings_save")
    async def save_settings(self, request: Request, actor: SignedInActor, cohort_id: FromPath[int]) -> object:
        state = FormState(_settings_values(await read_form(request, SettingsForm)))
        try:
            await setup.update_cohort_settings(actor, cohort_id, _settings_input(state.values))
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._settings_page(request, actor, cohort_id, state, status=422)
        return redirect(
            request,
            request.app.route_reverse("cohorts.staff_cohort_settings", cohort_id=cohort_id),
            notice="cohort-settings-saved",
        )

    # Review --------------------------------------------------------------------------------

    @get("/{cohort_id:int}/applications", name="cohorts.staff_applications")
    async def queue(self, request: Request, actor: SignedInActor, cohort_id: FromPath[int]) -> object:
        raw = dict(request.query_params.items())
        data = await setup.review_page(actor, cohort_id, raw)
        status = 422 if data["errors"] else 200
        return page_or_fragment(
            request,
            "cohorts/staff_review.html",
            "cohorts/staff_review_list.html",
            status=status,
            query=filter_query(request.query_params.items()),
            **data,
            **labels(),
        )

    async def _application(
        self,
        request: Request,
        actor: Actor,
        cohort_id: int,
        application_id: int,
        *,
        status: int = 200,
        error: str | None = None,
        decision: FormState | None = None,
        done: str | None = None,
        back: str | None = None,
    ) -> object:
        """The application, whole or as the panel beside the list; `back` is the list's filters, as a query string."""
        detail = await setup.application_detail(actor, cohort_id, application_id)
        back = filter_query(request.query_params.items()) if back is None else back
        return page_or_fragment(
            request,
            "cohorts/staff_application.html",
            "cohorts/staff_application_panel.html",
            status=status,
            **detail,
            query=back,
            error=error,
            decision=decision or FormState({"message": ""}),
            done=done,
            fragment=wants_fragment(request),
            **labels(),
        )

    @get("/{cohort_id:int}/applications/{application_id:int}", name="cohorts.staff_application")
    async def application(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], application_id: FromPath[int]
    ) -> object:
        return await self._application(request, actor, cohort_id, application_id)

    async def _decide(
        self, request: Request, actor: Actor, cohort_id: int, application_id: int, decision: str
    ) -> object:
        entry = await read_form(request, DecisionForm)
        state = FormState({"message": entry.message})
        back = filter_query(parse_qsl(entry.back))
        try:
            await setup.decide(actor, cohort_id, application_id, decision, state.values["message"])
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._application(
                request, actor, cohort_id, application_id, status=422, decision=state, back=back
            )
        except Conflict as error:
            return await self._application(
                request, actor, cohort_id, application_id, status=409, error=error.message, decision=state, back=back
            )
        if wants_fragment(request):
            return await self._application(request, actor, cohort_id, application_id, done=decision, back=back)
        if decision == "start_review":
            # Starting a review means reading the application now: stay on it (the list's filters kept for "back").
            target = request.app.route_reverse(
                "cohorts.staff_application", cohort_id=cohort_id, application_id=application_id
            ) + (f"?{back}" if back else "")
            return redirect(request, target, notice=DECISION_NOTICES[decision])
        return redirect(request, queue_path(request, cohort_id, back), notice=DECISION_NOTICES[decision])

    @post("/{cohort_id:int}/applications/{application_id:int}/accept", name="cohorts.staff_application_accept")
    async def accept(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], application_id: FromPath[int]
    ) -> object:
        return await self._decide(request, actor, cohort_id, application_id, "accept")

    @post("/{cohort_id:int}/applications/{application_id:int}/waitlist", name="cohorts.staff_application_waitlist")
    async def waitlist(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], application_id: FromPath[int]
    ) -> object:
        return await self._decide(request, actor, cohort_id, application_id, "waitlist")

    @post("/{cohort_id:int}/applications/{application_id:int}/decline", name="cohorts.staff_application_decline")
    async def decline(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], application_id: FromPath[int]
    ) -> object:
        return await self._decide(request, actor, cohort_id, application_id, "decline")

    @post(
        "/{cohort_id:int}/applications/{application_id:int}/start-review", name="cohorts.staff_application_start_review"
    )
    async def start_review(
        self, request: Request, actor: SignedInActor, cohort_id: FromPath[int], application_id: FromPath[int]
    ) -> object:
        return await self._decide(request, actor, cohort_id, application_id, "start_review")


def _questions_url(request: Request, program_id: int) -> str:
    return request.app.route_reverse("cohorts.program_questions", program_id=program_id)


class ProgramQuestionsController(Controller):
    path = "/staff/programs"
    guards = [roles("staff")]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        actor: Actor,
        program_id: int,
        state: FormState | None = None,
        *,
        status: int = 200,
        done: str | None = None,
    ) -> object:
        data = await setup.program_questions(actor, program_id)
        state = state or FormState({"prompt": "", "kind": "", "choices": "", "required": True})
        return page_or_fragment(
            request,
            "cohorts/staff_questions.html",
            "cohorts/staff_questions_body.html",
            status=status,
            state=state,
            done=done,
            question_kinds=QUESTION_KINDS,
            **data,
            **labels(),
        )

    @get("/{program_id:int}/questions", name="cohorts.program_questions")
    async def index(self, request: Request, actor: SignedInActor, program_id: FromPath[int]) -> object:
        return await self._page(request, actor, program_id)

    @post("/{program_id:int}/questions", name="cohorts.program_question_add")
    async def add(self, request: Request, actor: SignedInActor, program_id: FromPath[int]) -> object:
        await setup.program_questions(actor, program_id)  # an unknown program is a 404, whatever was typed
        entry = await read_form(request, QuestionForm)
        state = FormState(
            {"prompt": entry.prompt, "kind": entry.kind, "choices": entry.choices, "required": entry.required}
        )
        try:
            await add_question(
                actor,
                program_id,
                QuestionInput(
                    prompt=state.values["prompt"],
                    kind=state.values["kind"],
                    choices=state.values["choices"],
                    required=state.values["required"],
                ),
            )
        except InvalidInput as error:
            state.errors = error.field_errors
            return await self._page(request, actor, program_id, state, status=422)
        if wants_fragment(request):
            return await self._page(request, actor, program_id, done="question-added")
        return redirect(request, _questions_url(request, program_id), notice="question-added")

    @post("/{program_id:int}/questions/{question_id:int}/retire", name="cohorts.program_question_retire")
    async def retire(
        self, request: Request, actor: SignedInActor, program_id: FromPath[int], question_id: FromPath[int]
    ) -> object:
        await setup.program_questions(actor, program_id)
        await retire_question(actor, program_id, question_id)
        if wants_fragment(request):
            return await self._page(request, actor, program_id, done="question-retired")
        return redirect(request, _questions_url(request, program_id), notice="question-retired")
