"""The reminder the day before: one email per confirmed attendee and workshop day.

The rule: on each local (Pacific) calendar day, everyone with a confirmed registration in a
published workshop that has scheduled sessions starting on the next local day gets one
`session_reminder` listing that day's sessions. The worker checks every minute, so a
person registered late in the evening still hears about tomorrow morning. A workshop day is
reminded once (`SentNotice` key "session_reminder:r{registration}:{date}"): two workers, a
restart, or a second pass never send it twice. Moving a session to another day makes the
new day due; cancelled sessions, offerings and registrations are never reminded, checked
again under the offering's lock in the transaction that queues the email.
"""

from __future__ import annotations

import datetime as dt
import logging

from booking.catalog.offerings import sessions_of
from booking.catalog.tables import Offering, OfferingSession
from booking.clock import LOCAL_TZ, to_local, utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.notifications.outbox import enqueue_email
from booking.notifications.tables import SentNotice
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Registration

log = logging.getLogger("booking.reminders")

KIND = "session_reminder"
CHECK_EVERY_SECONDS = 60.0


def reminder_day(now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """Tomorrow's local date and its start and end in UTC (23 or 25 hours long around DST)."""
    tomorrow = to_local(now).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=LOCAL_TZ)
    end = dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ)
    return tomorrow, start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def reminder_key(registration_id: int, day: dt.date) -> str:
    return f"{KIND}:r{registration_id}:{day.isoformat()}"


async def _sessions_on(offering_ids: list[int], start: dt.datetime, end: dt.datetime) -> list[dict]:
    return [s for s in await sessions_of(offering_ids) if start <= s["starts_at"] < end]


async def _remind_one(
    registration_id: int, offering_id: int, day: dt.date, start: dt.datetime, end: dt.datetime
) -> bool:
    """Queue one reminder in its own transaction, unless it is no longer due or already queued."""
    async with write_transaction():
        # Cancelling a registration, a session or the offering takes this lock too.
        await lock_rows_for_update(Offering, Offering.id == offering_id)
        offering = await Offering.select().where(Offering.id == offering_id).first()
        registration = (
            await Registration.select(
                Registration.status,
                Registration.attendee.email.as_alias("email"),
                Registration.attendee.name.as_alias("name"),
                Registration.attendee.is_active.as_alias("is_active"),
            )
            .where(Registration.id == registration_id)
            .first()
        )
        sessions = await _sessions_on([offering_id], start, end)
        if (
            offering is None
            or offering["status"] != "published"
            or registration is None
            or registration["status"] != S.CONFIRMED
            or not registration["is_active"]
            or not sessions
        ):
            return False
        claimed = (
            await SentNotice.insert(SentNotice(kind=KIND, key=reminder_key(registration_id, day), sent_at=utc_now()))
            .on_conflict(target=SentNotice.key, action="DO NOTHING")
            .returning(SentNotice.id)
        )
        if not claimed:
            return False  # another worker queued it first
        await enqueue_email(
            registration["email"],
            "session_reminder",
            {
                "name": registration["name"],
                "offering": offering,
                "sessions": sessions,
                "day": day,
                "can_cancel": offering["cancellation_deadline"] is None
                or offering["cancellation_deadline"] > utc_now(),
            },
        )
    return True


async def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue every reminder due at `now`; returns how many were queued by this call."""
    now = now or utc_now()
    day, start, end = reminder_day(now)
    sessions = await OfferingSession.select(OfferingSession.offering).where(
        (OfferingSession.starts_at >= start)
        & (OfferingSession.starts_at < end)
        & (OfferingSession.status == "scheduled")
        & (OfferingSession.offering.status == "published")
    )
    offering_ids = sorted({s["offering"] for s in sessions})
    if not offering_ids:
        return 0
    registrations = (
        await Registration.select(Registration.id, Registration.offering)
        .where(
            Registration.offering.is_in(offering_ids)
            & (Registration.status == S.CONFIRMED.value)
            & (Registration.attendee.is_active == True)
        )
        .order_by(Registration.id)
    )
    keys = [reminder_key(r["id"], day) for r in registrations]
    done: set[str] = set()
    for index in range(0, len(keys), 500):
        chunk = keys[index : index + 500]
        done.update(row["key"] for row in await SentNotice.select(SentNotice.key).where(SentNotice.key.is_in(chunk)))
    queued = 0
    for registration in registrations:
        if reminder_key(registration["id"], day) in done:
            continue
        try:
            if await _remind_one(registration["id"], registration["offering"], day, start, end):
                queued += 1
        except Exception:  # one person's trouble must not hold up everyone else's reminder
            log.exception("reminder for registration %s failed", registration["id"])
    return queued
