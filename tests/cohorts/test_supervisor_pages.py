"""The supervisor's page over HTTP, with no account: looking never answers; the answer is given once;
tampered, superseded, expired and reused links each get their own page; CSRF works without a session."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from booking.clock import format_local
from booking.cohorts import review, supervisor
from booking.cohorts.applications import resend_supervisor_link
from booking.cohorts.tables import CohortApplication
from booking.notifications.tables import OutboxMessage
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.factories import signed_in, token_from_page
from tests.workshop_factory import staff_actor

BOSS = "boss@school.example"


def text_of(html: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


async def link_sent_to(address: str) -> str:
    row = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    return re.search(r"(/cohorts/supervisor/[A-Za-z0-9._-]+)", row["body_text"]).group(1)


async def answer_of(application_id: int) -> tuple[str, str]:
    row = await CohortApplication.select().where(CohortApplication.id == application_id).first()
    return row["supervisor_response"], row["supervisor_comment"]


form_token = token_from_page  # takes the response: its status is checked before the token is read


async def an_applicant(**form):
    cohort = await make_cohort(await staff_actor())
    person, application = await submitted_applicant(cohort, supervisor_email=BOSS, county="Placer", **form)
    return cohort, person, application, await link_sent_to(BOSS)


async def test_a_supervisor_without_an_account_looks_then_answers_once(client):
    _, person, application, link = await an_applicant()
    client.cookies.clear()

    shown = await client.get(link)
    assert shown.status_code == 200
    page = text_of(shown.text)
    assert f"Do you support {application['applicant_name']}'s application?" in page
    assert "Current position Assistant principal" in page and "County of employment Placer" in page
    assert "I support this application" in page and "I do not support it" in page
    assert shown.headers["cache-control"] == "no-store"
    assert "booking_csrf" in shown.headers.get("set-cookie", "")  # a visitor gets the CSRF cookie on the GET
    assert await answer_of(application["id"]) == ("", "")  # looking never answers
    token = form_token(shown)

    missing = await client.post(link, data={"_csrf_token": token, "comment": "Strong leader"})
    assert missing.status_code == 422 and "Choose whether you support this application." in text_of(missing.text)
    assert 'aria-invalid="true"' in missing.text and "Strong leader" in missing.text
    too_long = await client.post(link, data={"_csrf_token": token, "support": "yes", "comment": "x" * 1001})
    assert too_long.status_code == 422 and "Keep the comment under 1,000 characters." in text_of(too_long.text)
    odd = await client.post(link, data={"_csrf_token": token, "support": "maybe"})
    assert odd.status_code == 422
    forged = await client.post(link, data={"support": "no"})
    assert forged.status_code == 403
    assert await answer_of(application["id"]) == ("", "")

    answered = await client.post(link, data={"_csrf_token": token, "support": "yes", "comment": "A strong leader."})
    assert answered.status_code == 200
    assert "Your answer is recorded: you support" in text_of(answered.text)
    assert await answer_of(application["id"]) == ("confirmed", "A strong leader.")
    assert await OutboxMessage.count().where(OutboxMessage.subject.like("%Your supervisor answered%")) == 1

    again = await client.get(link)
    assert again.status_code == 409
    page = text_of(again.text)
    assert "you have already answered" in page and "that you support this application" in page
    row = await CohortApplication.select().where(CohortApplication.id == application["id"]).first()
    assert f"You answered on {format_local(row['supervisor_responded_at'])}" in page
    changed = await client.post(link, data={"_csrf_token": token, "support": "no"})
    assert changed.status_code == 409 and await answer_of(application["id"]) == ("confirmed", "A strong leader.")

    # The applicant sees it.
    await signed_in(client, {"id": person.id})
    view = text_of((await client.get(f"/my/applications/{application['id']}")).text)
    assert "Confirmed on" in view and "Send the link again" not in view
    assert "A strong leader." not in view  # the comment is for staff


async def test_not_supporting_is_recorded_too(client):
    _, person, application, link = await an_applicant()
    client.cookies.clear()
    token = form_token(await client.get(link))
    answered = await client.post(link, data={"_csrf_token": token, "support": "no"})
    assert answered.status_code == 200 and "you do not support" in text_of(answered.text)
    assert await answer_of(application["id"]) == ("declined", "")
    await signed_in(client, {"id": person.id})
    assert "Not confirmed" in text_of((await client.get(f"/my/applications/{application['id']}")).text)


async def test_tampered_and_superseded_links_say_only_that_the_link_is_not_valid(client):
    _, person, application, link = await an_applicant()
    _, _, other, _ = await an_applicant()
    client.cookies.clear()
    token = form_token(await client.get(link))
    application_id, expires, signature = link.rsplit("/", 1)[1].split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    bad_links = [
        f"/cohorts/supervisor/{application_id}.{expires}.{flipped}",
        f"/cohorts/supervisor/{other['id']}.{expires}.{signature}",
        f"/cohorts/supervisor/{application_id}.{int(expires) + 86400}.{signature}",
        "/cohorts/supervisor/not-a-token",
        "/cohorts/supervisor/1.2.3",
    ]
    for bad in bad_links:
        response = await client.get(bad)
        assert response.status_code == 404, bad
        page = text_of(response.text)
        assert "This link is not valid" in page and application["applicant_name"] not in page
        posted = await client.post(bad, data={"_csrf_token": token, "support": "yes"})
        assert posted.status_code == 404, bad
    assert await answer_of(application["id"]) == ("", "") and await answer_of(other["id"]) == ("", "")

    # A new link was sent: the old one stops working.
    await CohortApplication.update(
        {CohortApplication.supervisor_link_sent_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)}
    ).where(CohortApplication.id == application["id"])
    await resend_supervisor_link(person, application["id"])
    assert (await client.get(link)).status_code == 404
    assert (await client.get(await link_sent_to(BOSS))).status_code == 200


async def test_an_expired_link_asks_for_a_new_one(client):
    _, _, application, _ = await an_applicant()
    row = await CohortApplication.select().where(CohortApplication.id == application["id"]).first()
    old = supervisor.make_token(
        application["id"], row["supervisor_nonce"], dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=15)
    )
    client.cookies.clear()
    response = await client.get(f"/cohorts/supervisor/{old}")
    assert response.status_code == 410
    assert "ask the applicant to send you a new one" in text_of(response.text)
    token = form_token(await client.get("/sign-in"))
    posted = await client.post(f"/cohorts/supervisor/{old}", data={"_csrf_token": token, "support": "yes"})
    assert posted.status_code == 410 and await answer_of(application["id"]) == ("", "")
    fresh = supervisor.make_token(application["id"], row["supervisor_nonce"], dt.datetime.now(dt.timezone.utc))
    assert (await client.get(f"/cohorts/supervisor/{fresh}")).status_code == 200


async def test_a_withdrawn_application_link_is_not_valid(client):
    _, person, application, link = await an_applicant()
    await review.withdraw(person, application["id"])
    client.cookies.clear()
    assert (await client.get(link)).status_code == 404
