"""The reminder the day before: the real worker loop, a fixed clock, and a real SMTP server."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering, OfferingSession
from booking.catalog.validation import SessionInput
from booking.notifications.delivery import SmtpTransport
from booking.notifications.tables import OutboxMessage, SentNotice
from booking.notifications.worker import run_forever
from booking.scheduling.reminders import _remind_one, reminder_day, send_due_reminders
from booking.workflows.cancel_registration import cancel_registration
from tests.factories import make_user
from tests.scheduling.attendance_helpers import enrol, local, staff_member, workshop

# Saturday 9 March 2030, 10 a.m. Pacific; clocks spring forward on Sunday 10 March at 2 a.m.
NOW = local(2030, 3, 9, 10)


def meeting(year, month, day, hour, minute=0, hours=3) -> SessionInput:
    start = local(year, month, day, hour, minute)
    return SessionInput(starts_at=start, ends_at=start + dt.timedelta(hours=hours))


async def person(name: str) -> dict:
    return await make_user("attendee", name=name, email=f"{name.lower()}@example.org", password=None)


async def _week():
    """Who is due a reminder at NOW: Alice, Carol (promoted) and Jack. Nobody else."""
    staff, actor = await staff_member()
    alice, bob, carol, erin, frank, gina, hal, ivy, jack = [
        await person(n) for n in ("Alice", "Bob", "Carol", "Erin", "Frank", "Gina", "Hal", "Ivy", "Jack")
    ]
    series = await workshop(
        actor,
        title="Math Series",
        capacity=2,
        sessions=[meeting(2030, 3, 10, 9), meeting(2030, 3, 10, 13, hours=2), meeting(2030, 3, 17, 9)],
    )
    regs = await enrol(series["id"], [alice, bob, carol, erin])  # Carol and Erin wait
    await cancel_registration(Actor.from_row(bob), regs[1]["id"])  # Carol is promoted
    later = await workshop(actor, title="Day After Tomorrow", sessions=[meeting(2030, 3, 11, 0, 30)])
    await enrol(later["id"], [frank])
    cancelled_session = await workshop(actor, title="Cancelled Session", sessions=[meeting(2030, 3, 10, 9)])
    await enrol(cancelled_session["id"], [gina])
    await OfferingSession.update({OfferingSession.status: "cancelled"}).where(
        OfferingSession.offering == cancelled_session["id"]
    )
    cancelled_offering = await workshop(actor, title="Cancelled Workshop", sessions=[meeting(2030, 3, 10, 9)])
    await enrol(cancelled_offering["id"], [hal])
    await Offering.update({Offering.status: "cancelled"}).where(Offering.id == cancelled_offering["id"])
    today = await workshop(actor, title="Later Today", sessions=[meeting(2030, 3, 9, 18)])
    await enrol(today["id"], [ivy])
    late_night = await workshop(actor, title="Late Night", sessions=[meeting(2030, 3, 10, 23, 30, hours=0.5)])
    await enrol(late_night["id"], [jack])
    await OutboxMessage.delete(force=True)  # the registration emails are not what this is about
    return {"series": series, "late_night": late_night, "regs": regs}


async def _run_worker_until(smtp_server, count: int, clock, seconds: float = 20) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(SmtpTransport(smtp_server.url), interval=0.05, stop=stop, clock=clock))
    deadline = time.monotonic() + seconds
    while len(smtp_server.messages) < count and time.monotonic() < deadline and not worker.done():
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything more that would come, comes now
    stop.set()
    await worker


async def test_the_worker_reminds_confirmed_attendees_of_tomorrows_sessions_once(db, smtp_server):
    await _week()

    await _run_worker_until(smtp_server, 3, clock=lambda: NOW)

    assert sorted(m["To"] for m in smtp_server.messages) == [
        "alice@example.org",
        "carol@example.org",
        "jack@example.org",
    ]
    alice = smtp_server.to("alice@example.org")[0]
    assert alice["Subject"] == "Reminder: “Math Series” is tomorrow, Sunday, March 10"
    text = alice.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Alice," in text
    assert "meets tomorrow, Sunday, March 10, 2030" in text
    assert "Sun Mar 10, 2030 9:00 AM PDT to 12:00 PM PDT" in text  # after the clocks changed
    assert "Sun Mar 10, 2030 1:00 PM PDT to 3:00 PM PDT" in text  # both of the day's sessions, one email
    assert "Mar 17" not in text
    assert "http://testserver.local/my/learning" in text
    html = alice.get_body(preferencelist=("html",)).get_content()
    assert "Math Series" in html and "9:00 AM PDT" in html
    assert await SentNotice.count() == 3

    # Another pass, and a restarted worker, send nothing more.
    assert await send_due_reminders(NOW) == 0
    await _run_worker_until(smtp_server, 4, clock=lambda: NOW + dt.timedelta(hours=8), seconds=1.5)
    assert len(smtp_server.messages) == 3


async def test_workers_running_at_once_queue_each_reminder_once(db):
    await _week()

    results = await asyncio.gather(*[send_due_reminders(NOW) for _ in range(4)])

    assert sum(results) == 3
    recipients = sorted(m["to_address"] for m in await OutboxMessage.select(OutboxMessage.to_address))
    assert recipients == ["alice@example.org", "carol@example.org", "jack@example.org"]
    assert await SentNotice.count() == 3


async def test_a_session_moved_to_another_day_is_reminded_again_for_the_new_day(db):
    week = await _week()
    assert await send_due_reminders(NOW) == 3
    late_night = week["late_night"]["sessions"][0]
    await OfferingSession.update(
        {
            OfferingSession.starts_at: local(2030, 3, 12, 9),
            OfferingSession.ends_at: local(2030, 3, 12, 12),
        }
    ).where(OfferingSession.id == late_night["id"])

    assert await send_due_reminders(NOW) == 0  # no longer tomorrow
    assert await send_due_reminders(local(2030, 3, 11, 7)) == 1  # Monday: due for Tuesday
    assert await send_due_reminders(local(2030, 3, 11, 21)) == 0
    jack = await OutboxMessage.select(OutboxMessage.subject).where(OutboxMessage.to_address == "jack@example.org")
    assert [m["subject"] for m in jack] == [
        "Reminder: “Late Night” is tomorrow, Sunday, March 10",
        "Reminder: “Late Night” is tomorrow, Tuesday, March 12",
    ]


async def test_nothing_is_queued_for_a_registration_cancelled_before_its_turn(db):
    week = await _week()
    alice_reg = week["regs"][0]
    staff, _ = await staff_member()
    await cancel_registration(Actor.from_row(staff), alice_reg["id"])  # Erin, still waiting, gets the seat
    day, start, end = reminder_day(NOW)

    assert await _remind_one(alice_reg["id"], week["series"]["id"], day, start, end) is False
    assert await send_due_reminders(NOW) == 3
    recipients = sorted(
        m["to_address"]
        for m in await OutboxMessage.select(OutboxMessage.to_address).where(OutboxMessage.subject.like("Reminder:%"))
    )
    assert recipients == ["carol@example.org", "erin@example.org", "jack@example.org"]
    assert await SentNotice.count() == 3


def test_tomorrow_is_the_next_local_day_whatever_its_length():
    day, start, end = reminder_day(NOW)
    assert day == dt.date(2030, 3, 10)
    assert start == dt.datetime(2030, 3, 10, 8, tzinfo=dt.timezone.utc)
    assert end - start == dt.timedelta(hours=23)  # spring forward
    day, start, end = reminder_day(local(2030, 11, 2, 23, 59))
    assert day == dt.date(2030, 11, 3) and end - start == dt.timedelta(hours=25)  # fall back
    day, _, _ = reminder_day(dt.datetime(2030, 3, 10, 7, 30, tzinfo=dt.timezone.utc))  # still the 9th in Sacramento
    assert day == dt.date(2030, 3, 10)
