"""Students' medical and dietary notes are purged N days after their week ends (issue 12, item 4): by the
worker and by `booking purge-student-data`, leaving counts in the audit trail."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from booking.audit.tables import AuditEntry
from booking.clock import to_local, utc_now
from booking.notifications.delivery import FileTransport
from booking.notifications.worker import run_forever
from booking.slypark import intake
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.tables import Booking, Student, Week
from tests.conftest import run_cli
from tests.slypark.test_intake import SECRET, a_booking


async def bookings_with_notes(*weeks_ended_days_ago: int) -> list[int]:
    """One booking per week (of one season), each week ended that many days ago, each with 3 students:
    1 medical note, 2 dietary needs."""
    first, coordinator = await a_booking()
    booking = await Booking.select().where(Booking.id == first).first()
    weeks = [
        w["id"] for w in await Week.select(Week.id).where(Week.season == booking["season"]).order_by(Week.starts_on)
    ]
    booking_ids = [first]
    for week_id in weeks[1 : len(weeks_ended_days_ago)]:
        booking_ids.append(
            await book_remaining(
                coordinator,
                week_id,
                booking["school"],
                Headcount(2, 2, 1),
                lead_teacher_name="Dee",
                lead_teacher_email="dee@school.example",
            )
        )
    for booking_id, days_ago in zip(booking_ids, weeks_ended_days_ago):
        await intake.save_grid(
            coordinator,
            booking_id,
            [
                intake.StudentInput("Ana", "Lopez", "girl", "vegetarian", ""),
                intake.StudentInput("Ben", "Ng", "boy", "no nuts", SECRET),
                intake.StudentInput("Cara", "Diaz", "girl", "", ""),
            ],
        )
        week_id = (await Booking.select(Booking.week).where(Booking.id == booking_id).first())["week"]
        ended = to_local(utc_now()).date() - dt.timedelta(days=days_ago)
        # One night each: weeks ending 61 and 59 days ago must not share a night (weeks never overlap).
        await Week.update({Week.starts_on: ended - dt.timedelta(days=1), Week.ends_on: ended}).where(Week.id == week_id)
    return booking_ids


async def notes_of(booking_id: int) -> list[tuple[str, str]]:
    rows = (
        await Student.select(Student.dietary_needs, Student.medical_notes)
        .where(Student.booking == booking_id)
        .order_by(Student.last_name)
    )
    return [(r["dietary_needs"], r["medical_notes"]) for r in rows]


async def test_the_command_purges_notes_of_weeks_long_over_and_prints_counts(db, settings, session_var_dir):
    old, recent = await bookings_with_notes(61, 59)
    result = run_cli("purge-student-data", database_url=settings.database_url, var_dir=session_var_dir, check=True)
    assert "students whose medical notes were removed: 1" in result.stdout
    assert "students whose dietary needs were removed: 2" in result.stdout
    assert "bookings with notes removed: 1" in result.stdout
    assert await notes_of(old) == [("", ""), ("", ""), ("", "")]
    assert await Student.count().where(Student.booking == old) == 3  # the students stay; only their notes go
    assert await notes_of(recent) == [("", ""), ("vegetarian", ""), ("no nuts", SECRET)]
    [entry] = await AuditEntry.select().where(AuditEntry.kind == "student_notes.purged")
    assert json.loads(entry["detail"]) == {
        "students_with_medical_notes": 1,
        "students_with_dietary_needs": 2,
        "family_forms": 0,
        "older_than_days": 60,
    }
    again = run_cli("purge-student-data", database_url=settings.database_url, var_dir=session_var_dir, check=True)
    assert "students whose medical notes were removed: 0" in again.stdout
    shorter = run_cli(
        "purge-student-data",
        "--older-than-days",
        "30",
        database_url=settings.database_url,
        var_dir=session_var_dir,
        check=True,
    )
    assert "students whose medical notes were removed: 1" in shorter.stdout
    assert await notes_of(recent) == [("", ""), ("", ""), ("", "")]


async def test_the_command_refuses_a_bad_number_of_days_and_changes_nothing(db, settings, session_var_dir):
    [old] = await bookings_with_notes(400)
    for bad in ("-1", "abc", "²", "99999"):
        result = run_cli(
            "purge-student-data", "--older-than-days", bad, database_url=settings.database_url, var_dir=session_var_dir
        )
        assert result.returncode == 2, (bad, result.stdout, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert await notes_of(old) == [("", ""), ("vegetarian", ""), ("no nuts", SECRET)]


async def test_the_worker_purges_on_its_timed_pass(db, settings):
    [old] = await bookings_with_notes(90)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(FileTransport(settings.mail_dir), interval=0.05, stop=stop))
    try:
        for _ in range(200):
            if await notes_of(old) == [("", ""), ("", ""), ("", "")]:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await worker
    assert await notes_of(old) == [("", ""), ("", ""), ("", "")]
    [entry] = await AuditEntry.select().where(AuditEntry.kind == "student_notes.purged")
    assert entry["actor_id"] is None and json.loads(entry["detail"])["students_with_medical_notes"] == 1
