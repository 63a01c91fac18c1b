"""The applicant's pages over HTTP: /cohorts, a cohort, the application form (draft and submit),
documents, the application's page, My applications, withdrawing, and who may see what."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from booking.accounts.actor import Actor
from booking.cohorts import review
from booking.cohorts.applications import start_application, submit
from booking.cohorts.questions import QuestionInput, add_question, answer_field, retire_question
from booking.cohorts.tables import ApplicationDocument, CohortApplication, TuitionInstalment
from booking.notifications.tables import OutboxMessage
from tests.cohorts.cohort_factory import complete_form, make_cohort, submitted_applicant
from tests.factories import csrf_token, make_user, signed_in
from tests.workshop_factory import make_workshop, staff_actor

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DOCX = b"PK\x03\x04" + b"\x00" * 64  # a Word file is a zip
EXE = b"MZ\x90\x00" + b"\x00" * 64


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


async def application_row(application_id: int) -> dict:
    return await CohortApplication.select().where(CohortApplication.id == application_id).first()


async def post(client, path: str, data: dict, *, token_from: str, **kwargs):
    token = await csrf_token(client, token_from)
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


def full_form(cohort: dict, **changes) -> dict:
    data = complete_form(cohort)
    form = {
        **data.answers,
        "county": data.county,
        "supervisor_name": data.supervisor_name,
        "supervisor_email": data.supervisor_email,
        "payer": data.payer,
        "instalments": data.instalments,
        "po_number": data.po_number,
    }
    form.update(changes)
    return form


async def test_visitors_see_the_published_cohorts_and_a_cohorts_page(client):
    staff = await staff_actor()
    cohort = await make_cohort(staff, title="Tier I Cohort 24", capacity=30)
    closed = await make_cohort(
        staff, title="Tier I Cohort 23", closes=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    )
    workshop = await make_workshop("A plain workshop")

    listing = await client.get("/cohorts")
    assert listing.status_code == 200
    page = text_of(listing.text)
    assert "Tier I Cohort 24" in page and "Tier I Cohort 23" in page and "A plain workshop" not in page
    assert f'href="/cohorts/{cohort["id"]}"' in listing.text
    assert "Taking applications" in page and "Applications closed" in page
    assert "$4,800.00" in page
    nav = re.search(r'<nav class="site-nav".*?</nav>', listing.text, re.S).group(0)
    assert nav.index(">Workshops<") < nav.index(">Cohorts<") and 'href="/cohorts" aria-current="page"' in nav

    shown = await client.get(f"/cohorts/{cohort['id']}")
    assert shown.status_code == 200
    page = text_of(shown.text)
    assert "One payment of $4,800.00" in page and "4 monthly payments of $1,200.00" in page
    assert "30 participants" in page and "Sessions 4" in page
    assert shown.text.count('<th scope="row">') == 4  # every session in the schedule
    assert f'href="/sign-in?next=/cohorts/{cohort["id"]}"' in shown.text
    assert f'href="/offerings/{cohort["id"]}.ics"' in shown.text

    closed_page = await client.get(f"/cohorts/{closed['id']}")
    assert "Applications closed" in text_of(closed_page.text) and "Sign in to apply" not in closed_page.text
    assert (await client.get(f"/cohorts/{workshop}")).status_code == 404
    assert (await client.get("/cohorts/999999")).status_code == 404


async def test_a_teacher_applies_saves_a_draft_comes_back_and_submits(client):
    cohort = await make_cohort(await staff_actor())
    q = cohort["questions"]
    teacher = await signed_in(client, await make_user("attendee", district="EGUSD"))
    cohort_page = f"/cohorts/{cohort['id']}"
    assert ">Apply</button>" in (await client.get(cohort_page)).text

    applied = await post(client, f"{cohort_page}/apply", {}, token_from=cohort_page)
    assert applied.status_code == 303
    application_id = int(re.fullmatch(r"/my/applications/(\d+)/edit", applied.headers["location"]).group(1))
    again = await post(client, f"{cohort_page}/apply", {}, token_from=cohort_page)
    assert again.headers["location"] == f"/my/applications/{application_id}/edit"  # one application per cohort
    assert "Continue your application" in (await client.get(cohort_page)).text

    edit_path = f"/my/applications/{application_id}/edit"
    form_page = await client.get(edit_path)
    assert form_page.status_code == 200
    html = form_page.text
    assert f'name="{answer_field(q["years"])}"' in html and 'inputmode="decimal"' in html
    assert f'<textarea id="f-{answer_field(q["position"])}"' in html
    assert "<legend>Is your credential clear? (optional)</legend>" in html  # yes/no: a radio fieldset
    assert f'type="radio" id="f-{answer_field(q["credential"])}-1"' in html  # four choices: radios
    assert '<select id="f-county" name="county"' in html and "Sacramento County are reviewed first" in html
    assert "I pay" in html and "My district pays (invoice, with a PO number if you have one)" in html
    assert '<option value="4">4 monthly payments of $1,200.00</option>' in html
    assert 'name="action" value="save"' in html and 'name="action" value="submit"' in html

    saved = await post(
        client,
        edit_path,
        {answer_field(q["years"]): "7", "county": "Sacramento", "supervisor_name": "Pat Principal", "action": "save"},
        token_from=edit_path,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{edit_path}?notice=application-saved"
    row = await application_row(application_id)
    assert row["status"] == "draft" and row["county"] == "Sacramento" and row["supervisor_name"] == "Pat Principal"

    # Leaves and comes back: the answers are there.
    back = await client.get(f"{edit_path}?notice=application-saved")
    assert "Your draft is saved" in back.text
    assert f'name="{answer_field(q["years"])}" value="7"' in back.text
    assert '<option value="Sacramento" selected>' in back.text and 'value="Pat Principal"' in back.text

    # Submitting with answers missing: 422, the summary, the input kept, nothing stored.
    incomplete = await post(
        client,
        edit_path,
        {answer_field(q["years"]): "9", "county": "Sacramento", "supervisor_name": "Pat Principal", "action": "submit"},
        token_from=edit_path,
    )
    assert incomplete.status_code == 422
    assert "There is a problem" in incomplete.text and 'aria-invalid="true"' in incomplete.text
    assert (
        f'href="#f-{answer_field(q["credential"])}"' in incomplete.text
        and 'href="#f-supervisor_email"' in incomplete.text
    )
    assert f'name="{answer_field(q["years"])}" value="9"' in incomplete.text  # as typed
    row = await application_row(application_id)
    assert row["status"] == "draft" and '"7"' in row["answers"]

    # A draft with a wrong answer is refused too, and changes nothing.
    wrong = await post(
        client,
        edit_path,
        {answer_field(q["years"]): "seven", "county": "Atlantis", "supervisor_email": "not-an-email", "action": "save"},
        token_from=edit_path,
    )
    assert wrong.status_code == 422 and "Enter a number" in text_of(wrong.text)
    assert "Choose your county of employment from the list." in text_of(wrong.text)
    assert await application_row(application_id) == row

    submitted = await post(
        client, edit_path, {**full_form(cohort, instalments="4"), "action": "submit"}, token_from=edit_path
    )
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/my/applications/{application_id}?notice=application-submitted"
    row = await application_row(application_id)
    assert row["status"] == "submitted" and row["instalments"] == 4
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "principal@school.example") == 1

    # The form of a submitted application leads to its page and changes nothing.
    assert (await client.get(edit_path)).headers["location"] == f"/my/applications/{application_id}"
    late = await post(
        client,
        edit_path,
        {**full_form(cohort, county="Yolo"), "action": "save"},
        token_from=f"/my/applications/{application_id}",
    )
    assert late.status_code == 303 and (await application_row(application_id))["county"] == "Sacramento"

    view = await client.get(f"/my/applications/{application_id}?notice=application-submitted")
    page = text_of(view.text)
    assert view.status_code == 200 and "Your application is submitted" in page
    assert "Submitted" in page and "Which credential do you hold? Multiple Subject" in page
    assert "Years of experience in education 6" in page and "Waiting for Pat Principal" in page
    assert "Send the link again" in page and "Withdraw this application" in page

    listing = await client.get("/my/applications")
    assert f'href="/my/applications/{application_id}"' in listing.text and "Submitted" in text_of(listing.text)
    assert 'href="/my/applications"' in (await client.get("/my/learning")).text
    assert teacher["id"] == row["applicant"]


async def test_many_choices_are_a_select_and_an_unknown_button_is_refused(client):
    staff = await staff_actor()
    cohort = await make_cohort(staff)
    many = await add_question(
        staff,
        cohort["program"],
        QuestionInput("Which grade band do you teach?", "choice", "TK-2\n3-5\n6-8\n9-12\nAdult\nNone"),
    )
    person = await signed_in(client, await make_user("attendee"))
    application_id = await start_application(Actor.from_row(person), cohort["id"])
    edit_path = f"/my/applications/{application_id}/edit"
    html = (await client.get(edit_path)).text
    assert f'<select id="f-{answer_field(many)}" name="{answer_field(many)}"' in html
    assert 'id="f-payer-district" name="payer" value="district" disabled' in html  # no district on the account
    response = await post(client, edit_path, {"county": "Yolo", "action": "publish"}, token_from=edit_path)
    assert response.status_code == 422 and (await application_row(application_id))["county"] == ""
    refused = await post(
        client, edit_path, {"county": "Yolo", "payer": "district", "action": "save"}, token_from=edit_path
    )
    assert refused.status_code == 422 and "Your account has no district" in text_of(refused.text)


async def test_applying_outside_the_period_is_refused_on_the_cohort_page(client):
    now = dt.datetime.now(dt.timezone.utc)
    cohort = await make_cohort(await staff_actor(), opens=now + dt.timedelta(days=5))
    await signed_in(client, await make_user("attendee"))
    path = f"/cohorts/{cohort['id']}"
    assert "Applications open" in text_of((await client.get(path)).text)
    response = await post(client, f"{path}/apply", {}, token_from=path)
    assert response.status_code == 409 and "Applications open" in text_of(response.text)
    assert await CohortApplication.count() == 0


async def test_submitting_after_applications_close_keeps_the_draft(client):
    from booking.catalog.tables import Offering

    now = dt.datetime.now(dt.timezone.utc)
    cohort = await make_cohort(await staff_actor(), closes=now + dt.timedelta(hours=1))
    person = await signed_in(client, await make_user("attendee"))
    application_id = await start_application(Actor.from_row(person), cohort["id"])
    await Offering.update({Offering.registration_closes_at: now - dt.timedelta(minutes=1)}).where(
        Offering.id == cohort["id"]
    )
    edit_path = f"/my/applications/{application_id}/edit"
    assert "Applications are not being taken now" in (await client.get(edit_path)).text
    response = await post(client, edit_path, {**full_form(cohort), "action": "submit"}, token_from=edit_path)
    assert response.status_code == 409 and "Applications closed" in text_of(response.text)
    assert 'value="Pat Principal"' in response.text  # the input is kept
    row = await application_row(application_id)
    assert row["status"] == "draft" and row["supervisor_name"] == ""


async def test_documents_are_checked_stored_and_served_only_to_the_applicant_and_staff(client):
    cohort = await make_cohort(await staff_actor())
    owner = await signed_in(client, await make_user("attendee", district="EGUSD"))
    application_id = await start_application(Actor.from_row(owner), cohort["id"])
    edit_path = f"/my/applications/{application_id}/edit"
    upload_path = f"/my/applications/{application_id}/documents"

    async def upload(label: str | None, name: str, data: bytes, content_type: str = "application/pdf", **kwargs):
        token = await csrf_token(client, "/my/applications")
        fields = {"_csrf_token": token}
        if label is not None:
            fields["label"] = label
        files = {"document": (name, data, content_type)} if name else None
        return await client.post(upload_path, data=fields, files=files, **kwargs)

    refusals = [
        (("Credential", "big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)), "the limit is 5 MB"),
        (("Credential", "letter.pdf", DOCX), "Upload a PDF, PNG or JPEG file"),
        (("Credential", "setup.pdf", EXE), "Upload a PDF, PNG or JPEG file"),
        (("", "credential.pdf", PDF), "Say what the document is"),
        (("Credential", "", b""), "Choose a file to upload"),
    ]
    for args, message in refusals:
        response = await upload(*args)
        assert response.status_code == 422, args[1]
        assert message in text_of(response.text) and "The document was not added" in response.text
        assert 'aria-invalid="true"' in response.text
        assert await ApplicationDocument.count() == 0
    kept = await upload("", "credential.pdf", PDF)
    assert 'id="f-label"' in kept.text and "What is this document?" in kept.text

    added = await upload("Copy of my credential", "credential.pdf", PDF)
    assert added.status_code == 303 and added.headers["location"] == f"{edit_path}?notice=document-added"
    fragment = await upload("Transcript", "C:\\scans\\transcript.png", PNG, "image/png", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert '<section id="documents"' in fragment.text and "“Transcript” is added" in fragment.text
    bad_fragment = await upload("Transcript", "x.pdf", EXE, headers={"HX-Request": "true"})
    assert bad_fragment.status_code == 422 and "<html" not in bad_fragment.text and "Upload a PDF" in bad_fragment.text

    stored = await ApplicationDocument.select(ApplicationDocument.id, ApplicationDocument.filename).order_by(
        ApplicationDocument.id
    )
    assert [d["filename"] for d in stored] == ["credential.pdf", "transcript.png"]
    pdf_path = f"/my/applications/{application_id}/documents/{stored[0]['id']}"
    assert f'href="{pdf_path}"' in (await client.get(edit_path)).text

    download = await client.get(pdf_path)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["content-disposition"] == 'attachment; filename="credential.pdf"'
    assert download.headers["x-content-type-options"] == "nosniff"

    await signed_in(client, await make_user("staff"))
    assert (await client.get(pdf_path)).content == PDF
    await signed_in(client, await make_user("attendee", district="EGUSD"))
    assert (await client.get(pdf_path)).status_code == 404
    assert (await client.get(f"/my/applications/{application_id}/documents/999999")).status_code == 404
    client.cookies.clear()
    assert (await client.get(pdf_path)).headers["location"].startswith("/sign-in")

    await signed_in(client, owner)
    removed = await post(client, f"{pdf_path}/remove", {}, token_from=edit_path)
    assert removed.status_code == 303 and removed.headers["location"] == f"{edit_path}?notice=document-removed"
    assert await ApplicationDocument.count() == 1

    await submit(Actor.from_row(owner), application_id, complete_form(cohort))
    late = await upload("Another", "more.pdf", PDF)
    assert late.status_code == 303 and await ApplicationDocument.count() == 1
    view = await client.get(f"/my/applications/{application_id}")
    assert "Transcript" in view.text and "/remove" not in view.text


async def test_another_persons_application_is_not_found(client):
    cohort = await make_cohort(await staff_actor())
    owner, application = await submitted_applicant(cohort)
    draft_cohort = await make_cohort(await staff_actor(), title="Another cohort")
    draft_id = await start_application(owner, draft_cohort["id"])
    base = f"/my/applications/{application['id']}"
    client.cookies.clear()
    assert (await client.get(base)).headers["location"].startswith("/sign-in")

    for role in ("attendee", "coordinator", "staff"):
        await signed_in(client, await make_user(role, district="EGUSD" if role == "coordinator" else None))
        for path in (base, f"/my/applications/{draft_id}/edit", f"{base}/withdraw"):
            assert (await client.get(path)).status_code == 404, (role, path)
        for path, data in (
            (f"/my/applications/{draft_id}/edit", {"county": "Yolo", "action": "save"}),
            (f"{base}/withdraw", {"reason": "not mine"}),
            (f"{base}/supervisor-link", {}),
        ):
            assert (await post(client, path, data, token_from="/cohorts")).status_code == 404, (role, path)
    assert (await application_row(application["id"]))["status"] == "submitted"
    assert (await application_row(draft_id))["county"] == ""
    assert "Another cohort" not in (await client.get("/my/applications")).text


async def test_each_status_in_plain_words_and_an_accepted_applications_schedule_and_payments(client):
    staff = await staff_actor()
    me = await make_user("attendee", district="EGUSD")
    actor = Actor.from_row(me)
    cohorts = [await make_cohort(staff, title=f"Cohort {n}", capacity=1) for n in range(7)]

    async def apply(cohort: dict, **form) -> int:
        application_id = await start_application(actor, cohort["id"])
        await submit(actor, application_id, complete_form(cohort, **form))
        return application_id

    draft = await start_application(actor, cohorts[0]["id"])
    await apply(cohorts[1])
    await review.start_review(staff, await apply(cohorts[2]))
    accepted = await apply(cohorts[3], payer="district", po_number="PO-55", instalments="4")
    await review.accept(staff, accepted, message="Welcome to the cohort.\nSee you in August.")
    _, ahead = await submitted_applicant(cohorts[4])
    await review.waitlist(staff, ahead["id"])
    await review.waitlist(staff, await apply(cohorts[4]))
    declined = await apply(cohorts[5])
    await review.decline(staff, declined, message="Please apply again next year.")
    withdrawn = await apply(cohorts[6])
    await review.withdraw(actor, withdrawn)

    await signed_in(client, me)
    listing = text_of((await client.get("/my/applications")).text)
    for title, words in (
        ("Cohort 0", "Draft — not sent yet"),
        ("Cohort 1", "Submitted"),
        ("Cohort 2", "Under review"),
        ("Cohort 3", "Accepted"),
        ("Cohort 4", "On the waiting list (position 2)"),
        ("Cohort 5", "Not accepted"),
        ("Cohort 6", "Withdrawn"),
    ):
        assert re.search(rf"{title} {re.escape(words)}", listing), (title, words)
    assert f'href="/my/applications/{draft}/edit"' in (await client.get("/my/applications")).text

    view = await client.get(f"/my/applications/{accepted}")
    page = text_of(view.text)
    assert "Accepted" in page and "Welcome to the cohort." in page and "Your schedule" in page
    schedule = re.search(r'<table class="table cohort-schedule".*?</table>', view.text, re.S).group(0)
    assert schedule.count('<th scope="row">') == 4
    assert f'href="/offerings/{cohorts[3]["id"]}.ics"' in view.text and 'href="/account/calendar"' in view.text
    assert 'id="progress-heading"' in view.text  # the participant's progress panel (cohorts/_progress.html)
    payments = re.search(r'<table class="table (?:instalment|tuition)-table".*?</table>', view.text, re.S).group(0)
    assert text_of(payments).count("$1,200.00") == 4 and "1 of 4" in text_of(payments)
    assert "Elk Grove Unified" in text_of(payments) and "PO PO-55" in text_of(payments) and "Owed" in text_of(payments)
    page = text_of((await client.get(f"/my/applications/{declined}")).text)
    assert "Not accepted" in page and "Please apply again next year." in page


async def test_a_retired_question_still_shows_its_answer(client):
    staff = await staff_actor()
    cohort = await make_cohort(staff)
    person, application = await submitted_applicant(cohort)
    await retire_question(staff, cohort["program"], cohort["questions"]["clear"])
    await signed_in(client, {"id": person.id})
    page = text_of((await client.get(f"/my/applications/{application['id']}")).text)
    assert "Is your credential clear? (no longer asked) Yes" in page


async def test_withdrawing_an_accepted_place_gives_it_to_the_waiting_list(client):
    staff = await staff_actor()
    cohort = await make_cohort(staff, capacity=1)
    me, mine = await submitted_applicant(cohort, instalments="4")
    _, next_in_line = await submitted_applicant(cohort)
    await review.accept(staff, mine["id"])
    await review.waitlist(staff, next_in_line["id"])
    await signed_in(client, {"id": me.id})
    path = f"/my/applications/{mine['id']}/withdraw"

    confirm = await client.get(path)
    page = text_of(confirm.text)
    assert "Withdraw your application?" in page and "goes to the first person on the waiting list" in page
    assert "Tuition payments not yet made are cancelled" in page

    too_long = await post(client, path, {"reason": "x" * 301}, token_from=path)
    assert too_long.status_code == 422 and "Use at most 300 characters" in too_long.text
    assert (await application_row(mine["id"]))["status"] == "accepted"

    done = await post(client, path, {"reason": "Moving to Oregon"}, token_from=path)
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/my/applications/{mine['id']}?notice=application-withdrawn"
    )
    assert (await application_row(mine["id"]))["status"] == "withdrawn"
    assert (await application_row(next_in_line["id"]))["status"] == "accepted"
    assert {
        row["status"] for row in await TuitionInstalment.select().where(TuitionInstalment.application == mine["id"])
    } == {"cancelled"}
    view = text_of((await client.get(f"/my/applications/{mine['id']}?notice=application-withdrawn")).text)
    assert "Your application is withdrawn" in view and "Cancelled" in view and "Withdraw this application" not in view

    assert "already withdrawn" in text_of((await client.get(path)).text)
    again = await post(client, path, {"reason": ""}, token_from=path)
    assert again.status_code == 409 and "nothing to withdraw" in text_of(again.text)


async def test_sending_the_supervisor_link_again(client):
    cohort = await make_cohort(await staff_actor())
    me, application = await submitted_applicant(cohort, supervisor_email="boss@school.example")
    await signed_in(client, {"id": me.id})
    view = f"/my/applications/{application['id']}"

    too_soon = await post(client, f"{view}/supervisor-link", {}, token_from=view)
    assert too_soon.status_code == 409 and "give it ten minutes" in text_of(too_soon.text)
    assert "The link was not sent again" in too_soon.text
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "boss@school.example") == 1

    await CohortApplication.update(
        {CohortApplication.supervisor_link_sent_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)}
    ).where(CohortApplication.id == application["id"])
    sent = await post(client, f"{view}/supervisor-link", {}, token_from=view)
    assert sent.status_code == 303 and sent.headers["location"] == f"{view}?notice=supervisor-link-sent"
    assert await OutboxMessage.count().where(OutboxMessage.to_address == "boss@school.example") == 2
    assert "A new link is on its way" in (await client.get(f"{view}?notice=supervisor-link-sent")).text
