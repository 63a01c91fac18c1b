"""GET /offerings/{id}.ics, read back by vobject and ical.js (not the library that wrote it), which must agree."""

from __future__ import annotations

import datetime as dt

from booking.catalog.offerings import create_offering
from booking.catalog.tables import Offering, OfferingSession, Room, Venue
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from tests.calendars.readers import read_everywhere
from tests.factories import make_user, signed_in
from tests.workshop_factory import make_workshop, staff_actor

UTC = dt.timezone.utc


def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: lines end in CRLF; a line starting with a space or tab continues the previous one.

    Kept for tests/notifications/test_invites.py; tests/calendars/readers.check_wire_format does the
    same checks on bytes (and also refuses folds that split a UTF-8 character)."""
    assert text.endswith("\r\n")
    raw = text.split("\r\n")[:-1]
    for line in raw:
        assert "\n" not in line and "\r" not in line, "bare LF/CR inside a line"
        assert len(line.encode()) <= 75, f"line longer than 75 octets: {line!r}"
    lines: list[str] = []
    for line in raw:
        if line[:1] in (" ", "\t"):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


async def test_every_session_is_one_event_with_a_stable_uid_and_the_right_instant_across_daylight_saving(client):
    venue = Venue(name="SCOE Mather Campus", address="10474 Mather Boulevard, Mather, CA 95655")
    await venue.save()
    room = Room(venue=venue.id, name="Room 203", capacity=30)
    await room.save()
    # Daylight saving starts on Sunday 14 March 2027: 9 AM is 17:00 UTC before, 16:00 UTC after.
    before = dt.datetime(2027, 3, 13, 9, 0, tzinfo=LOCAL_TZ)
    after = dt.datetime(2027, 3, 15, 9, 0, tzinfo=LOCAL_TZ)
    offering_id = await create_offering(
        await staff_actor(),
        OfferingInput(
            title="Spring Series, part; one",
            capacity=20,
            status="published",
            sessions=[
                SessionInput(before, before + dt.timedelta(hours=3), room_id=room.id),
                SessionInput(after, after + dt.timedelta(hours=2), online_url="https://zoom.us/j/777"),
            ],
        ),
    )
    sessions = (
        await OfferingSession.select()
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.starts_at)
    )
    await OfferingSession.update({OfferingSession.sequence: 3}).where(OfferingSession.id == sessions[1]["id"])

    response = await client.get(f"/offerings/{offering_id}.ics")  # anyone, no sign-in

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert f'filename="workshop-{offering_id}.ics"' in response.headers["content-disposition"]
    calendar = read_everywhere(response.content)
    assert calendar.properties["version"] == "2.0" and calendar.properties["prodid"]
    assert calendar.method == "PUBLISH" and calendar.name == "Spring Series, part; one"
    # Pacific wall-clock times with the file's own VTIMEZONE, not UTC.
    assert calendar.timezones == ("America/Los_Angeles",)
    assert b"DTSTART;TZID=America/Los_Angeles:20270313T090000\r\n" in response.content
    assert len(calendar.events) == 2
    first, second = calendar.events
    assert first.uid == f"session-{sessions[0]['id']}@testserver.local"
    assert second.uid == f"session-{sessions[1]['id']}@testserver.local"
    assert (first.start, first.end) == (
        dt.datetime(2027, 3, 13, 17, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 13, 20, 0, tzinfo=UTC),
    )
    assert (second.start, second.end) == (
        dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC),
        dt.datetime(2027, 3, 15, 18, 0, tzinfo=UTC),
    )
    assert (first.sequence, second.sequence) == (0, 3)
    assert first.summary == "Spring Series, part; one (session 1 of 2)"
    assert first.location == "SCOE Mather Campus, Room 203, 10474 Mather Boulevard, Mather, CA 95655"
    assert second.location == "Online: https://zoom.us/j/777"
    assert first.url == f"http://testserver.local/workshops/{offering_id}"
    assert f"http://testserver.local/workshops/{offering_id}" in first.description
    assert abs(first.dtstamp - dt.datetime.now(UTC)) < dt.timedelta(minutes=5)
    assert first.status == second.status == "CONFIRMED"

    again = read_everywhere((await client.get(f"/offerings/{offering_id}.ics")).content).events
    assert [e.uid for e in again] == [first.uid, second.uid]  # importing twice updates, never doubles


async def test_cancelled_sessions_and_offerings_are_marked_cancelled(client):
    offering_id = await make_workshop("Two parts", sessions=2)
    sessions = (
        await OfferingSession.select()
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.starts_at)
    )
    await OfferingSession.update({OfferingSession.status: "cancelled", OfferingSession.sequence: 1}).where(
        OfferingSession.id == sessions[0]["id"]
    )
    events = read_everywhere((await client.get(f"/offerings/{offering_id}.ics")).content).events
    assert [(e.status, e.sequence) for e in events] == [("CANCELLED", 1), ("CONFIRMED", 0)]

    await Offering.update({Offering.status: "cancelled"}).where(Offering.id == offering_id)
    events = read_everywhere((await client.get(f"/offerings/{offering_id}.ics")).content).events
    assert {e.status for e in events} == {"CANCELLED"}


async def test_unknown_draft_and_malformed_calendar_files_are_404(client):
    draft = await make_workshop(status="draft")
    await signed_in(client, await make_user("staff"))  # a draft has no public calendar file, even for staff
    for path in (
        f"/offerings/{draft}.ics",
        "/offerings/999999.ics",
        f"/offerings/{draft}",
        "/offerings/abc.ics",
        "/offerings/1.ics.exe",
        "/offerings/-1.ics",
        "/offerings/" + "9" * 40 + ".ics",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
