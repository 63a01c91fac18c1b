"""The supervisor's confirmation page: /cohorts/supervisor/{token}, for people without an account.

A GET only shows the request (mail scanners fetch links; looking never answers); the POST answers.
A link that is not valid (tampered, superseded, unknown) says only that: 404. An expired one: 410,
ask the applicant for a new link. One already answered: 409, with the answer given and when.
The CSRF cookie is set on the GET for visitors too, so the form's token works without a session.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.cohorts import supervisor
from booking.cohorts.forms import SupervisorAnswerForm
from booking.cohorts.questions import questions_for
from booking.cohorts.review import cohort_row
from booking.db import json_column
from booking.errors import InvalidInput, NotFound
from booking.web.forms import read_form
from booking.web.pages import page

NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
SUPPORT_CHOICES = {"yes": True, "no": False}


def applicant_position(questions: list[dict], answers: dict[str, str]) -> str:
    """The applicant's answer to the program's question about their current position, if it asks one."""
    for question in questions:
        if "position" in question["prompt"].lower() and answers.get(str(question["id"])):
            return answers[str(question["id"])]
    return ""


async def request_context(view: supervisor.SupervisorView) -> dict:
    application = view.application
    answers = json_column(application["answers"])
    cohort = await cohort_row(application["cohort"])
    return {
        "application": application,
        "cohort": cohort,
        "position": applicant_position(await questions_for(cohort["program"], include_retired=True), answers),
        "expires_at": view.expires_at,
    }


def link_problem(request: Request, error: Exception) -> object:
    """The page for a link that cannot be answered, or None when the error is something else."""
    if isinstance(error, supervisor.AlreadyAnswered):
        return page(
            request,
            "cohorts/supervisor_link.html",
            status=409,
            headers=NO_STORE,
            problem="answered",
            response=error.response,
            answered_at=error.when,
        )
    if isinstance(error, supervisor.LinkExpired):
        return page(request, "cohorts/supervisor_link.html", status=410, headers=NO_STORE, problem="expired")
    return page(request, "cohorts/supervisor_link.html", status=404, headers=NO_STORE, problem="invalid")


class SupervisorPagesController(Controller):
    path = "/cohorts/supervisor"
    include_in_schema = False

    @get("/{token:str}", name="cohorts.supervisor_request")
    async def show(self, request: Request, token: FromPath[str]) -> object:
        try:
            view = await supervisor.view_request(token)
        except (supervisor.AlreadyAnswered, supervisor.LinkExpired, NotFound) as error:
            return link_problem(request, error)
        return page(
            request,
            "cohorts/supervisor_request.html",
            headers=NO_STORE,
            token=token,
            form={"support": "", "comment": ""},
            errors={},
            **await request_context(view),
        )

    @post("/{token:str}", name="cohorts.supervisor_answer")
    async def answer(self, request: Request, token: FromPath[str]) -> object:
        entry = await read_form(request, SupervisorAnswerForm)
        support, comment = entry.support, entry.comment
        try:
            errors = {}
            if support not in SUPPORT_CHOICES:
                errors["support"] = "Choose whether you support this application."
            if len(comment.strip()) > supervisor.MAX_COMMENT:
                errors["comment"] = f"Keep the comment under {supervisor.MAX_COMMENT:,} characters."
            if errors:
                raise InvalidInput(errors)
            answered = await supervisor.respond(token, SUPPORT_CHOICES[support], comment)
        except InvalidInput as error:
            try:
                view = await supervisor.view_request(token)
            except (supervisor.AlreadyAnswered, supervisor.LinkExpired, NotFound) as problem:
                return link_problem(request, problem)
            return page(
                request,
                "cohorts/supervisor_request.html",
                status=422,
                headers=NO_STORE,
                token=token,
                form={"support": support, "comment": comment[:5000]},
                errors=error.field_errors,
                **await request_context(view),
            )
        except (supervisor.AlreadyAnswered, supervisor.LinkExpired, NotFound) as error:
            return link_problem(request, error)
        return page(
            request,
            "cohorts/supervisor_thanks.html",
            headers=NO_STORE,
            application=answered,
            supports=SUPPORT_CHOICES[support],
        )
