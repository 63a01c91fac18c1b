"""Fieldwork, coaching and mentoring hours: recorded by staff, counted toward the program's required hours."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import create_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import to_local
from booking.cohorts.completion import HoursShort, record_completion
from booking.cohorts.fieldwork import record_fieldwork, remove_fieldwork
from booking.cohorts.instalments import add_months
from booking.cohorts.makeups import assign_makeup, complete_makeup
from booking.cohorts.progress import cohort_progress, participant_progress, staff_participant_progress
from booking.cohorts.tables import CohortApplication, FieldworkEntry
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.scheduling.attendance import mark_attendance
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration, RegistrationEvent
from tests.cohorts.cohort_factory import saturday
from tests.cohorts.test_completion_letter import pdf_text
from tests.cohorts.test_progress import page_csrf, participant, running_cohort, today
from tests.factories import make_user, signed_in
from tests.workshop_factory import staff_actor

HTMX = {"HX-Request": "true"}


def flat(html: str) -> str:
    return " ".join(html.split())


async def events_of(registration_id: int) -> list[dict]:
    return (
        await RegistrationEvent.select()
        .where(RegistrationEvent.registration == registration_id)
        .order_by(RegistrationEvent.id)
    )


async def test_sessions_makeups_and_fieldwork_add_up_to_the_requirement_and_completion_needs_no_reason(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7), upcoming=0, required_hours=30)
    person, application, _ = await participant(staff, cohort)
    reg = application["registration"]
    s1, s2 = cohort["sessions"]
    await mark_attendance(staff, cohort["id"], s1["id"], reg, "present")
    await mark_attendance(staff, cohort["id"], s2["id"], reg, "absent")
    makeup = await assign_makeup(staff, reg, s2["id"], "Watch the recording and write a reflection", "3", today())
    await complete_makeup(staff, makeup)
    with pytest.raises(HoursShort):  # sessions alone: 10 of 30 hours
        await record_completion(staff, reg, today())

    first_day = to_local(s1["starts_at"]).date()
    await record_fieldwork(
        staff, reg, first_day + dt.timedelta(days=3), "12.5", "  Coaching meeting:\n the site plan  "
    )
    progress = await participant_progress(person, application["id"])
    t = progress.tally
    assert (t.attended_tenths, t.makeup_tenths, t.fieldwork_tenths, t.counted_tenths) == (70, 30, 125, 225)
    assert (t.in_sessions_tenths, t.remaining_tenths, t.met, t.percent) == (100, 75, False, 75)
    assert all(isinstance(v, int) for v in (t.fieldwork_tenths, t.counted_tenths, t.remaining_tenths, t.percent))

    await record_fieldwork(
        staff, reg, today().isoformat(), "7.5", "Shadowed the principal at a leadership team meeting"
    )
    progress = await staff_participant_progress(staff, cohort["id"], reg)
    assert (progress.tally.fieldwork_tenths, progress.tally.counted_tenths, progress.tally.met) == (200, 300, True)
    earlier, later = progress.fieldwork
    assert earlier["description"] == "Coaching meeting: the site plan"  # whitespace tidied to one line
    coaching_day = first_day + dt.timedelta(days=3)
    assert (earlier["hours_tenths"], earlier["hours_label"], earlier["worked_on"]) == (125, "12.5 hours", coaching_day)
    assert earlier["day_label"] == f"{coaching_day:%B %-d, %Y}"
    assert earlier["recorded_by_name"] == (await User.select(User.name).where(User.id == staff.id).first())["name"]
    assert later["hours_label"] == "7.5 hours" and later["worked_on"] == today()

    overview = await cohort_progress(staff, cohort["id"])
    (row,) = overview.participants
    assert (row["tally"].fieldwork_tenths, row["tally"].counted_tenths, row["fieldwork_entries"]) == (200, 300, 2)
    assert overview.met_count == 1

    await record_completion(staff, reg, today())  # the hours are met: no reason needed
    stored = await Registration.select().where(Registration.id == reg).first()
    assert stored["pd_hours_awarded_tenths"] == 300
    completed = next(e for e in await events_of(reg) if e["kind"] == "cohort_completed")
    assert "with 30 of 30 hours (20 of them fieldwork and coaching)" in completed["note"]
    recorded = [e for e in await events_of(reg) if e["kind"] == "fieldwork_recorded"]
    assert [e["note"] for e in recorded] == [
        f"12.5 hours on {(first_day + dt.timedelta(days=3)).isoformat()}: Coaching meeting: the site plan",
        f"7.5 hours on {today().isoformat()}: Shadowed the principal at a leadership team meeting",
    ]
    assert all(e["actor"] == staff.id for e in recorded)


async def test_fieldwork_is_settled_once_completion_is_recorded(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7,), upcoming=0, required_hours=10)
    _, application, user = await participant(staff, cohort)
    reg = application["registration"]
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "present")
    entry = await record_fieldwork(staff, reg, today(), "3", "Mentoring meeting")
    await record_completion(staff, reg, today())

    with pytest.raises(Conflict) as adding:
        await record_fieldwork(staff, reg, today(), "2", "More mentoring")
    assert adding.value.code == "already_completed"
    assert f"Completion is already recorded for {user['name']}" in adding.value.message
    assert "can no longer be added or removed" in adding.value.message
    with pytest.raises(Conflict) as adding_bad:  # the conflict is what matters, even with bad fields
        await record_fieldwork(staff, reg, "", "0", "")
    assert adding_bad.value.code == "already_completed"
    with pytest.raises(Conflict):
        await remove_fieldwork(staff, entry)
    assert await FieldworkEntry.count() == 1
    assert (await Registration.select().where(Registration.id == reg).first())["pd_hours_awarded_tenths"] == 100


async def test_every_bad_input_gets_its_own_clear_error_and_nothing_is_stored(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7), upcoming=1)
    _, application, _ = await participant(staff, cohort)
    reg = application["registration"]
    first_day = to_local(cohort["sessions"][0]["starts_at"]).date()
    earliest = add_months(first_day, -24)
    good = (today(), "2", "Coaching meeting")

    cases = [
        ({"hours": "0"}, "hours", "Enter more than 0 hours."),
        ({"hours": "-1"}, "hours", "Enter more than 0 hours."),
        ({"hours": "25"}, "hours", "Enter at most 24 hours"),
        ({"hours": "24.1"}, "hours", "Enter at most 24 hours"),
        ({"hours": "1.25"}, "hours", "Use at most one decimal place"),
        ({"hours": "abc"}, "hours", "Enter the hours as a number"),
        ({"hours": "NaN"}, "hours", "Enter the hours as a number"),  # not a number (it was once "more than 0")
        ({"hours": ""}, "hours", "Enter the hours worked"),
        ({"hours": None}, "hours", "Enter the hours worked"),
        ({"worked_on": today() + dt.timedelta(days=1)}, "worked_on", "cannot be in the future"),
        ({"worked_on": (today() + dt.timedelta(days=30)).isoformat()}, "worked_on", "cannot be in the future"),
        (
            {"worked_on": earliest - dt.timedelta(days=1)},
            "worked_on",
            "more than two years before the cohort's first session",
        ),
        ({"worked_on": ""}, "worked_on", "Give the date the work was done."),
        ({"worked_on": "last Tuesday"}, "worked_on", "Enter the date as a date"),
        ({"worked_on": "2027-02-30"}, "worked_on", "Enter the date as a date"),
        ({"description": ""}, "description", "Say what was done"),
        ({"description": " \n\t "}, "description", "Say what was done"),
        ({"description": "x" * 301}, "description", "Keep the description to 300 characters (it has 301)"),
    ]
    for change, key, message in cases:
        values = dict(zip(("worked_on", "hours", "description"), good)) | change
        with pytest.raises(InvalidInput) as bad:
            await record_fieldwork(staff, reg, values["worked_on"], values["hours"], values["description"])
        assert list(bad.value.field_errors) == [key], (change, bad.value.field_errors)
        assert message in bad.value.field_errors[key], (change, bad.value.field_errors)

    with pytest.raises(InvalidInput) as everything:  # every field at once, in the form's order
        await record_fieldwork(staff, reg, today() + dt.timedelta(days=2), "1.25", "")
    assert list(everything.value.field_errors) == ["worked_on", "hours", "description"]
    assert await FieldworkEntry.count() == 0
    assert not [e for e in await events_of(reg) if e["kind"].startswith("fieldwork")]

    # The limits themselves are accepted.
    await record_fieldwork(staff, reg, earliest, "0.1", "x" * 300)
    await record_fieldwork(staff, reg, today(), "24", "A full day at the summer leadership institute")
    assert sorted(row["hours_tenths"] for row in await FieldworkEntry.select()) == [1, 240]


async def test_only_staff_record_or_remove_and_only_for_this_cohorts_participants(db):
    staff = await staff_actor()
    cohort = await running_cohort(staff)
    other_cohort = await running_cohort(staff, title="Clear Administrative Services Credential, Cohort 9")
    person, application, _ = await participant(staff, cohort)
    other_person, other_application, _ = await participant(staff, other_cohort)
    reg = application["registration"]
    entry = await record_fieldwork(staff, reg, today(), "2", "Coaching meeting", cohort_id=cohort["id"])

    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD", password=None))
    for actor in (person, other_person, coordinator, None):
        with pytest.raises(Forbidden):
            await record_fieldwork(actor, reg, today(), "2", "Coaching meeting")
        with pytest.raises(Forbidden):
            await remove_fieldwork(actor, entry)

    with pytest.raises(NotFound):  # another cohort's participant, through this cohort's pages
        await record_fieldwork(
            staff, other_application["registration"], today(), "2", "Coaching", cohort_id=cohort["id"]
        )
    with pytest.raises(NotFound):
        await record_fieldwork(staff, reg, today(), "2", "Coaching", cohort_id=other_cohort["id"])
    with pytest.raises(NotFound):
        await record_fieldwork(staff, 2_000_000, today(), "2", "Coaching")
    with pytest.raises(NotFound):
        await record_fieldwork(staff, 2**40, today(), "2", "Coaching")
    workshop = await create_offering(
        staff,
        OfferingInput(
            title="A workshop",
            capacity=5,
            status="published",
            sessions=[SessionInput(saturday(1), saturday(1) + dt.timedelta(hours=2))],
        ),
    )
    attendee = Actor.from_row(await make_user("attendee", district="EGUSD", password=None))
    seat_id = (await register(attendee, workshop, RegistrationRequest())).registration["id"]
    with pytest.raises(NotFound):  # a workshop seat is not a cohort participant
        await record_fieldwork(staff, seat_id, today(), "2", "Coaching")

    with pytest.raises(NotFound):
        await remove_fieldwork(staff, entry, registration_id=other_application["registration"])
    with pytest.raises(NotFound):
        await remove_fieldwork(staff, entry, cohort_id=other_cohort["id"])
    with pytest.raises(NotFound):
        await remove_fieldwork(staff, entry + 1000)
    assert await FieldworkEntry.count() == 1

    await remove_fieldwork(staff, entry, registration_id=reg, cohort_id=cohort["id"])
    assert await FieldworkEntry.count() == 0
    removed = [e for e in await events_of(reg) if e["kind"] == "fieldwork_removed"]
    assert len(removed) == 1 and removed[0]["note"] == f"2 hours on {today().isoformat()}: Coaching meeting"
    with pytest.raises(NotFound):
        await remove_fieldwork(staff, entry)


# --- Pages ---------------------------------------------------------------------------------


async def test_staff_record_fieldwork_on_the_participant_page_and_everyone_sees_the_hours(client):
    staff_user = await make_user("staff", password=None)
    staff = Actor.from_row(staff_user)
    cohort = await running_cohort(staff, lengths=(7, 7, 3.5), required_hours=40)
    person, application, user = await participant(staff, cohort, name="Nguyễn Thị Hồng")
    reg = application["registration"]
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "present")
    await signed_in(client, staff_user)
    path = f"/staff/cohorts/{cohort['id']}/progress/{reg}"

    before = await client.get(path)
    assert before.status_code == 200
    text = flat(before.text)
    assert "Fieldwork and coaching hours" in text and "No fieldwork or coaching hours recorded yet." in text
    assert f'action="{path}/fieldwork"' in text
    assert 'id="f-worked_on" name="worked_on" type="date"' in text and 'id="f-fieldwork_hours"' in text
    assert (
        'id="f-fieldwork_description"' in text and 'id="f-description"' not in text
    )  # no make-up form: nothing missed
    token = page_csrf(before)

    bad = await client.post(
        f"{path}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": (today() + dt.timedelta(days=3)).isoformat(),
            "fieldwork_hours": "25",
            "fieldwork_description": "Coaching meeting on the site plan",
        },
    )
    assert bad.status_code == 422
    html = flat(bad.text)
    assert 'class="error-summary"' in html and 'href="#f-worked_on"' in html and 'href="#f-fieldwork_hours"' in html
    assert "cannot be in the future" in html and "Enter at most 24 hours" in html
    assert html.count('aria-invalid="true"') == 2
    assert 'value="25"' in html and ">Coaching meeting on the site plan</textarea>" in html  # what was typed stays
    empty = await client.post(
        f"{path}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": today().isoformat(),
            "fieldwork_hours": "1.25",
            "fieldwork_description": "",
        },
    )
    assert empty.status_code == 422
    assert "Say what was done" in empty.text and "Use at most one decimal place" in empty.text
    assert 'id="f-fieldwork_description" name="fieldwork_description"' in flat(empty.text)
    too_long = await client.post(
        f"{path}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": today().isoformat(),
            "fieldwork_hours": "2",
            "fieldwork_description": "y" * 2500,
        },
    )
    assert too_long.status_code == 422 and "Keep the description to 300 characters (it has 2500)" in too_long.text
    assert await FieldworkEntry.count() == 0

    good = await client.post(
        f"{path}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": today().isoformat(),
            "fieldwork_hours": "12.5",
            "fieldwork_description": "Coaching meeting on the site plan",
        },
    )
    assert good.status_code == 303 and good.headers["location"] == f"{path}?notice=fieldwork-recorded#fieldwork"
    after = flat((await client.get(f"{path}?notice=fieldwork-recorded")).text)
    assert "fieldwork hours are recorded" in after
    assert "Coaching meeting on the site plan" in after and f"{today():%B %-d, %Y}" in after
    assert "19.5 of 40 hours" in after and "12.5 hours of fieldwork and coaching" in after
    entry = (await FieldworkEntry.select().first())["id"]
    assert f'action="{path}/fieldwork/{entry}/remove"' in after

    overview = flat((await client.get(f"/staff/cohorts/{cohort['id']}/progress")).text)
    assert (
        "Fieldwork and coaching</th>" in overview and '12.5 hours <span class="roster-note">1 entry</span>' in overview
    )
    assert "19.5 of 40 hours" in overview

    await signed_in(client, user)
    mine = flat((await client.get(f"/my/applications/{application['id']}")).text)
    assert "19.5 of 40 hours" in mine
    assert "Fieldwork and coaching: 12.5 hours" in mine and "Coaching meeting on the site plan" in mine
    assert "Sessions attended: 7 hours" in mine
    assert (
        await client.post(
            f"{path}/fieldwork",
            data={
                "_csrf_token": page_csrf(await client.get("/my/transcript")),
                "worked_on": today().isoformat(),
                "fieldwork_hours": "2",
                "fieldwork_description": "Self-reported",
            },
        )
    ).status_code == 403
    assert await FieldworkEntry.count() == 1

    await signed_in(client, staff_user)
    token = page_csrf(await client.get(path))
    removed = await client.post(f"{path}/fieldwork/{entry}/remove", data={"_csrf_token": token}, headers=HTMX)
    assert removed.status_code == 200 and removed.headers["hx-redirect"] == f"{path}?notice=fieldwork-removed#fieldwork"
    assert await FieldworkEntry.count() == 0
    gone = flat((await client.get(f"{path}?notice=fieldwork-removed")).text)
    assert "its hours no longer count" in gone and "7 of 40 hours" in gone
    assert person.id == user["id"]


async def test_the_pages_refuse_fieldwork_after_completion_and_for_another_cohort(client):
    staff_user = await make_user("staff", password=None)
    staff = Actor.from_row(staff_user)
    cohort = await running_cohort(staff, lengths=(7,), upcoming=0, required_hours=10)
    other_cohort = await running_cohort(staff, title="Another cohort")
    _, application, _ = await participant(staff, cohort)
    _, other_application, _ = await participant(staff, other_cohort)
    reg = application["registration"]
    await mark_attendance(staff, cohort["id"], cohort["sessions"][0]["id"], reg, "present")
    entry = await record_fieldwork(staff, reg, today(), "3", "Mentoring meeting")
    await signed_in(client, staff_user)
    path = f"/staff/cohorts/{cohort['id']}/progress/{reg}"
    token = page_csrf(await client.get(path))

    elsewhere = await client.post(
        f"/staff/cohorts/{cohort['id']}/progress/{other_application['registration']}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": today().isoformat(),
            "fieldwork_hours": "2",
            "fieldwork_description": "Coaching",
        },
    )
    assert elsewhere.status_code == 404
    assert (
        await client.post(
            f"/staff/cohorts/{other_cohort['id']}/progress/{other_application['registration']}"
            f"/fieldwork/{entry}/remove",
            data={"_csrf_token": token},
        )
    ).status_code == 404

    await record_completion(staff, reg, today())
    completed = flat((await client.get(path)).text)
    assert "Mentoring meeting" in completed and "can no longer be added or removed" in completed
    assert f'action="{path}/fieldwork"' not in completed and f"/fieldwork/{entry}/remove" not in completed
    refused = await client.post(
        f"{path}/fieldwork",
        data={
            "_csrf_token": token,
            "worked_on": today().isoformat(),
            "fieldwork_hours": "2",
            "fieldwork_description": "Late entry",
        },
    )
    assert refused.status_code == 409 and "Completion is already recorded" in refused.text
    assert (await client.post(f"{path}/fieldwork/{entry}/remove", data={"_csrf_token": token})).status_code == 409
    assert await FieldworkEntry.count() == 1


async def test_the_completion_letter_counts_fieldwork_in_the_hours_completed(client):
    staff = await staff_actor()
    cohort = await running_cohort(staff, lengths=(7, 7), upcoming=0, required_hours=20)
    _, application, user = await participant(staff, cohort, name="Sam O'Brien")
    reg = application["registration"]
    for session in cohort["sessions"]:
        await mark_attendance(staff, cohort["id"], session["id"], reg, "present")
    await record_fieldwork(staff, reg, today(), "6.5", "Coaching: budget planning with the principal")
    await record_completion(staff, reg, today())

    await signed_in(client, user)
    response = await client.get(f"/my/applications/{application['id']}/completion-letter.pdf")
    assert response.status_code == 200
    text, _ = pdf_text(response.content)
    assert "Hours completed 20.5 hours (the program requires 20)" in text, text
    assert "Fieldwork and coaching 6.5 hours, included in the hours completed" in text, text
    assert "the fieldwork and coaching hours our staff recorded" in text, text


async def test_the_demo_gives_the_induction_participant_mentoring_hours_once(db):
    from booking.demo import load_demo_data
    from booking.demo_cohorts import INDUCTION_COHORT

    await load_demo_data()
    entries = await FieldworkEntry.select()
    assert len(entries) >= 3
    await load_demo_data()
    assert await FieldworkEntry.count() == len(entries)

    riley = await User.select().where(User.email == "newteacher@sanjuan.example").first()
    application = (
        await CohortApplication.select()
        .where((CohortApplication.applicant == riley["id"]) & (CohortApplication.cohort.title == INDUCTION_COHORT))
        .first()
    )
    progress = await participant_progress(Actor.from_row(riley), application["id"])
    assert progress.tally.fieldwork_tenths == sum(e["hours_tenths"] for e in entries) > 0
    assert progress.tally.counted_tenths > progress.tally.in_sessions_tenths
    assert all(e["worked_on"] <= today() for e in entries)
