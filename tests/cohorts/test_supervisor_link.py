"""The supervisor's link: signed, expiring, single answer; tampered, stale and superseded links are refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking.clock import utc_now
from booking.cohorts import supervisor
from booking.cohorts.applications import get_application, resend_supervisor_link
from booking.cohorts.tables import CohortApplication
from booking.errors import Conflict, InvalidInput, NotFound
from booking.notifications.tables import OutboxMessage
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.workshop_factory import staff_actor


async def emails_to(address: str) -> list[dict]:
    return await OutboxMessage.select().where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)


async def link_sent_to(address: str) -> str:
    rows = await emails_to(address)
    assert rows, f"no email to {address}"
    match = re.search(r"/cohorts/supervisor/([A-Za-z0-9._-]+)", rows[-1]["body_text"])
    assert match
    return match.group(1)


async def test_the_emailed_link_answers_once_and_tells_the_applicant(db):
    cohort = await make_cohort(await staff_actor())
    person, application = await submitted_applicant(cohort, supervisor_email="boss@school.example")
    token = await link_sent_to("boss@school.example")

    view = await supervisor.view_request(token)  # looking does not answer
    assert view.application["applicant_name"] == application["applicant_name"]
    assert (await get_application(person, application["id"]))["supervisor_response"] == ""

    with pytest.raises(InvalidInput):
        await supervisor.respond(token, True, comment="x" * 1001)
    await supervisor.respond(token, True, comment="A strong leader on our campus.")
    answered = await get_application(person, application["id"])
    assert (answered["supervisor_response"], answered["supervisor_comment"]) == (
        "confirmed",
        "A strong leader on our campus.",
    )
    assert any("Your supervisor answered" in row["subject"] for row in await emails_to(application["applicant_email"]))

    with pytest.raises(supervisor.AlreadyAnswered) as again:
        await supervisor.respond(token, False)  # reused: the first answer stands
    assert again.value.response == "confirmed"
    assert (await get_application(person, application["id"]))["supervisor_response"] == "confirmed"


async def test_tampered_links_are_refused_alike(db):
    cohort = await make_cohort(await staff_actor())
    _, application = await submitted_applicant(cohort, supervisor_email="boss@school.example")
    _, other = await submitted_applicant(cohort, supervisor_email="chief@school.example")
    token = await link_sent_to("boss@school.example")
    application_id, expires, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (
        f"{other['id']}.{expires}.{signature}",  # someone else's application
        f"{application_id}.{int(expires) + 86400}.{signature}",  # a longer life
        f"{application_id}.{expires}.{flipped}",
        "not-a-token",
        "",
        f"{application_id}.{expires}",
        f"{'9' * 30}.{expires}.{signature}",
    ):
        with pytest.raises(NotFound):
            await supervisor.respond(bad, True)
    rows = await CohortApplication.select(CohortApplication.supervisor_response)
    assert {row["supervisor_response"] for row in rows} == {""}


async def test_an_expired_link_is_refused_and_a_resent_one_replaces_it(db):
    cohort = await make_cohort(await staff_actor())
    person, application = await submitted_applicant(cohort, supervisor_email="boss@school.example")
    old = await link_sent_to("boss@school.example")
    with pytest.raises(supervisor.LinkExpired):
        await supervisor.respond(old, True, now=utc_now() + supervisor.LINK_LIFETIME + dt.timedelta(minutes=1))

    with pytest.raises(Conflict, match="ten minutes"):
        await resend_supervisor_link(person, application["id"])  # not twice in a row
    await resend_supervisor_link(person, application["id"], now=utc_now() + dt.timedelta(minutes=11))
    new = await link_sent_to("boss@school.example")
    assert new != old
    with pytest.raises(NotFound):
        await supervisor.respond(old, True)  # superseded
    await supervisor.respond(new, False, comment="Not this year.")
    assert (await get_application(person, application["id"]))["supervisor_response"] == "declined"
    with pytest.raises(Conflict, match="already answered"):
        await resend_supervisor_link(person, application["id"], now=utc_now() + dt.timedelta(hours=1))


async def test_a_withdrawn_application_no_longer_takes_answers(db):
    from booking.cohorts.review import withdraw

    cohort = await make_cohort(await staff_actor())
    person, application = await submitted_applicant(cohort, supervisor_email="boss@school.example")
    token = await link_sent_to("boss@school.example")
    await withdraw(person, application["id"])
    with pytest.raises(NotFound):
        await supervisor.respond(token, True)
