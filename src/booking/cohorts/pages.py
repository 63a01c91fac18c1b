"""The applicant's pages: /cohorts (published cohorts), /cohorts/{id}, and /my/applications
(the application form with documents, the application's status, withdrawing).

Thin handlers: each parses the form, calls one use case of booking.cohorts, and renders. The
reads that build a page are gathered in the *_context functions below.
"""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Response

from booking.accounts.actor import Actor
from booking.catalog.pages import PRESENTATION
from booking.clock import LOCAL_TZ, utc_now
from booking.cohorts import documents, review
from booking.cohorts.applications import (
    ApplicationInput,
    application_window,
    get_application,
    get_cohort,
    live_application,
    my_applications,
    open_cohorts,
    resend_supervisor_link,
    save_draft,
    start_application,
    submit,
    waitlist_position,
)
from booking.cohorts.counties import COUNTY_CHOICES, HOME_COUNTY
from booking.cohorts.forms import ApplicationForm, DocumentForm, WithdrawForm
from booking.cohorts.instalments import allowed_counts, instalments_of, schedule
from booking.cohorts.questions import answer_field, choice_list, questions_for
from booking.errors import Conflict, InvalidInput, NotFound
from booking.money import format_cents
from booking.payments.checkout import PaymentUnavailable, start_tuition_checkout
from booking.web.forms import read_form
from booking.web.guards import OptionalActor, SignedInActor, signed_in
from booking.web.input_boundary import UPLOAD_FORM_SLACK
from booking.web.pages import page, redirect, wants_fragment

try:  # another part of issue 4: attendance, make-up work, hours and the completion letter
    from booking.cohorts.progress import participant_progress
except ImportError:  # pragma: no cover - only while that part is not there
    participant_progress = None

STATUS_WORDS = {
    "draft": "Draft — not sent yet",
    "submitted": "Submitted",
    "under_review": "Under review",
    "accepted": "Accepted",
    "waitlisted": "On the waiting list",
    "declined": "Not accepted",
    "withdrawn": "Withdrawn",
}
STATUS_EXPLAINED = {
    "draft": "You have not sent this application yet. Finish the form and submit it before applications close.",
    "submitted": "Your application is sent. The School of Education reviews applications from people working in "
    "Sacramento County first, then all others in the order they arrived.",
    "under_review": "Staff of the School of Education are reviewing your application.",
    "accepted": "You have a place in the cohort and are enrolled in every session.",
    "waitlisted": "The cohort is full for now. If a place opens, it goes to the next person on the waiting list, "
    "and we email you.",
    "declined": "Your application was not accepted for this cohort.",
    "withdrawn": "You withdrew this application.",
}
SUPERVISOR_WORDS = {"confirmed": "supports your application", "declined": "does not support your application"}
INSTALMENT_WORDS = {"owed": "Owed", "invoiced": "Invoiced", "paid": "Paid", "cancelled": "Cancelled"}
ACTIONS = ("save", "submit")  # the form's two buttons: name="action"
FIELD_LIMIT = 20_000  # far above any field's own limit, which the use case states in its message


def status_words(application: dict) -> str:
    words = STATUS_WORDS.get(application["status"], application["status"])
    position = application.get("waitlist_position")
    if application["status"] == "waitlisted" and position:
        words += f" (position {position})"
    return words


def _day(day: dt.date | None) -> str:
    return f"{day:%B %-d, %Y}" if day else ""


def payment_plans(cohort: dict) -> list[dict]:
    """Each number of payments the cohort allows, with what each payment comes to."""
    settings = cohort["settings"]
    first_due = settings["first_payment_due"]
    total = cohort["price_cents"]
    plans = []
    for count in allowed_counts(settings["instalment_options"]):
        amounts = [amount for _, amount in schedule(total, count, first_due or utc_now().astimezone(LOCAL_TZ).date())]
        if count == 1:
            label = f"One payment of {format_cents(total)}"
        elif len(set(amounts)) == 1:
            label = f"{count} monthly payments of {format_cents(amounts[0])}"
        else:
            label = (
                f"{count} monthly payments: {format_cents(amounts[0])}, then {count - 1} of {format_cents(amounts[1])}"
            )
        plans.append({"count": count, "label": label, "amounts": amounts})
    return plans


def _first_due_text(cohort: dict) -> str:
    return _day(cohort["settings"]["first_payment_due"])


COHORT_PRESENTATION = {
    **PRESENTATION,
    "status_words": status_words,
    "status_explained": STATUS_EXPLAINED,
    "supervisor_words": SUPERVISOR_WORDS,
    "instalment_words": INSTALMENT_WORDS,
    "day_text": _day,
    "home_county": HOME_COUNTY,
}


def _mine(actor: Actor, application: dict) -> dict:
    """/my/applications shows only the person's own applications (staff have their review pages)."""
    if application["applicant"] != actor.id:
        raise NotFound("No such application.")
    return application


def application_url(request: Request, application_id: int) -> str:
    return request.app.route_reverse("cohorts.my_application", application_id=application_id)


def application_form_url(request: Request, application_id: int) -> str:
    return request.app.route_reverse("cohorts.my_application_form", application_id=application_id)


async def own_application(actor: Actor, application_id: int) -> dict:
    application = _mine(actor, await get_application(actor, application_id))
    application["waitlist_position"] = await waitlist_position(application)
    return application


# --- /cohorts ------------------------------------------------------------------------------


async def cohort_context(actor: Actor | None, cohort_id: int, **overrides) -> dict:
    cohort = await get_cohort(actor, cohort_id)
    cohort["closed_reason"] = application_window(cohort, utc_now())
    context = {
        **COHORT_PRESENTATION,
        "cohort": cohort,
        "plans": payment_plans(cohort),
        "first_due": _first_due_text(cohort),
        "mine": await live_application(actor, cohort_id) if actor is not None else None,
        "form_error": None,
    }
    context.update(overrides)
    return context


class CohortPagesController(Controller):
    path = "/cohorts"
    include_in_schema = False

    @get("/", name="cohorts.cohorts")
    async def index(self, request: Request, actor: OptionalActor) -> object:
        cohorts = await open_cohorts(actor)
        return page(request, "cohorts/cohorts.html", cohorts=cohorts, **COHORT_PRESENTATION)

    @get("/{cohort_id:int}", name="cohorts.cohort")
    async def show(self, request: Request, actor: OptionalActor, cohort_id: FromPath[int]) -> object:
        return page(request, "cohorts/cohort.html", **await cohort_context(actor, cohort_id))

    @post("/{cohort_id:int}/apply", name="cohorts.cohort_apply", guards=[signed_in])
    async def apply(self, request: Request, actor: SignedInActor, cohort_id: FromPath[int]) -> object:
        try:
            application_id = await start_application(actor, cohort_id)
        except Conflict as error:
            return page(
                request,
                "cohorts/cohort.html",
                status=409,
                **await cohort_context(actor, cohort_id, form_error=error.message),
            )
        return redirect(request, application_form_url(request, application_id))


# --- /my/applications ----------------------------------------------------------------------


def _field(form, name: str) -> str:
    """A form field as text; anything else (a file sent in a text field) counts as empty."""
    value = form.get(name)
    return value[:FIELD_LIMIT] if isinstance(value, str) else ""


def form_from_request(entry: ApplicationForm, answers, questions: list[dict]) -> dict:
    """What the person typed, kept as typed, to show again and to hand to the use case. `answers` is the form
    itself: its answer fields are named after the program's questions."""
    return {
        "answers": {answer_field(q["id"]): _field(answers, answer_field(q["id"])) for q in questions},
        "county": entry.county[:FIELD_LIMIT],
        "supervisor_name": entry.supervisor_name[:FIELD_LIMIT],
        "supervisor_email": entry.supervisor_email[:FIELD_LIMIT],
        "payer": entry.payer[:FIELD_LIMIT] or "participant",
        "instalments": entry.instalments[:FIELD_LIMIT] or "1",
        "po_number": entry.po_number[:FIELD_LIMIT],
    }


def form_from_application(application: dict) -> dict:
    return {
        "answers": {answer_field(int(qid)): value for qid, value in application["answers"].items() if qid.isdigit()},
        "county": application["county"],
        "supervisor_name": application["supervisor_name"],
        "supervisor_email": application["supervisor_email"],
        "payer": application["payer"],
        "instalments": str(application["instalments"]),
        "po_number": application["po_number"],
    }


def _input(values: dict) -> ApplicationInput:
    return ApplicationInput(
        answers=values["answers"],
        county=values["county"],
        supervisor_name=values["supervisor_name"],
        supervisor_email=values["supervisor_email"],
        payer=values["payer"],
        instalments=values["instalments"],
        po_number=values["po_number"],
    )


async def documents_context(
    application: dict, *, doc_errors: dict | None = None, doc_label: str = "", doc_added: str | None = None
) -> dict:
    return {
        "application": application,
        "documents": await documents.documents_of(application["id"]),
        "doc_errors": doc_errors or {},
        "doc_label": doc_label,
        "doc_added": doc_added,
        "max_documents": documents.MAX_DOCUMENTS,
    }


async def edit_context(
    actor: Actor,
    application: dict,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    form_error: str | None = None,
    **document_state,
) -> dict:
    cohort = await get_cohort(actor, application["cohort"])
    questions = await questions_for(cohort["program"])
    return {
        **COHORT_PRESENTATION,
        "cohort": cohort,
        "questions": questions,
        "choice_list": choice_list,
        "answer_field": answer_field,
        "form": values or form_from_application(application),
        "errors": errors or {},
        "form_error": form_error,
        "counties": [(county, county) for county in COUNTY_CHOICES],
        "plans": payment_plans(cohort),
        "first_due": _first_due_text(cohort),
        "closed_reason": application_window(cohort, utc_now()),
        **await documents_context(application, **document_state),
    }


def answered_questions(questions: list[dict], answers: dict[str, str]) -> list[dict]:
    """The questions as the person answered them; a retired question still shows its answer."""
    rows = []
    for question in questions:
        answer = answers.get(str(question["id"]), "")
        if not question["is_active"] and not answer:
            continue
        if question["kind"] == "yes_no" and answer:
            answer = answer.capitalize()
        rows.append(
            {
                "prompt": question["prompt"],
                "answer": answer,
                "kind": question["kind"],
                "retired": not question["is_active"],
            }
        )
    return rows


async def view_context(actor: Actor, application: dict, **extra) -> dict:
    cohort = await get_cohort(actor, application["cohort"])
    questions = await questions_for(cohort["program"], include_retired=True)
    progress = None
    if participant_progress is not None and application["status"] == "accepted":
        progress = await participant_progress(actor, application)
    return {
        **COHORT_PRESENTATION,
        "application": application,
        "cohort": cohort,
        "answered": answered_questions(questions, application["answers"]),
        "documents": await documents.documents_of(application["id"]),
        "instalments": await instalments_of(application["id"]),
        "plans": payment_plans(cohort),
        "can_withdraw": application["status"] in review.WITHDRAWABLE and cohort["status"] != "completed",
        "can_resend": application["status"] in ("submitted", "under_review", "waitlisted", "accepted")
        and not application["supervisor_response"],
        "resend_error": None,
        "progress": progress,
        **extra,
    }


class MyApplicationsController(Controller):
    path = "/my/applications"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="cohorts.my_applications")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return page(
            request, "cohorts/my_applications.html", applications=await my_applications(actor), **COHORT_PRESENTATION
        )

    @get("/{application_id:int}", name="cohorts.my_application")
    async def show(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        return page(request, "cohorts/application.html", **await view_context(actor, application))

    @post("/{application_id:int}/instalments/{instalment_id:int}/pay", name="cohorts.instalment_pay")
    async def pay_instalment(
        self, request: Request, actor: SignedInActor, application_id: FromPath[int], instalment_id: FromPath[int]
    ) -> object:
        await own_application(actor, application_id)  # 404 for anyone else's
        try:
            url = await start_tuition_checkout(actor, instalment_id)
        except (PaymentUnavailable, Conflict):
            return redirect(request, application_url(request, application_id), notice="payment-unavailable")
        return redirect(request, url)

    # The form ---------------------------------------------------------------------------

    @get("/{application_id:int}/edit", name="cohorts.my_application_form")
    async def edit(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        if application["status"] != "draft":
            return redirect(request, application_url(request, application_id))
        return page(request, "cohorts/application_form.html", **await edit_context(actor, application))

    @post("/{application_id:int}/edit", name="cohorts.my_application_save")
    async def save(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        if application["status"] != "draft":
            return redirect(request, application_url(request, application_id))
        entry = await read_form(request, ApplicationForm)
        # The answers' fields are named after the program's questions (q<question id>): read from the form itself.
        answers = await request.form()
        cohort = await get_cohort(actor, application["cohort"])
        values = form_from_request(entry, answers, await questions_for(cohort["program"]))
        action = entry.action[:FIELD_LIMIT] or "save"
        try:
            if action not in ACTIONS:
                raise InvalidInput({"action": "Choose Save draft or Submit application."})
            if action == "submit":
                await submit(actor, application_id, _input(values))
                return redirect(request, application_url(request, application_id), notice="application-submitted")
            await save_draft(actor, application_id, _input(values))
        except InvalidInput as error:
            return page(
                request,
                "cohorts/application_form.html",
                status=422,
                **await edit_context(actor, application, values=values, errors=error.field_errors),
            )
        except Conflict as error:
            if error.code == "application_submitted":
                return redirect(request, application_url(request, application_id))
            return page(
                request,
                "cohorts/application_form.html",
                status=409,
                **await edit_context(actor, application, values=values, form_error=error.message),
            )
        return redirect(request, application_form_url(request, application_id), notice="application-saved")

    # Documents --------------------------------------------------------------------------

    async def _documents_response(
        self, request: Request, actor: Actor, application: dict, *, status: int = 200, **state
    ) -> object:
        if wants_fragment(request):
            return page(
                request,
                "cohorts/_documents.html",
                status=status,
                **COHORT_PRESENTATION,
                **await documents_context(application, **state),
            )
        return page(
            request, "cohorts/application_form.html", status=status, **await edit_context(actor, application, **state)
        )

    @post(
        "/{application_id:int}/documents",
        name="cohorts.document_upload",
        request_max_body_size=documents.MAX_BYTES + UPLOAD_FORM_SLACK,
    )
    async def upload(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        if application["status"] != "draft":
            return redirect(request, application_url(request, application_id))
        entry = await read_form(request, DocumentForm)
        label = entry.label[:FIELD_LIMIT]
        if entry.document is not None:
            data = await entry.document.read(documents.MAX_BYTES + 1)
            filename = entry.document.filename or ""
        else:
            data, filename = b"", ""
        try:
            await documents.add_document(actor, application_id, label=label, filename=filename, data=data)
        except InvalidInput as error:
            return await self._documents_response(
                request, actor, application, status=422, doc_errors=error.field_errors, doc_label=label
            )
        except Conflict:
            return redirect(request, application_url(request, application_id))
        if wants_fragment(request):
            return await self._documents_response(request, actor, application, doc_added=" ".join(label.split()))
        return redirect(request, application_form_url(request, application_id), notice="document-added")

    @post("/{application_id:int}/documents/{document_id:int}/remove", name="cohorts.document_remove")
    async def remove(
        self, request: Request, actor: SignedInActor, application_id: FromPath[int], document_id: FromPath[int]
    ) -> object:
        application = await own_application(actor, application_id)
        try:
            await documents.remove_document(actor, application_id, document_id)
        except Conflict:
            return redirect(request, application_url(request, application_id))
        if wants_fragment(request):
            return await self._documents_response(request, actor, application)
        return redirect(request, application_form_url(request, application_id), notice="document-removed")

    @get("/{application_id:int}/documents/{document_id:int}", name="cohorts.document")
    async def download(
        self, actor: SignedInActor, application_id: FromPath[int], document_id: FromPath[int]
    ) -> Response:
        """The file, for the applicant and for staff (their review pages link here)."""
        document = await documents.document_for(actor, application_id, document_id)
        return Response(
            content=document["content"],
            media_type=document["content_type"],
            headers={
                "Content-Disposition": f'attachment; filename="{document["filename"]}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    # After submitting -------------------------------------------------------------------

    @post("/{application_id:int}/supervisor-link", name="cohorts.supervisor_link_resend")
    async def resend(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        try:
            await resend_supervisor_link(actor, application_id)
        except Conflict as error:
            return page(
                request,
                "cohorts/application.html",
                status=409,
                **await view_context(actor, application, resend_error=error.message),
            )
        return redirect(request, application_url(request, application_id), notice="supervisor-link-sent")

    @get("/{application_id:int}/withdraw", name="cohorts.my_application_withdrawal")
    async def confirm_withdraw(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        return page(
            request, "cohorts/withdraw.html", **await view_context(actor, application), reason="", errors={}, error=None
        )

    @post("/{application_id:int}/withdraw", name="cohorts.my_application_withdraw")
    async def withdraw(self, request: Request, actor: SignedInActor, application_id: FromPath[int]) -> object:
        application = await own_application(actor, application_id)
        entry = await read_form(request, WithdrawForm)
        reason = entry.reason[:FIELD_LIMIT]
        try:
            entry.check()
            await review.withdraw(actor, application_id, reason)
        except InvalidInput as error:
            return page(
                request,
                "cohorts/withdraw.html",
                status=422,
                **await view_context(actor, application),
                reason=reason,
                errors=error.field_errors,
                error=None,
            )
        except Conflict as error:
            current = await own_application(actor, application_id)
            return page(
                request,
                "cohorts/withdraw.html",
                status=409,
                **await view_context(actor, current),
                reason=reason,
                errors={},
                error=error.message,
            )
        return redirect(request, application_url(request, application_id), notice="application-withdrawn")
