"""Applying to a cohort and being decided on: draft, submit, review, accept/waitlist/decline, withdraw."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.actor import Actor
from booking.catalog.tables import OfferingSession
from booking.cohorts import review
from booking.cohorts.applications import ApplicationInput, get_application, save_draft, start_application, submit
from booking.cohorts.questions import answer_field
from booking.cohorts.tables import CohortApplication, TuitionInstalment
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.notifications.tables import OutboxMessage
from booking.scheduling.tables import Registration
from tests.cohorts.cohort_factory import complete_form, make_cohort, submitted_applicant
from tests.factories import make_user
from tests.workshop_factory import staff_actor


async def test_a_draft_is_saved_in_parts_then_submitted_with_everything_checked(db):
    staff = await staff_actor()
    cohort = await make_cohort(staff)
    person = Actor.from_row(await make_user("attendee", district="EGUSD"))
    application_id = await start_application(person, cohort["id"])
    assert await start_application(person, cohort["id"]) == application_id  # one application per cohort

    await save_draft(
        person,
        application_id,
        ApplicationInput(answers={answer_field(cohort["questions"]["years"]): "7"}, county="Sacramento"),
    )
    draft = await get_application(person, application_id)
    assert draft["status"] == "draft" and draft["answers"] == {str(cohort["questions"]["years"]): "7"}
    assert draft["in_county"] is True

    with pytest.raises(InvalidInput) as missing:
        await submit(person, application_id, ApplicationInput(county="Sacramento"))
    assert set(missing.value.field_errors) >= {
        answer_field(cohort["questions"]["credential"]),
        "supervisor_name",
        "supervisor_email",
    }
    assert answer_field(cohort["questions"]["clear"]) not in missing.value.field_errors  # optional
    # The error summary lists these messages: each names its question rather than "Answer this question." again and again.
    assert (
        missing.value.field_errors[answer_field(cohort["questions"]["credential"])]
        == "Answer “Which credential do you hold”."
    )
    assert missing.value.field_errors[answer_field(cohort["questions"]["position"])] == "Answer “Current position”."
    assert (await get_application(person, application_id))["status"] == "draft"

    with pytest.raises(InvalidInput) as wrong:
        await save_draft(
            person,
            application_id,
            ApplicationInput(
                answers={
                    answer_field(cohort["questions"]["years"]): "seven",
                    answer_field(cohort["questions"]["credential"]): "Pilot",
                },
                county="Atlantis",
                supervisor_email="not-an-email",
                payer="somebody",
                instalments="3",
                po_number="x" * 61,
            ),
        )
    assert set(wrong.value.field_errors) == {
        answer_field(cohort["questions"]["years"]),
        answer_field(cohort["questions"]["credential"]),
        "county",
        "supervisor_email",
        "payer",
        "instalments",
        "po_number",
    }
    assert wrong.value.field_errors[answer_field(cohort["questions"]["years"])].startswith(
        "“Years of experience in education”: Enter a number"
    )
    assert (await get_application(person, application_id))["answers"] == {str(cohort["questions"]["years"]): "7"}

    submitted = await submit(person, application_id, complete_form(cohort, instalments="4"))
    assert submitted["status"] == "submitted" and submitted["submitted_at"] is not None
    assert submitted["instalments"] == 4
    mail = {row["to_address"]: row["subject"] for row in await OutboxMessage.select()}
    assert "Application received" in mail[submitted["applicant_email"]]
    assert "Please confirm your support" in mail["principal@school.example"]
    with pytest.raises(Conflict):
        await save_draft(person, application_id, complete_form(cohort))


async def test_other_people_cannot_see_or_change_an_application(db):
    cohort = await make_cohort(await staff_actor())
    _, application = await submitted_applicant(cohort)
    stranger = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    with pytest.raises(NotFound):
        await get_application(stranger, application["id"])
    with pytest.raises(NotFound):
        await review.withdraw(stranger, application["id"])
    staff = await staff_actor()
    assert (await get_application(staff, application["id"]))["id"] == application["id"]
    with pytest.raises(Forbidden):
        await review.accept(stranger, application["id"])
    assert (await get_application(staff, application["id"]))["status"] == "submitted"


async def test_applications_outside_the_period_are_refused(db):
    staff = await staff_actor()
    now = dt.datetime.now(dt.timezone.utc)
    later = await make_cohort(staff, title="Later cohort", opens=now + dt.timedelta(days=3))
    person = Actor.from_row(await make_user())
    with pytest.raises(Conflict, match="Applications open"):
        await start_application(person, later["id"])
    closing = await make_cohort(staff, title="Closing cohort", closes=now + dt.timedelta(hours=1))
    application_id = await start_application(person, closing["id"])
    with pytest.raises(Conflict, match="Applications closed"):
        await submit(person, application_id, complete_form(closing), now=now + dt.timedelta(hours=2))
    assert (
        await CohortApplication.select(CohortApplication.status).where(CohortApplication.id == application_id).first()
    )["status"] == "draft"


async def test_accepting_enrols_in_every_session_and_records_the_tuition_owed(db):
    staff = await staff_actor()
    cohort = await make_cohort(staff, sessions=4, tuition_cents=480_001, first_payment_due=dt.date(2027, 1, 31))
    person, application = await submitted_applicant(cohort, payer="district", po_number="PO-7781", instalments="4")
    await review.start_review(staff, application["id"])
    await review.accept(staff, application["id"], message="Welcome to Cohort 24.")

    accepted = await get_application(person, application["id"])
    assert accepted["status"] == "accepted" and accepted["decision_message"] == "Welcome to Cohort 24."
    registration = await Registration.select().where(Registration.id == accepted["registration"]).first()
    assert (registration["status"], registration["attendee"], registration["payer"]) == (
        "confirmed",
        person.id,
        "district",
    )
    assert registration["calendar_invited"] is True
    sessions = await OfferingSession.select(OfferingSession.id).where(OfferingSession.offering == cohort["id"])
    assert len(sessions) == 4  # a confirmed registration is on every session's roster and in the calendars
    instalments = (
        await TuitionInstalment.select()
        .where(TuitionInstalment.application == application["id"])
        .order_by(TuitionInstalment.number)
    )
    assert [(i["due_on"], i["amount_cents"]) for i in instalments] == [
        (dt.date(2027, 1, 31), 120_001),
        (dt.date(2027, 2, 28), 120_000),
        (dt.date(2027, 3, 31), 120_000),
        (dt.date(2027, 4, 30), 120_000),
    ]
    assert sum(i["amount_cents"] for i in instalments) == 480_001
    assert {(i["payer"], i["po_number"], i["status"]) for i in instalments} == {("district", "PO-7781", "owed")}
    assert all(i["district"] == accepted["applicant_district"] for i in instalments)
    accepted_mail = (
        await OutboxMessage.select()
        .where(OutboxMessage.to_address == accepted["applicant_email"])
        .order_by(OutboxMessage.id, ascending=False)
        .first()
    )
    assert accepted_mail["subject"].startswith("Accepted:") and "Welcome to Cohort 24." in accepted_mail["body_text"]
    assert "invite.ics" in str(accepted_mail["attachments"])
    with pytest.raises(Conflict):
        await review.accept(staff, application["id"])  # once


async def test_accepting_beyond_capacity_is_refused_and_a_withdrawal_goes_to_the_waiting_list_in_order(db):
    staff = await staff_actor()
    cohort = await make_cohort(staff, capacity=2)
    applicants = [await submitted_applicant(cohort) for _ in range(5)]
    (first, a1), (_, a2), (_, a3), (_, a4), (_, a5) = applicants
    await review.accept(staff, a1["id"])
    await review.accept(staff, a2["id"])
    with pytest.raises(Conflict, match="full"):
        await review.accept(staff, a3["id"])
    assert await review.waitlist(staff, a4["id"]) == 1
    assert await review.waitlist(staff, a3["id"]) == 2
    await review.decline(staff, a5["id"], message="Please apply again next year.")

    promoted = await review.withdraw(first, a1["id"], reason="Moving out of state")
    assert promoted == [a4["id"]]  # first on the list, not first to apply
    statuses = {
        row["id"]: row["status"]
        for row in await CohortApplication.select(CohortApplication.id, CohortApplication.status)
    }
    assert statuses == {
        a1["id"]: "withdrawn",
        a2["id"]: "accepted",
        a3["id"]: "waitlisted",
        a4["id"]: "accepted",
        a5["id"]: "declined",
    }
    assert (
        await Registration.count().where((Registration.offering == cohort["id"]) & (Registration.status == "confirmed"))
        == 2
    )
    cancelled = await TuitionInstalment.select(TuitionInstalment.status).where(
        TuitionInstalment.application == a1["id"]
    )
    assert {row["status"] for row in cancelled} == {"cancelled"}


async def test_the_queue_puts_sacramento_county_first_and_filters_by_answers(db):
    staff = await staff_actor()
    cohort = await make_cohort(staff, capacity=10)
    _, placer = await submitted_applicant(cohort, county="Placer", credential="Single Subject")
    _, sacramento_late = await submitted_applicant(cohort, county="Sacramento", credential="Single Subject")
    _, yolo = await submitted_applicant(cohort, county="Yolo")
    _, sacramento_later = await submitted_applicant(cohort, county="Sacramento")
    queue = await review.review_queue(staff, cohort["id"])
    assert [row["id"] for row in queue] == [sacramento_late["id"], sacramento_later["id"], placer["id"], yolo["id"]]
    only_single = await review.review_queue(
        staff, cohort["id"], review.QueueFilters(answers={cohort["questions"]["credential"]: "Single Subject"})
    )
    assert [row["id"] for row in only_single] == [sacramento_late["id"], placer["id"]]
    experienced = await review.review_queue(
        staff, cohort["id"], review.QueueFilters(at_least={cohort["questions"]["years"]: 6.5})
    )
    assert experienced == []  # everyone answered 6 years
    assert (
        len(
            await review.review_queue(
                staff, cohort["id"], review.QueueFilters(at_least={cohort["questions"]["years"]: 6})
            )
        )
        == 4
    )
    outside = await review.review_queue(staff, cohort["id"], review.QueueFilters(county="out"))
    assert [row["id"] for row in outside] == [placer["id"], yolo["id"]]
    with pytest.raises(InvalidInput):
        await review.review_queue(staff, cohort["id"], review.QueueFilters(status="everything"))


async def test_raising_a_cohorts_capacity_accepts_from_its_waiting_list_in_order(db):
    from booking.catalog.editing import change_capacity

    staff = await staff_actor()
    cohort = await make_cohort(staff, capacity=1)
    (_, first), (_, second), (_, third) = [await submitted_applicant(cohort) for _ in range(3)]
    await review.accept(staff, first["id"])
    await review.waitlist(staff, third["id"])
    await review.waitlist(staff, second["id"])
    change = await change_capacity(staff, cohort["id"], 2)
    assert change.promoted == 1
    statuses = {
        row["id"]: row["status"]
        for row in await CohortApplication.select(CohortApplication.id, CohortApplication.status)
    }
    assert statuses == {first["id"]: "accepted", second["id"]: "waitlisted", third["id"]: "accepted"}


async def test_a_cohort_place_is_not_cancelled_like_a_workshop_seat(client):
    from booking.workflows.cancel_registration import cancel_registration
    from tests.factories import signed_in

    staff = await staff_actor()
    cohort = await make_cohort(staff)
    person, application = await submitted_applicant(cohort)
    await review.accept(staff, application["id"])
    registration_id = (await get_application(person, application["id"]))["registration"]
    for actor in (person, staff):
        with pytest.raises(Conflict, match="withdrawing the application"):
            await cancel_registration(actor, registration_id)
    assert (await Registration.select(Registration.status).where(Registration.id == registration_id).first())[
        "status"
    ] == "confirmed"

    await signed_in(client, {"id": person.id})
    page = (await client.get("/my/learning")).text
    assert f'href="/cohorts/{cohort["id"]}"' in page and f'href="/workshops/{cohort["id"]}"' not in page
    assert "Cancel registration" not in page
