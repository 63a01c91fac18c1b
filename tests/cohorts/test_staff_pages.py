"""Staff pages for cohorts, through HTTP as staff use them: the list, a new cohort, its settings, the
program's questions, the review queue with its filters, one application, and the decisions."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering, Program
from booking.cohorts import review, supervisor
from booking.cohorts.applications import start_application, submit
from booking.cohorts.documents import add_document
from booking.cohorts.tables import CohortApplication, CohortSettings, ProgramQuestion, TuitionInstalment
from booking.notifications.tables import OutboxMessage
from booking.scheduling.tables import Registration
from tests.cohorts.cohort_factory import complete_form, make_cohort, submitted_applicant
from tests.factories import csrf_token, make_user, signed_in
from tests.workshop_factory import make_workshop, staff_actor

UTC = dt.timezone.utc
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

COHORT_FORM = {
    "title": "Preliminary Administrative Services Credential, Cohort 25",
    "program": "new",
    "new_program": "Preliminary Administrative Services Credential",
    "description": "A **year** of Saturday classes.",
    "capacity": "65",
    "tuition": "4,800",
    "opens": "2027-01-04T08:00",
    "closes": "2027-04-30T17:00",
    "required_hours": "120.5",
    "payment_options": ["1", "4", "10"],
    "first_payment_due": "2027-09-01",
}


async def as_staff(client) -> Actor:
    user = await signed_in(client, await make_user("staff"))
    return Actor.from_row(user)


async def post(client, path: str, data: dict, **kwargs):
    token = await csrf_token(client, "/account")
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


def htmx(**extra) -> dict:
    return {"HX-Request": "true", **extra}


async def counts() -> tuple[int, int, int, int]:
    return (await Offering.count(), await Program.count(), await CohortSettings.count(), await ProgramQuestion.count())


async def application_row(application_id: int) -> dict:
    return await CohortApplication.select().where(CohortApplication.id == application_id).first()


# --- The list and a new cohort --------------------------------------------------------------


async def test_staff_create_a_cohort_as_a_draft_with_its_settings_and_see_it_listed(client):
    await as_staff(client)
    form = await client.get("/staff/cohorts/new")
    assert form.status_code == 200
    assert 'value="new"' in form.text and "A new program" in form.text

    response = await post(client, "/staff/cohorts/new", COHORT_FORM)

    assert response.status_code == 303, response.text[:3000]
    match = re.fullmatch(r"/staff/offerings/(\d+)\?notice=cohort-created", response.headers["location"])
    assert match, response.headers["location"]
    cohort_id = int(match.group(1))
    cohort = await Offering.select().where(Offering.id == cohort_id).first()
    assert (cohort["kind"], cohort["status"], cohort["capacity"], cohort["price_cents"]) == (
        "cohort",
        "draft",
        65,
        480_000,
    )
    # Typed in Pacific time (January: PST, April: PDT), stored in UTC.
    assert cohort["registration_opens_at"] == dt.datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
    assert cohort["registration_closes_at"] == dt.datetime(2027, 5, 1, 0, 0, tzinfo=UTC)
    program = await Program.select().where(Program.id == cohort["program"]).first()
    assert program["title"] == "Preliminary Administrative Services Credential"
    settings = await CohortSettings.select().where(CohortSettings.offering == cohort_id).first()
    assert (settings["required_hours_tenths"], settings["instalment_options"], settings["first_payment_due"]) == (
        1205,
        "1,4,10",
        dt.date(2027, 9, 1),
    )

    sessions_page = await client.get(response.headers["location"])
    assert "Add its sessions for the year" in sessions_page.text

    listing = await client.get("/staff/cohorts")
    assert listing.status_code == 200
    text = listing.text
    assert "Preliminary Administrative Services Credential, Cohort 25" in text and "Draft" in text
    assert "0 of 65" in text
    for link in (
        f"/staff/cohorts/{cohort_id}/applications",
        f"/staff/cohorts/{cohort_id}/settings",
        f"/staff/offerings/{cohort_id}",
        f"/staff/programs/{program['id']}/questions",
    ):
        assert f'href="{link}"' in text, link
    catalog = await client.get("/staff/offerings")
    assert 'href="/staff/cohorts"' in catalog.text

    # A second cohort of the same program: the program is offered in the list, and chosen.
    form = await client.get("/staff/cohorts/new")
    assert f'<option value="{program["id"]}" selected>' in form.text
    second = await post(
        client,
        "/staff/cohorts/new",
        {
            **COHORT_FORM,
            "title": "Cohort 26",
            "program": str(program["id"]),
            "new_program": "",
            "opens": "",
            "payment_options": ["1"],
            "first_payment_due": "",
            "tuition": "0",
        },
    )
    assert second.status_code == 303, second.text[:3000]
    second_id = int(re.search(r"/staff/offerings/(\d+)", second.headers["location"]).group(1))
    row = await Offering.select().where(Offering.id == second_id).first()
    assert row["program"] == program["id"] and row["registration_opens_at"] is None and row["price_cents"] == 0
    assert await Program.count() == 1
    settings = await CohortSettings.select().where(CohortSettings.offering == second_id).first()
    assert (settings["instalment_options"], settings["first_payment_due"]) == ("1", None)


async def test_a_cohort_form_with_bad_inputs_is_refused_whole_and_stores_nothing(client):
    await as_staff(client)
    before = await counts()
    response = await post(
        client,
        "/staff/cohorts/new",
        {
            "title": "  ",
            "program": "new",
            "new_program": " ",
            "description": "x",
            "capacity": "many",
            "tuition": "-5",
            "opens": "2027-05-01T09:00",
            "closes": "2027-04-01T09:00",
            "required_hours": "12.25",
            "payment_options": ["3"],
            "first_payment_due": "next autumn",
        },
    )
    assert response.status_code == 422
    text = response.text
    assert "There is a problem" in text
    for message in (
        "Give the cohort a title",
        "Name the new program",
        "whole number from 1 to",
        "Tuition cannot be negative",
        "Applications must close after they open",
        "at most one decimal place",
        "in 1, 2, 4 or 10 payments",
        "Enter a date, like",
    ):
        assert message in text, message
    for name in ("title", "new_program", "capacity", "tuition", "closes", "required_hours", "first_payment_due"):
        assert re.search(rf'id="c-{name}"[^>]*aria-invalid="true"', text, re.S), name
    assert 'value="many"' in text and 'value="next autumn"' in text  # what was typed is shown again
    assert await counts() == before

    # Nothing chosen for payments, no closing date, a capacity of 0, too many hours.
    response = await post(
        client,
        "/staff/cohorts/new",
        {
            **COHORT_FORM,
            "payment_options": [],
            "closes": "",
            "capacity": "0",
            "required_hours": "9000",
            "tuition": "$200,001",
        },
    )
    assert response.status_code == 422
    for message in (
        "in 1, 2, 4 or 10 payments",
        "Enter when applications close",
        "whole number from 1 to",
        "between 0 and 2,000 hours",
        "at most $100,000",
    ):
        assert message in response.text, message
    assert await counts() == before

    # A program that is not a cohort program (a workshop's), an id that is not a number, a name already in use.
    workshop_program = (await Offering.select(Offering.program).where(Offering.id == await make_workshop()).first())[
        "program"
    ]
    before = await counts()
    for program, message in (
        (str(workshop_program), "Choose a program from the list"),
        ("abc", "Choose a program from the list"),
    ):
        response = await post(client, "/staff/cohorts/new", {**COHORT_FORM, "program": program})
        assert response.status_code == 422 and message in response.text
    assert await counts() == before
    assert (await post(client, "/staff/cohorts/new", COHORT_FORM)).status_code == 303
    before = await counts()
    again = await post(
        client, "/staff/cohorts/new", {**COHORT_FORM, "new_program": "preliminary administrative  services credential"}
    )
    assert again.status_code == 422 and "exists already" in again.text
    assert await counts() == before


# --- Settings -------------------------------------------------------------------------------


async def test_settings_are_shown_saved_and_created_when_missing(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff, instalment_options="1,4", required_hours=20)
    page = await client.get(f"/staff/cohorts/{cohort['id']}/settings")
    assert page.status_code == 200
    assert 'value="20"' in page.text
    assert re.search(r'id="c-payment-4"[^>]*checked', page.text) and not re.search(
        r'id="c-payment-10"[^>]*checked', page.text
    )

    saved = await post(
        client,
        f"/staff/cohorts/{cohort['id']}/settings",
        {"required_hours": "180", "payment_options": ["2", "10"], "first_payment_due": "2027-10-01"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/staff/cohorts/{cohort['id']}/settings?notice=cohort-settings-saved"
    row = await CohortSettings.select().where(CohortSettings.offering == cohort["id"]).first()
    assert (row["required_hours_tenths"], row["instalment_options"], row["first_payment_due"]) == (
        1800,
        "2,10",
        dt.date(2027, 10, 1),
    )
    assert await CohortSettings.count().where(CohortSettings.offering == cohort["id"]) == 1

    refused = await post(
        client,
        f"/staff/cohorts/{cohort['id']}/settings",
        {"required_hours": "-1", "payment_options": ["1", "12"], "first_payment_due": "2027-02-30"},
    )
    assert refused.status_code == 422
    for message in ("between 0 and 2,000 hours", "in 1, 2, 4 or 10 payments", "Enter a date, like"):
        assert message in refused.text, message
    assert await CohortSettings.select().where(CohortSettings.offering == cohort["id"]).first() == row

    # A cohort made without settings (through the catalog) gets its row on the first save.
    bare = await make_workshop("Teacher Induction, Year 1", kind="cohort", staff=staff)
    assert (await client.get(f"/staff/cohorts/{bare}/settings")).status_code == 200
    saved = await post(
        client,
        f"/staff/cohorts/{bare}/settings",
        {"required_hours": "40", "payment_options": ["1"], "first_payment_due": ""},
    )
    assert saved.status_code == 303
    row = await CohortSettings.select().where(CohortSettings.offering == bare).first()
    assert (row["required_hours_tenths"], row["instalment_options"], row["first_payment_due"]) == (400, "1", None)

    # A workshop is not a cohort.
    workshop = await make_workshop(staff=staff)
    assert (await client.get(f"/staff/cohorts/{workshop}/settings")).status_code == 404
    assert (
        await post(
            client,
            f"/staff/cohorts/{workshop}/settings",
            {"required_hours": "1", "payment_options": ["1"], "first_payment_due": ""},
        )
    ).status_code == 404
    assert await CohortSettings.count().where(CohortSettings.offering == workshop) == 0


# --- Questions ------------------------------------------------------------------------------


async def test_questions_are_listed_in_order_added_and_retired_with_and_without_htmx(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff)
    path = f"/staff/programs/{cohort['program']}/questions"
    page = await client.get(path)
    assert page.status_code == 200
    prompts = [
        "Which credential do you hold?",
        "Years of experience in education",
        "Current position",
        "Is your credential clear?",
    ]
    positions = [page.text.index(p) for p in prompts]
    assert positions == sorted(positions)
    assert "Education Specialist" in page.text and "No longer asked" not in page.text

    added = await post(
        client,
        path,
        {"prompt": "  Do you hold   a CLAD authorization? ", "kind": "yes_no", "choices": "", "required": "on"},
    )
    assert added.status_code == 303 and added.headers["location"] == f"{path}?notice=question-added"
    question = (
        await ProgramQuestion.select().where(ProgramQuestion.prompt == "Do you hold a CLAD authorization?").first()
    )
    assert question["kind"] == "yes_no" and question["required"] is True and question["position"] == 5

    fragment = await post(
        client,
        path,
        {
            "prompt": "Current assignment level",
            "kind": "choice",
            "choices": "Elementary\n\nMiddle school\nHigh school\n",
        },
        headers=htmx(),
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="questions-body">') and "<html" not in fragment.text
    assert "The question is added" in fragment.text and "Middle school" in fragment.text
    stored = await ProgramQuestion.select().where(ProgramQuestion.prompt == "Current assignment level").first()
    assert stored["choices"] == "Elementary\nMiddle school\nHigh school" and stored["required"] is False

    retired = await post(client, f"{path}/{question['id']}/retire", {}, headers=htmx())
    assert retired.status_code == 200 and "No longer asked" in retired.text
    assert (await ProgramQuestion.select().where(ProgramQuestion.id == question["id"]).first())["is_active"] is False
    plain = await post(client, f"{path}/{cohort['questions']['position']}/retire", {})
    assert plain.status_code == 303 and plain.headers["location"] == f"{path}?notice=question-retired"
    page = await client.get(path)
    asked, _, no_longer = page.text.partition("No longer asked")
    assert "Current position" in no_longer and "Do you hold a CLAD authorization?" in no_longer
    assert "Current position" not in asked.split("Add a question")[0]


async def test_a_bad_question_is_refused_with_its_errors_and_nothing_is_stored(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff)
    path = f"/staff/programs/{cohort['program']}/questions"
    before = await counts()
    for form, messages in (
        ({"prompt": " ", "kind": "essay", "choices": ""}, ("Write the question.", "Choose the kind of answer")),
        ({"prompt": "Which region?", "kind": "choice", "choices": "North only"}, ("at least two choices",)),
        ({"prompt": "x" * 301, "kind": "text", "choices": ""}, ("under 300 characters",)),
    ):
        response = await post(client, path, form)
        assert response.status_code == 422, form
        assert "There is a problem" in response.text
        for message in messages:
            assert message in response.text, message
        fragment = await post(client, path, form, headers=htmx())
        assert fragment.status_code == 422 and "<html" not in fragment.text and messages[0] in fragment.text
    response = await post(client, path, {"prompt": " ", "kind": "essay", "choices": ""})
    assert re.search(r'id="qn-prompt"[^>]*aria-invalid="true"', response.text, re.S)
    assert await counts() == before

    # Unknown program, question of another program, and a workshop's program: 404, nothing changes.
    other = await make_cohort(staff, title="Clear Administrative Services Credential, Cohort 9")
    assert (await client.get("/staff/programs/999999/questions")).status_code == 404
    assert (await post(client, f"{path}/{other['questions']['years']}/retire", {})).status_code == 404
    workshop_program = (await Offering.select(Offering.program).where(Offering.id == await make_workshop()).first())[
        "program"
    ]
    assert (await client.get(f"/staff/programs/{workshop_program}/questions")).status_code == 404
    assert (
        await post(
            client,
            f"/staff/programs/{workshop_program}/questions",
            {"prompt": "Anything?", "kind": "text", "choices": ""},
        )
    ).status_code == 404
    assert await ProgramQuestion.count().where(ProgramQuestion.is_active == False) == 0


# --- The review queue -----------------------------------------------------------------------


async def supervisor_answers(application: dict, supports: bool) -> None:
    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == application["supervisor_email"])
        .order_by(OutboxMessage.id)
    )
    token = re.search(r"/cohorts/supervisor/([A-Za-z0-9._-]+)", rows[-1]["body_text"]).group(1)
    await supervisor.respond(token, supports, "Strong candidate." if supports else "")


async def test_the_queue_puts_sacramento_county_first_and_filters_with_and_without_htmx(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff, capacity=10)
    q = cohort["questions"]
    _, far = await submitted_applicant(cohort, county="Placer", supervisor_email="far@school.example", years="12")
    _, near = await submitted_applicant(
        cohort, county="Sacramento", supervisor_email="near@school.example", credential="Single Subject", years="3"
    )
    _, backed = await submitted_applicant(
        cohort, county="Sacramento", supervisor_email="backed@school.example", years="8"
    )
    await supervisor_answers(backed, True)
    base = f"/staff/cohorts/{cohort['id']}/applications"

    page = await client.get(base)
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    names = [a["applicant_name"] for a in (near, backed, far)]
    order = [page.text.index(name) for name in names]
    assert order == sorted(order)  # Sacramento County first, each group in submission order
    assert page.text.count('class="home-county">Sacramento County') >= 2
    assert '<meter id="places-meter" min="0" max="10" value="0">' in page.text
    assert "3 applications" in page.text and "Waiting for a decision" in page.text
    assert f'href="{base}/{far["id"]}"' in page.text and 'hx-target="#application-panel"' in page.text
    backed_row = page.text.split(f'id="app-row-{backed["id"]}"')[1].split("</tr>")[0]
    assert "Supports" in backed_row and "Elk Grove" in backed_row and "Submitted" in backed_row
    far_row = page.text.split(f'id="app-row-{far["id"]}"')[1].split("</tr>")[0]
    assert "Placer County" in far_row and "home-county" not in far_row and "Not answered" in far_row

    async def shown(params: dict, **kwargs) -> list[str]:
        response = await client.get(base, params=params, **kwargs)
        assert response.status_code == 200, response.text[:2000]
        return [name for name in names if name in response.text.split('id="review-list"')[1]]

    assert await shown({"county": "out"}) == [far["applicant_name"]]
    assert await shown({"county": "in"}) == [near["applicant_name"], backed["applicant_name"]]
    assert await shown({"supervisor": "confirmed"}) == [backed["applicant_name"]]
    assert await shown({"supervisor": "waiting"}) == [near["applicant_name"], far["applicant_name"]]
    assert await shown({f"q{q['credential']}": "Single Subject"}) == [near["applicant_name"]]
    assert await shown({f"q{q['years']}": "8"}) == [backed["applicant_name"], far["applicant_name"]]
    assert await shown({f"q{q['clear']}": "no"}) == []

    fragment = await client.get(base, params={"county": "in"}, headers=htmx())
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="review-list"')
    assert far["applicant_name"] not in fragment.text
    # Rows carry the filters on to the application (and its decisions, and back to the list).
    assert f"{base}/{near['id']}?county=in" in fragment.text

    for params, message in (
        ({"status": "everything"}, "Choose a status from the list"),
        ({"county": "moon"}, "Choose Sacramento County, elsewhere"),
        ({f"q{q['credential']}": "Pilot"}, "Choose one of the listed answers"),
        ({f"q{q['years']}": "lots"}, "Enter the smallest number"),
    ):
        refused = await client.get(base, params=params)
        assert refused.status_code == 422, params
        assert message in refused.text and "There is a problem with the filters" in refused.text
        assert "aria-invalid" in refused.text

    assert (await client.get(f"/staff/cohorts/{await make_workshop(staff=staff)}/applications")).status_code == 404


# --- One application and the decisions ------------------------------------------------------


async def test_an_application_shows_everything_staff_need(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff)
    person = Actor.from_row(await make_user("attendee", district="EGUSD", name="Dana Rivera"))
    application_id = await start_application(person, cohort["id"])
    document_id = await add_document(
        person, application_id, label="Copy of my teaching credential", filename="credential.pdf", data=PDF
    )
    application = await submit(
        person,
        application_id,
        complete_form(
            cohort, payer="district", po_number="PO-7731", instalments="4", supervisor_email="boss@egusd.example"
        ),
    )
    await supervisor_answers(application, True)
    await ProgramQuestion.update({ProgramQuestion.is_active: False}).where(
        ProgramQuestion.id == cohort["questions"]["position"]
    )
    path = f"/staff/cohorts/{cohort['id']}/applications/{application_id}"

    page = await client.get(path)
    assert page.status_code == 200
    text = page.text
    for shown in (
        "Dana Rivera",
        "Which credential do you hold?",
        "Multiple Subject",
        "Years of experience in education",
        "Assistant principal",
        "(no longer asked)",
        "Sacramento County",
        "Elk Grove",
        "PO-7731",
        "4 monthly payments",
        "$4,800.00",
        "Pat Principal",
        "boss@egusd.example",
        "Confirmed support",
        "Strong candidate.",
        "Copy of my teaching credential",
        f'href="/my/applications/{application_id}/documents/{document_id}"',
        "Submitted",
        "Supervisor answered",
        "Start review",
        "Accept",
        "Waitlist",
        "Decline",
        f'action="{path}/accept"',
        f'formaction="{path}/decline"',
    ):
        assert shown in text, shown
    assert "hx-post" not in text.split('class="decision-panel"')[1]  # its own page: plain forms

    panel = await client.get(path, headers=htmx())
    assert panel.status_code == 200 and "<html" not in panel.text
    assert 'id="application-heading"' in panel.text and f'hx-post="{path}/accept"' in panel.text
    assert 'hx-target="#application-panel"' in panel.text

    # An application belongs to its cohort's pages only.
    other = await make_cohort(staff, title="Another cohort")
    assert (await client.get(f"/staff/cohorts/{other['id']}/applications/{application_id}")).status_code == 404
    assert (
        await post(client, f"/staff/cohorts/{other['id']}/applications/{application_id}/accept", {})
    ).status_code == 404
    assert (await application_row(application_id))["status"] == "submitted"
    assert (await client.get(f"/staff/cohorts/{cohort['id']}/applications/999999")).status_code == 404


async def test_staff_start_review_accept_waitlist_and_decline(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff, capacity=2, tuition_cents=480_000, instalment_options="1,4")
    _, first = await submitted_applicant(cohort, instalments="4")
    _, second = await submitted_applicant(cohort, county="Yolo")
    _, third = await submitted_applicant(cohort)
    base = f"/staff/cohorts/{cohort['id']}/applications"

    started = await post(client, f"{base}/{first['id']}/start-review", {"back": "county=in&status=open&evil=1"})
    assert started.status_code == 303
    # "Start review" opens the review: the application's own page, the list's filters kept for going back.
    assert (
        started.headers["location"] == f"{base}/{first['id']}?county=in&status=open&notice=application-review-started"
    )
    assert (await application_row(first["id"]))["status"] == "under_review"
    opened = await client.get(started.headers["location"])
    assert opened.status_code == 200 and f'action="{base}/{first["id"]}/accept"' in opened.text
    assert "county=in" in opened.text  # the way back to the filtered list

    accepted = await post(client, f"{base}/{first['id']}/accept", {"message": "Welcome to Cohort 24!", "back": ""})
    assert accepted.status_code == 303 and accepted.headers["location"] == f"{base}?notice=application-accepted"
    row = await application_row(first["id"])
    assert (
        row["status"] == "accepted"
        and row["decision_message"] == "Welcome to Cohort 24!"
        and row["decided_by"] == staff.id
    )
    registration = await Registration.select().where(Registration.id == row["registration"]).first()
    assert registration["status"] == "confirmed" and registration["offering"] == cohort["id"]
    instalments = await TuitionInstalment.select().where(TuitionInstalment.application == first["id"])
    assert len(instalments) == 4 and sum(i["amount_cents"] for i in instalments) == 480_000
    queue = await client.get(accepted.headers["location"])
    assert "Accepted: the applicant has a place" in queue.text
    assert '<meter id="places-meter" min="0" max="2" value="1">' in queue.text

    # With htmx: the panel comes back with the outcome, and the row and the summary are refreshed in place.
    waitlisted = await post(client, f"{base}/{second['id']}/waitlist", {"message": ""}, headers=htmx())
    assert waitlisted.status_code == 200 and "<html" not in waitlisted.text
    assert "is number 1 on the waiting list" in waitlisted.text
    assert re.search(rf'<template><tr id="app-row-{second["id"]}"[^>]*hx-swap-oob="outerHTML"', waitlisted.text)
    assert 'id="review-summary"' in waitlisted.text and 'hx-swap-oob="outerHTML"' in waitlisted.text
    assert (await application_row(second["id"]))["status"] == "waitlisted"

    declined = await post(client, f"{base}/{third['id']}/decline", {"message": "Please apply again next year."})
    assert declined.status_code == 303
    assert (await application_row(third["id"]))["status"] == "declined"
    mail = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == third["applicant_email"])
        .order_by(OutboxMessage.id)
    )
    assert "Please apply again next year." in mail[-1]["body_text"]

    # A decision already made cannot be made again: 409, with the reason, and nothing changes.
    again = await post(client, f"{base}/{third['id']}/accept", {})
    assert again.status_code == 409 and "cannot be decided now" in again.text
    assert (await application_row(third["id"]))["status"] == "declined"
    assert await Registration.count().where(Registration.offering == cohort["id"]) == 1

    too_long = await post(client, f"{base}/{second['id']}/decline", {"message": "x" * 2001})
    assert too_long.status_code == 422 and "under 2,000 characters" in too_long.text
    assert re.search(r'id="decision-message-\d+"[^>]*aria-invalid="true"', too_long.text, re.S)
    assert (await application_row(second["id"]))["status"] == "waitlisted"


async def test_accepting_into_a_full_cohort_is_refused_on_the_page_and_changes_nothing(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff, capacity=1)
    _, first = await submitted_applicant(cohort)
    _, second = await submitted_applicant(cohort)
    await review.accept(staff, first["id"])
    path = f"/staff/cohorts/{cohort['id']}/applications/{second['id']}"
    before = (await Registration.count(), await TuitionInstalment.count(), await OutboxMessage.count())

    refused = await post(client, f"{path}/accept", {"message": "Welcome!"})
    assert refused.status_code == 409
    assert "Nothing was changed" in refused.text
    assert "The cohort is full: 1 of 1 places are taken" in refused.text
    assert 'role="alert"' in refused.text and "Welcome!" in refused.text  # the message typed is kept

    panel = await post(client, f"{path}/accept", {"message": ""}, headers=htmx())
    assert panel.status_code == 409 and "<html" not in panel.text
    assert "The cohort is full" in panel.text and "hx-swap-oob" not in panel.text

    row = await application_row(second["id"])
    assert row["status"] == "submitted" and row["registration"] is None and row["decided_at"] is None
    assert (await Registration.count(), await TuitionInstalment.count(), await OutboxMessage.count()) == before
    assert await TuitionInstalment.count().where(TuitionInstalment.application == second["id"]) == 0


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["attendee", "coordinator", "finance"])
async def test_only_staff_reach_the_cohort_pages(client, role):
    staff = await staff_actor()
    cohort = await make_cohort(staff)
    _, application = await submitted_applicant(cohort)
    await signed_in(client, await make_user(role))
    cid, aid, pid = cohort["id"], application["id"], cohort["program"]
    before = await counts()
    for path in (
        "/staff/cohorts",
        "/staff/cohorts/new",
        f"/staff/cohorts/{cid}/settings",
        f"/staff/cohorts/{cid}/applications",
        f"/staff/cohorts/{cid}/applications/{aid}",
        f"/staff/programs/{pid}/questions",
    ):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Dana" not in response.text and application["applicant_email"] not in response.text
    for path, data in (
        ("/staff/cohorts/new", COHORT_FORM),
        (f"/staff/cohorts/{cid}/settings", {"required_hours": "1", "payment_options": ["1"], "first_payment_due": ""}),
        (f"/staff/programs/{pid}/questions", {"prompt": "Sneaky?", "kind": "text", "choices": ""}),
        (f"/staff/programs/{pid}/questions/{cohort['questions']['years']}/retire", {}),
        (f"/staff/cohorts/{cid}/applications/{aid}/start-review", {}),
        (f"/staff/cohorts/{cid}/applications/{aid}/accept", {}),
        (f"/staff/cohorts/{cid}/applications/{aid}/waitlist", {}),
        (f"/staff/cohorts/{cid}/applications/{aid}/decline", {}),
    ):
        response = await post(client, path, data)
        assert response.status_code == 403, path
    assert await counts() == before
    assert (await application_row(aid))["status"] == "submitted"
    assert (await CohortSettings.select().where(CohortSettings.offering == cid).first())["required_hours_tenths"] == 200
    assert await ProgramQuestion.count().where(ProgramQuestion.is_active == False) == 0


async def test_signed_out_people_are_sent_to_sign_in(client):
    cohort = await make_cohort(await staff_actor())
    response = await client.get(f"/staff/cohorts/{cohort['id']}/applications")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


async def test_see_it_as_attendees_do_opens_the_cohorts_public_page(client):
    staff = await as_staff(client)
    cohort = await make_cohort(staff)
    edit = await client.get(f"/staff/offerings/{cohort['id']}")
    link = re.search(r'href="([^"]+)">See it as attendees do<', edit.text).group(1)
    assert link == f"/cohorts/{cohort['id']}"
    public = await client.get(link)
    assert public.status_code == 200 and "Preliminary Administrative Services Credential, Cohort 24" in public.text
