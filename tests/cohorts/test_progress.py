"""A participant's year: attendance, make-up work, hours in tenths, completion; and who may see or change it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering, sessions_of
from booking.catalog.tables import Offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ, to_local
from booking.cohorts import review
from booking.cohorts.applications import get_application, start_application, submit
from booking.cohorts.completion import record_completion
from booking.cohorts.makeups import assign_makeup, complete_makeup, remove_makeup
from booking.cohorts.progress import cohort_progress, participant_progress, staff_participant_progress
from booking.cohorts.questions import QuestionInput, add_question
from booking.cohorts.tables import CohortSettings, MakeupAssignment
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.scheduling.attendance import mark_attendance
from booking.scheduling.tables import Registration, RegistrationEvent
from booking.scheduling.transcript import certificate_by_code
from booking.workflows.complete_offering import complete_offering
from tests.cohorts.cohort_factory import complete_form, saturday
from tests.factories import make_user, signed_in, token_from_page
from tests.workshop_factory import staff_actor

HTMX = {"HX-Request": "true"}


async def running_cohort(
    staff: Actor,
    *,
    lengths: tuple[float, ...] = (7, 7, 3.5),
    upcoming: int = 1,
    required_hours: int = 20,
    title: str = "Preliminary Administrative Services Credential, Cohort 23",
    tuition_cents: int = 480_000,
) -> dict:
    """A published cohort whose first sessions are over (Saturdays, four weeks apart) and `upcoming` still to come."""
    count = len(lengths) + upcoming
    starts = [saturday(4 * (index - len(lengths)) + 1) for index in range(count)]
    hours = list(lengths) + [7] * upcoming
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title=title,
            kind="cohort",
            capacity=10,
            price_cents=tuition_cents,
            status="published",
            sessions=[
                SessionInput(start, start + dt.timedelta(minutes=int(h * 60))) for start, h in zip(starts, hours)
            ],
        ),
    )
    await CohortSettings.insert(
        CohortSettings(offering=offering_id, required_hours_tenths=required_hours * 10, instalment_options="1,4")
    )
    program = (await Offering.select(Offering.program).where(Offering.id == offering_id).first())["program"]
    questions = {
        "credential": await add_question(
            staff, program, QuestionInput("Which credential do you hold?", "choice", "Multiple Subject\nSingle Subject")
        ),
        "years": await add_question(staff, program, QuestionInput("Years of experience in education", "number")),
        "position": await add_question(staff, program, QuestionInput("Current position", "text")),
        "clear": await add_question(
            staff, program, QuestionInput("Is your credential clear?", "yes_no", required=False)
        ),
    }
    return {"id": offering_id, "program": program, "questions": questions, "sessions": await sessions_of([offering_id])}


async def participant(staff: Actor, cohort: dict, *, name: str | None = None, **form) -> tuple[Actor, dict, dict]:
    """An applicant accepted into the cohort: (actor, application, user row)."""
    user = await make_user("attendee", district="EGUSD", name=name, password=None)
    person = Actor.from_row(user)
    application_id = await start_application(person, cohort["id"])
    await submit(person, application_id, complete_form(cohort, **form))
    await review.accept(staff, application_id)
    return person, await get_application(person, application_id), user


def today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


async def test_hours_count_attended_sessions_and_only_verified_makeups_in_tenths(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7, 3.5), required_hours=20)
    person, application, _ = await participant(staff, cohort)
    reg = application["registration"]
    s1, s2, s3, s4 = cohort["sessions"]
    await mark_attendance(staff, cohort["id"], s1["id"], reg, "present")
    await mark_attendance(staff, cohort["id"], s2["id"], reg, "excused")
    await mark_attendance(staff, cohort["id"], s3["id"], reg, "absent")

    progress = await participant_progress(person, application["id"])
    t = progress.tally
    assert (t.scheduled_tenths, t.attended_tenths, t.makeup_tenths, t.counted_tenths) == (245, 70, 0, 70)
    assert (t.required_tenths, t.remaining_tenths, t.met, t.percent) == (200, 130, False, 35)
    assert [s["length_tenths"] for s in progress.sessions] == [70, 70, 35, 70]
    assert [s["mark_word"] for s in progress.sessions] == ["Attended", "Excused", "Missed", "Upcoming"]
    assert all(isinstance(value, int) for value in (t.counted_tenths, t.remaining_tenths, t.percent))

    makeup = await assign_makeup(
        staff,
        reg,
        s2["id"],
        "Read chapter 4 and write a reflection",
        "3",
        to_local(s2["starts_at"]).date() + dt.timedelta(days=14),
    )
    progress = await participant_progress(person, application)
    assert progress.tally.counted_tenths == 70  # assigned, not yet checked: nothing counts
    assert progress.sessions[1]["mark_word"] == "Excused — make-up assigned"
    assert [m["status_label"] for m in progress.makeups] == ["Overdue"]  # due two weeks after a session weeks ago

    await complete_makeup(staff, makeup)
    other = await assign_makeup(staff, reg, s3["id"], "Shadow a site administrator", "3.5", today())
    await complete_makeup(staff, other)
    progress = await participant_progress(person, application["id"])
    assert (progress.tally.makeup_tenths, progress.tally.counted_tenths, progress.tally.remaining_tenths) == (
        65,
        135,
        65,
    )
    assert [s["mark_word"] for s in progress.sessions][:3] == ["Attended", "Excused — made up", "Missed — made up"]

    # Attendance corrected to present: the session counts in full, its make-up no longer (never twice).
    await mark_attendance(staff, cohort["id"], s2["id"], reg, "present")
    progress = await participant_progress(person, application["id"])
    assert (progress.tally.attended_tenths, progress.tally.makeup_tenths, progress.tally.counted_tenths) == (
        140,
        35,
        175,
    )
    assert next(m for m in progress.makeups if m["id"] == makeup)["status_label"] == "Done (not counted)"

    overview = await cohort_progress(staff, cohort["id"])
    (row,) = overview.participants
    assert (row["tally"].counted_tenths, row["absent"], row["excused"], row["open_makeups"]) == (175, 1, 0, 0)


async def test_an_excused_absence_without_makeup_work_adds_no_hours(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7), upcoming=0, required_hours=14)
    person, application, _ = await participant(staff, cohort)
    s1, s2 = cohort["sessions"]
    await mark_attendance(staff, cohort["id"], s1["id"], application["registration"], "present")
    await mark_attendance(staff, cohort["id"], s2["id"], application["registration"], "excused")
    progress = await participant_progress(person, application["id"])
    assert (progress.tally.counted_tenths, progress.tally.remaining_tenths, progress.tally.met) == (70, 70, False)
    assert progress.sessions[1]["mark_word"] == "Excused"


async def test_makeup_work_only_for_a_missed_session_and_at_most_its_length(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 3.5, 7))
    other_cohort = await running_cohort(staff, title="Another cohort")
    _, application, user = await participant(staff, cohort)
    reg = application["registration"]
    s1, s2, s3, _ = cohort["sessions"]
    await mark_attendance(staff, cohort["id"], s1["id"], reg, "present")
    await mark_attendance(staff, cohort["id"], s2["id"], reg, "absent")
    due = today()

    with pytest.raises(InvalidInput) as present:
        await assign_makeup(staff, reg, s1["id"], "Reading", "2", due)
    assert "attended the session" in present.value.field_errors["session"]
    with pytest.raises(InvalidInput) as unmarked:
        await assign_makeup(staff, reg, s3["id"], "Reading", "2", due)
    assert "no attendance mark" in unmarked.value.field_errors["session"]
    assert "absent or excused" in unmarked.value.field_errors["session"]
    with pytest.raises(InvalidInput) as elsewhere:
        await assign_makeup(staff, reg, other_cohort["sessions"][0]["id"], "Reading", "2", due)
    assert elsewhere.value.field_errors == {"session": "Choose a session of this cohort."}
    with pytest.raises(InvalidInput) as too_long:
        await assign_makeup(staff, reg, s2["id"], "Reading", "3.6", due)
    assert too_long.value.field_errors == {"hours": "At most 3.5 hours, the length of the session."}

    first = await assign_makeup(staff, reg, s2["id"], "Reading", "2", due)
    with pytest.raises(InvalidInput) as beyond:
        await assign_makeup(staff, reg, s2["id"], "More reading", "2", due)
    assert beyond.value.field_errors["hours"].startswith("At most 1.5 hours")
    await assign_makeup(staff, reg, s2["id"], "More reading", "1.5", due)

    session_day = to_local(s2["starts_at"]).date()
    for fields, key in [
        (("", "2", due), "description"),
        (("x" * 2001, "2", due), "description"),
        (("Reading", "", due), "hours"),
        (("Reading", "abc", due), "hours"),
        (("Reading", "0", due), "hours"),
        (("Reading", "-1", due), "hours"),
        (("Reading", "1.25", due), "hours"),
        (("Reading", "NaN", due), "hours"),
        (("Reading", "1", ""), "due_on"),
        (("Reading", "1", "next week"), "due_on"),
        (("Reading", "1", session_day - dt.timedelta(days=1)), "due_on"),
        (("Reading", "1", session_day + dt.timedelta(days=800)), "due_on"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            await assign_makeup(staff, reg, s2["id"], *fields)
        assert key in bad.value.field_errors, (fields, bad.value.field_errors)
    with pytest.raises(InvalidInput) as no_session:
        await assign_makeup(staff, reg, None, "Reading", "1", due)
    assert "session" in no_session.value.field_errors
    assert await MakeupAssignment.count() == 2  # nothing refused was written

    await complete_makeup(staff, first)
    with pytest.raises(Conflict):
        await complete_makeup(staff, first)
    with pytest.raises(NotFound):
        await assign_makeup(staff, 2_000_000, s2["id"], "Reading", "1", due)
    with pytest.raises(NotFound):
        await complete_makeup(staff, first, registration_id=reg + 1)
    await remove_makeup(staff, first)
    assert await MakeupAssignment.count() == 1
    kinds = [
        row["kind"]
        for row in await RegistrationEvent.select(RegistrationEvent.kind)
        .where(RegistrationEvent.registration == reg)
        .order_by(RegistrationEvent.id)
    ]
    assert kinds[-4:] == ["makeup_assigned", "makeup_assigned", "makeup_completed", "makeup_removed"]
    assert user["name"]  # the participant is named in the messages above


async def test_completion_is_refused_short_of_hours_unless_a_reason_is_recorded(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7, 7), upcoming=0, required_hours=20)
    person, application, user = await participant(staff, cohort)
    reg = application["registration"]
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "present")
    await mark_attendance(staff, cohort["id"], cohort["sessions"][1]["id"], reg, "absent")
    day = today() - dt.timedelta(days=1)

    with pytest.raises(Conflict) as short:
        await record_completion(staff, reg, day)
    assert short.value.code == "hours_short"
    assert f"{user['name']} has 7 of the 20 required hours: 13 hours are missing" in short.value.message
    assert (await Registration.select().where(Registration.id == reg).first())["completed_at"] is None

    code = await record_completion(
        staff, reg, day, override_reason="  Hours completed with the Placer County partner cohort "
    )
    stored = await Registration.select().where(Registration.id == reg).first()
    assert stored["certificate_code"] == code and re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){3}", code)
    assert stored["pd_hours_awarded_tenths"] == 70
    assert to_local(stored["completed_at"]) == dt.datetime.combine(day, dt.time(12), tzinfo=LOCAL_TZ)
    event = (
        await RegistrationEvent.select()
        .where((RegistrationEvent.registration == reg) & (RegistrationEvent.kind == "cohort_completed"))
        .first()
    )
    assert event["actor"] == staff.id
    assert "short of 13 hours because: Hours completed with the Placer County partner cohort" in event["note"]

    progress = await participant_progress(person, application["id"])
    assert progress.completed_on == day
    assert progress.letter_url == f"/my/applications/{application['id']}/completion-letter.pdf"
    verified = await certificate_by_code(code)
    assert verified["attendee_name"] == user["name"] and verified["hours_tenths"] == 70

    with pytest.raises(Conflict) as again:
        await record_completion(staff, reg, day, override_reason="again")
    assert again.value.code == "already_completed"
    # The workshops' attendance rule never touches a cohort's completion: not when the cohort is marked
    # completed, nor when attendance is corrected afterwards.
    await complete_offering(staff, cohort["id"])
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "absent")
    after = await Registration.select().where(Registration.id == reg).first()
    assert (after["certificate_code"], after["pd_hours_awarded_tenths"], after["completed_at"]) == (
        code,
        70,
        stored["completed_at"],
    )


async def test_completion_with_the_hours_met_needs_no_reason_and_bad_dates_are_refused(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7), upcoming=1, required_hours=14)
    _, application, _ = await participant(staff, cohort)
    reg = application["registration"]
    for session in cohort["sessions"][:2]:
        await mark_attendance(staff, cohort["id"], session["id"], reg, "present")
    first_day = to_local(cohort["sessions"][0]["starts_at"]).date()

    for bad, message in [
        (today() + dt.timedelta(days=1), "cannot be in the future"),
        (first_day - dt.timedelta(days=1), "cannot be before the first session"),
        ("2027-02-30", "as a date"),
        ("", "Give the date"),
        ("yesterday", "as a date"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await record_completion(staff, reg, bad)
        assert message in refused.value.field_errors["completed_on"], (bad, refused.value.field_errors)
    with pytest.raises(InvalidInput) as long_reason:
        await record_completion(staff, reg, today(), override_reason="x" * 501)
    assert "override_reason" in long_reason.value.field_errors
    assert (await Registration.select().where(Registration.id == reg).first())["completed_at"] is None

    await record_completion(staff, reg, first_day.isoformat())
    stored = await Registration.select().where(Registration.id == reg).first()
    assert to_local(stored["completed_at"]).date() == first_day and stored["pd_hours_awarded_tenths"] == 140


async def test_only_the_participant_and_staff_see_progress_and_only_staff_change_it(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff)
    person, application, _ = await participant(staff, cohort)
    other, other_application, _ = await participant(staff, cohort)
    reg = application["registration"]
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "absent")

    with pytest.raises(NotFound):
        await participant_progress(other, application["id"])
    with pytest.raises(NotFound):
        await participant_progress(person, 2**40)
    assert (await participant_progress(staff, application["id"])).registration["id"] == reg
    assert await participant_progress(other, other_application)  # their own

    pending = Actor.from_row(await make_user("attendee", password=None))
    draft = await start_application(pending, cohort["id"])
    assert await participant_progress(pending, draft) is None  # no place yet: nothing to show

    makeup = await assign_makeup(staff, reg, cohort["sessions"][0]["id"], "Reading", "2", today())
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD", password=None))
    for actor in (person, other, coordinator):
        with pytest.raises(Forbidden):
            await assign_makeup(actor, reg, cohort["sessions"][0]["id"], "Reading", "1", today())
        with pytest.raises(Forbidden):
            await complete_makeup(actor, makeup)
        with pytest.raises(Forbidden):
            await remove_makeup(actor, makeup)
        with pytest.raises(Forbidden):
            await record_completion(actor, reg, today(), override_reason="because")
        with pytest.raises(Forbidden):
            await staff_participant_progress(actor, cohort["id"], reg)
        with pytest.raises(Forbidden):
            await cohort_progress(actor, cohort["id"])
    assert await MakeupAssignment.count() == 1
    assert (await Registration.select().where(Registration.id == reg).first())["completed_at"] is None
    other_cohort = await running_cohort(staff, title="Another cohort")
    with pytest.raises(NotFound):
        await staff_participant_progress(staff, other_cohort["id"], reg)
    with pytest.raises(NotFound):
        await record_completion(staff, reg, today(), override_reason="x", cohort_id=other_cohort["id"])


# --- Pages ---------------------------------------------------------------------------------


page_csrf = token_from_page  # takes the response: its status is checked before the token is read


async def test_staff_pages_show_progress_and_take_makeups_and_completion(client):
    staff_user = await make_user("staff", password=None)
    staff = Actor.from_row(staff_user)
    cohort = await running_cohort(staff, lengths=(7, 7, 3.5), required_hours=20)
    _, application, user = await participant(staff, cohort, name="Nguyễn Thị Hồng")
    reg = application["registration"]
    s1, s2, s3, _ = cohort["sessions"]
    await mark_attendance(staff, cohort["id"], s1["id"], reg, "present")
    await mark_attendance(staff, cohort["id"], s2["id"], reg, "excused")
    await signed_in(client, staff_user)

    overview = await client.get(f"/staff/cohorts/{cohort['id']}/progress")
    assert overview.status_code == 200
    html = " ".join(overview.text.split())
    assert "Nguyễn Thị Hồng" in html and "7 of 20 hours" in html
    assert f'href="/staff/cohorts/{cohort["id"]}/progress/{reg}"' in html
    assert f'href="/staff/offerings/{cohort["id"]}/attendance"' in html

    path = f"/staff/cohorts/{cohort['id']}/progress/{reg}"
    detail = await client.get(path)
    assert detail.status_code == 200
    text = " ".join(detail.text.split())
    assert "Attended" in text and "Excused" in text and "Not marked yet" in text
    assert f'<option value="{s2["id"]}">' in text and f'<option value="{s1["id"]}">' not in text  # only missed sessions
    token = page_csrf(detail)

    bad = await client.post(
        f"{path}/makeups",
        data={"_csrf_token": token, "session": str(s2["id"]), "description": "", "hours": "9", "due_on": "soon"},
    )
    assert bad.status_code == 422
    assert 'class="error-summary"' in bad.text and 'id="f-description" name="description"' in bad.text
    assert bad.text.count('aria-invalid="true"') >= 3
    assert "At most 7 hours" in bad.text
    present = await client.post(
        f"{path}/makeups",
        data={
            "_csrf_token": token,
            "session": str(s1["id"]),
            "description": "Reading",
            "hours": "2",
            "due_on": today().isoformat(),
        },
    )
    assert present.status_code == 422 and "Make-up work is only for a session they missed" in present.text
    assert await MakeupAssignment.count() == 0

    good = await client.post(
        f"{path}/makeups",
        data={
            "_csrf_token": token,
            "session": str(s2["id"]),
            "description": "Read chapter 4",
            "hours": "7",
            "due_on": today().isoformat(),
        },
    )
    assert good.status_code == 303 and good.headers["location"] == f"{path}?notice=makeup-assigned#makeups"
    makeup = (await MakeupAssignment.select().first())["id"]
    done = await client.post(f"{path}/makeups/{makeup}/done", data={"_csrf_token": token})
    assert done.status_code == 303
    after = await client.get(f"{path}?notice=makeup-done")
    assert "14 of 20 hours" in " ".join(after.text.split()) and "its hours now count" in after.text

    short = await client.post(f"{path}/completion", data={"_csrf_token": token, "completed_on": today().isoformat()})
    assert short.status_code == 409
    assert "6 hours are missing" in short.text and 'id="f-override_reason"' in short.text
    bad_date = await client.post(
        f"{path}/completion",
        data={"_csrf_token": token, "completed_on": "2020-01-01", "override_reason": "Partner cohort hours"},
    )
    assert bad_date.status_code == 422 and "before the first session" in bad_date.text
    recorded = await client.post(
        f"{path}/completion",
        data={"_csrf_token": token, "completed_on": today().isoformat(), "override_reason": "Partner cohort hours"},
    )
    assert recorded.status_code == 303
    final = await client.get(path)
    assert "Completion letter (PDF)" in final.text and "Partner cohort hours" in final.text

    removed = await client.post(f"{path}/makeups/{makeup}/remove", data={"_csrf_token": token}, headers=HTMX)
    assert removed.status_code == 200 and removed.headers["hx-redirect"].endswith("notice=makeup-removed#makeups")
    assert await MakeupAssignment.count() == 0
    assert user["name"] == "Nguyễn Thị Hồng"


async def test_staff_pages_are_for_staff_only(client):
    staff = await staff_actor()
    cohort = await running_cohort(staff)
    _, application, user = await participant(staff, cohort)
    reg = application["registration"]
    await signed_in(client, user)
    assert (await client.get(f"/staff/cohorts/{cohort['id']}/progress")).status_code == 403
    assert (await client.get(f"/staff/cohorts/{cohort['id']}/progress/{reg}")).status_code == 403
    token = page_csrf(await client.get("/my/transcript"))
    refused = await client.post(
        f"/staff/cohorts/{cohort['id']}/progress/{reg}/completion",
        data={"_csrf_token": token, "completed_on": today().isoformat(), "override_reason": "x"},
    )
    assert refused.status_code == 403
    assert (await Registration.select().where(Registration.id == reg).first())["completed_at"] is None


async def test_unknown_cohorts_and_people_are_404_for_staff(client):
    staff_user = await make_user("staff", password=None)
    staff = Actor.from_row(staff_user)
    cohort = await running_cohort(staff)
    _, application, _ = await participant(staff, cohort)
    workshop = await create_offering(
        staff,
        OfferingInput(
            title="A workshop",
            capacity=5,
            status="published",
            sessions=[SessionInput(saturday(1), saturday(1) + dt.timedelta(hours=2))],
        ),
    )
    await signed_in(client, staff_user)
    assert (await client.get(f"/staff/cohorts/{workshop}/progress")).status_code == 404
    assert (
        await client.get(f"/staff/cohorts/{cohort['id']}/progress/{application['registration'] + 99}")
    ).status_code == 404
    assert (await client.get(f"/staff/cohorts/{2**40}/progress")).status_code == 404
    assert (await client.get(f"/staff/cohorts/{cohort['id']}/progress/{2**40}")).status_code == 404
