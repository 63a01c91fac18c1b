"""Accepted participants have every cohort session in their calendars, and schedule changes reach them."""

from __future__ import annotations

import base64
import datetime as dt
import json

from booking.catalog.sessions import reschedule_session
from booking.catalog.tables import OfferingSession
from booking.catalog.validation import SessionInput
from booking.cohorts import review
from booking.notifications.tables import OutboxMessage
from booking.scheduling import feed_tokens
from tests.calendars.readers import read_everywhere
from tests.cohorts.cohort_factory import make_cohort, saturday, submitted_applicant
from tests.workshop_factory import staff_actor


def invite_in(message: dict):
    """The calendar file attached to an outbox message, read by both independent parsers."""
    attachments = (
        message["attachments"] if isinstance(message["attachments"], list) else json.loads(message["attachments"])
    )
    [invite] = [a for a in attachments if a.get("method")]
    parsed = read_everywhere(base64.b64decode(invite["content_b64"]))
    assert parsed.method == invite["method"]
    return parsed


async def test_acceptance_invites_to_every_session_and_a_moved_session_updates_everyone(client):
    staff = await staff_actor()
    cohort = await make_cohort(staff, capacity=5, sessions=3)
    people = [await submitted_applicant(cohort) for _ in range(2)]
    for _, application in people:
        await review.accept(staff, application["id"])
    sessions = (
        await OfferingSession.select()
        .where(OfferingSession.offering == cohort["id"])
        .order_by(OfferingSession.starts_at)
    )

    for _person, application in people:
        accepted = (
            await OutboxMessage.select()
            .where(
                (OutboxMessage.to_address == application["applicant_email"]) & OutboxMessage.subject.like("Accepted:%")
            )
            .first()
        )
        parsed = invite_in(accepted)
        assert parsed.method == "REQUEST" and len(parsed.events) == 3 and {e.sequence for e in parsed.events} == {0}
        assert {e.start for e in parsed.events} == {s["starts_at"].astimezone(dt.timezone.utc) for s in sessions}

    moved = saturday(20, hour=9)
    await reschedule_session(staff, cohort["id"], sessions[1]["id"], SessionInput(moved, moved + dt.timedelta(hours=6)))
    for _, application in people:
        update = (
            await OutboxMessage.select()
            .where(OutboxMessage.to_address == application["applicant_email"])
            .order_by(OutboxMessage.id, ascending=False)
            .first()
        )
        parsed = invite_in(update)
        assert parsed.method == "REQUEST" and len(parsed.events) == 1
        assert parsed.events[0].sequence == 1 and parsed.events[0].start == moved.astimezone(dt.timezone.utc)

    # And the participant's private feed holds the cohort's sessions, linked to the cohort's page.
    first_person, _ = people[0]
    feed = await feed_tokens.create_feed(first_person, "person")
    body = (await client.get(f"/calendar/{feed_tokens.token_for(feed['nonce'])}.ics")).content
    events = read_everywhere(body).events
    assert len(events) == 3
    assert {e.url for e in events} == {f"http://testserver.local/cohorts/{cohort['id']}"}
