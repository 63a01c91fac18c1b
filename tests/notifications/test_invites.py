"""Calendar invites through the real SMTP server: book, reschedule, move, add, cancel.

Everything is done through the use cases, the outbox is delivered by the worker's delivery
loop to the aiosmtpd server of tests/smtp.py, and each received invite is checked on the wire
(MIME structure, CRLF lines of at most 75 octets) and read back with `icalendar` for its
structure only: the independent-parser checks of the times live in tests/calendars.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from icalendar import Calendar

from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering
from booking.catalog.sessions import add_session, cancel_session, reschedule_session
from booking.catalog.tables import OfferingSession
from booking.catalog.validation import OfferingInput, SessionInput
from booking.catalog.venues import RoomInput, VenueInput, add_room, create_venue
from booking.clock import LOCAL_TZ, utc_now
from booking.notifications.delivery import SmtpTransport, build_message
from booking.notifications.outbox import Attachment
from booking.notifications.worker import deliver_pending
from booking.scheduling.approvals import approve
from booking.scheduling.registration import RegistrationRequest, register
from booking.workflows.cancel_offering import cancel_offering
from booking.workflows.cancel_registration import cancel_registration
from tests.factories import make_user
from tests.workshop_factory import require_approval

HOST = "testserver.local"
ORGANIZER = "mailto:no-reply@scoe.net"


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def meeting(start: dt.datetime, hours: int = 3, room_id: int | None = None) -> SessionInput:
    return SessionInput(starts_at=start, ends_at=start + dt.timedelta(hours=hours), room_id=room_id)


@dataclass
class Event:
    uid: str
    sequence: int
    status: str
    dtstart: str  # as written, e.g. "20310304T090000" (with TZID) or "...Z"
    tzid: str | None
    summary: str
    location: str
    url: str
    organizer: str
    organizer_name: str
    attendee: str
    attendee_params: dict
    dtstamp: dt.datetime


@dataclass
class Invite:
    method: str
    events: list[Event]

    def by_uid(self) -> dict[str, Event]:
        return {event.uid: event for event in self.events}


def check_wire_format(data: bytes) -> None:
    """RFC 5545 §3.1: every line ends in CRLF and is at most 75 octets long (longer ones folded)."""
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n")[:-1]:
        assert b"\n" not in line and b"\r" not in line, f"bare LF/CR inside a line: {line!r}"
        assert len(line) <= 75, f"line longer than 75 octets: {line!r}"


def read_invite(message) -> Invite | None:
    """The invite of a received email, checked the way Google and Outlook send one; None without one."""
    calendar_parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    files = [part for part in message.walk() if part.get_content_type() == "application/ics"]
    if not calendar_parts and not files:
        return None
    assert message.get_content_type() == "multipart/mixed"
    alternative, file_part = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    assert calendar_parts == [alternative.get_payload()[2]] and files == [file_part]
    calendar_part = calendar_parts[0]
    assert calendar_part.get_filename() is None and calendar_part.get_content_disposition() is None
    assert calendar_part.get_content_charset() == "utf-8"
    assert file_part.get_filename() == "invite.ics" and file_part.get_content_disposition() == "attachment"
    data = calendar_part.get_payload(decode=True)
    assert file_part.get_payload(decode=True) == data  # the same file twice
    check_wire_format(data)
    calendar = Calendar.from_ical(data)
    method = str(calendar["METHOD"])
    assert calendar_part.get_param("method") == method, "the MIME method must be the file's METHOD"
    raw_type = dict(calendar_part.raw_items())["Content-Type"]
    assert f"method={method};" in raw_type, raw_type  # unquoted on the wire, as Google and Outlook write it
    assert str(calendar["VERSION"]) == "2.0" and calendar.get("PRODID")
    events = []
    for component in calendar.walk("VEVENT"):
        attendees = component.get("ATTENDEE")
        assert not isinstance(attendees, list), "one attendee: the registrant"
        start = component["DTSTART"]
        events.append(
            Event(
                uid=str(component["UID"]),
                sequence=int(component["SEQUENCE"]),
                status=str(component["STATUS"]),
                dtstart=start.to_ical().decode(),
                tzid=start.params.get("TZID"),
                summary=str(component["SUMMARY"]),
                location=str(component.get("LOCATION", "")),
                url=str(component.get("URL", "")),
                organizer=str(component["ORGANIZER"]),
                organizer_name=str(component["ORGANIZER"].params.get("CN")),
                attendee=str(attendees),
                attendee_params={k: str(v) for k, v in attendees.params.items()},
                dtstamp=component["DTSTAMP"].dt,
            )
        )
    return Invite(method, events)


def uid(registration_id: int, session_id: int) -> str:
    return f"registration-{registration_id}-session-{session_id}@{HOST}"


class Mailbox:
    """Delivers the outbox to the real SMTP server and hands out what arrived since the last look."""

    def __init__(self, smtp_server):
        self.smtp_server = smtp_server
        self.seen = 0
        self.last_sequence: dict[str, tuple[str, int]] = {}  # uid -> (method, sequence) of the last invite

    async def deliver(self) -> dict[str, list]:
        await deliver_pending(SmtpTransport(self.smtp_server.url))
        new = self.smtp_server.messages[self.seen :]
        self.seen = len(self.smtp_server.messages)
        by_address: dict[str, list] = {}
        for message in new:
            by_address.setdefault(message["To"], []).append(message)
            self._check_sequences(read_invite(message))
        return by_address

    def _check_sequences(self, invite: Invite | None) -> None:
        """Whatever happens, a UID's SEQUENCE never goes down, and a CANCEL is strictly above the last REQUEST."""
        if invite is None:
            return
        for event in invite.events:
            before = self.last_sequence.get(event.uid)
            if before is not None:
                assert before[0] == "REQUEST", f"{event.uid}: an invite after its CANCEL"
                assert event.sequence > before[1], f"{event.uid}: SEQUENCE {event.sequence} after {before}"
            self.last_sequence[event.uid] = (invite.method, event.sequence)


def only(messages: dict[str, list], address: str):
    assert len(messages.get(address, [])) == 1, {a: [m["Subject"] for m in ms] for a, ms in messages.items()}
    return messages[address][0]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


async def person(name: str, **fields) -> dict:
    return await make_user("attendee", name=name, email=f"{name.lower()}@example.org", password=None, **fields)


async def places(staff: Actor) -> tuple[int, int]:
    venue = await create_venue(staff, VenueInput("SCOE Mather campus", "10474 Mather Blvd, Mather, CA"))
    return (
        await add_room(staff, venue, RoomInput("Room 101", 40)),
        await add_room(staff, venue, RoomInput("Room 202", 40)),
    )


async def session_ids(offering_id: int) -> list[int]:
    rows = (
        await OfferingSession.select(OfferingSession.id)
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.id)
    )
    return [row["id"] for row in rows]


async def test_invite_lifecycle_book_reschedule_move_add_cancel(db, smtp_server):
    staff = Actor.from_row(await make_user("staff", password=None))
    room_101, room_202 = await places(staff)
    # Before and after the March change (9 March 2031): the invite writes both as Pacific local times.
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title="Math Series",
            capacity=2,
            status="published",
            sessions=[
                meeting(local(2031, 3, 4, 9), room_id=room_101),
                meeting(local(2031, 3, 11, 9), room_id=room_101),
            ],
        ),
    )
    first, second = await session_ids(offering_id)
    alice, bob, carol = await person("Alice"), await person("Bob"), await person("Carol")
    mailbox = Mailbox(smtp_server)

    # Book: a REQUEST with one VEVENT per session, organizer and attendee.
    started = utc_now()
    alice_reg = (await register(Actor.from_row(alice), offering_id, RegistrationRequest())).registration
    bob_reg = (await register(Actor.from_row(bob), offering_id, RegistrationRequest())).registration
    carol_reg = (await register(Actor.from_row(carol), offering_id, RegistrationRequest())).registration
    assert (alice_reg["status"], bob_reg["status"], carol_reg["status"]) == ("confirmed", "confirmed", "waitlisted")
    mail = await mailbox.deliver()
    booked = only(mail, alice["email"])
    invite = read_invite(booked)
    assert invite.method == "REQUEST"
    assert [e.uid for e in invite.events] == [uid(alice_reg["id"], first), uid(alice_reg["id"], second)]
    one, two = invite.events
    assert (one.sequence, two.sequence) == (0, 0) and {one.status, two.status} == {"CONFIRMED"}
    assert (one.dtstart, one.tzid, two.dtstart, two.tzid) == (
        "20310304T090000",
        "America/Los_Angeles",
        "20310311T090000",
        "America/Los_Angeles",
    )
    assert one.summary == "Math Series"
    assert one.location == "SCOE Mather campus, Room 101, 10474 Mather Blvd, Mather, CA"
    assert one.url == f"http://{HOST}/workshops/{offering_id}"
    assert (one.organizer, one.organizer_name) == (ORGANIZER, "SCOE Professional Learning")
    assert one.attendee == "mailto:alice@example.org"
    assert one.attendee_params["CN"] == "Alice"
    assert (one.attendee_params["PARTSTAT"], one.attendee_params["RSVP"]) == ("ACCEPTED", "FALSE")
    assert started - dt.timedelta(seconds=1) <= one.dtstamp <= utc_now()
    assert "The attached calendar invite adds these sessions to your calendar." in text_of(booked)
    assert "The attached calendar invite adds these sessions to your calendar." in html_of(booked)
    # Bob's events are his own: another registration, other UIDs.
    assert [e.uid for e in read_invite(only(mail, bob["email"])).events] == [
        uid(bob_reg["id"], first),
        uid(bob_reg["id"], second),
    ]
    waitlisted = only(mail, carol["email"])
    assert read_invite(waitlisted) is None and "calendar invite" not in text_of(waitlisted)

    # Reschedule the first session: same UID, SEQUENCE + 1, the new time; only that session.
    assert await reschedule_session(staff, offering_id, first, meeting(local(2031, 3, 4, 13), room_id=room_101))
    mail = await mailbox.deliver()
    update = read_invite(only(mail, alice["email"]))
    assert update.method == "REQUEST" and len(update.events) == 1
    [moved] = update.events
    assert (moved.uid, moved.sequence, moved.dtstart, moved.status) == (
        uid(alice_reg["id"], first),
        1,
        "20310304T130000",
        "CONFIRMED",
    )
    assert "The attached calendar invite updates this session in your calendar." in text_of(only(mail, alice["email"]))
    # The waiting list hears of the change, without an invite.
    assert read_invite(only(mail, carol["email"])) is None

    # Move it to another room: again + 1, the new place.
    assert await reschedule_session(staff, offering_id, first, meeting(local(2031, 3, 4, 13), room_id=room_202))
    mail = await mailbox.deliver()
    [relocated] = read_invite(only(mail, alice["email"])).events
    assert (relocated.uid, relocated.sequence) == (uid(alice_reg["id"], first), 2)
    assert relocated.location == "SCOE Mather campus, Room 202, 10474 Mather Blvd, Mather, CA"

    # Add a session: a REQUEST with a new UID.
    third = await add_session(staff, offering_id, meeting(local(2031, 3, 18, 9), room_id=room_101))
    mail = await mailbox.deliver()
    added = read_invite(only(mail, alice["email"]))
    assert added.method == "REQUEST"
    assert [(e.uid, e.sequence, e.dtstart) for e in added.events] == [
        (uid(alice_reg["id"], third), 0, "20310318T090000")
    ]
    assert "adds this session to your calendar" in text_of(only(mail, alice["email"]))

    # Cancel the second session: a CANCEL with its UID, its SEQUENCE bumped by the cancellation.
    await cancel_session(staff, offering_id, second, reason="Snow day.")
    mail = await mailbox.deliver()
    cancelled = read_invite(only(mail, alice["email"]))
    assert cancelled.method == "CANCEL"
    [gone] = cancelled.events
    assert (gone.uid, gone.sequence, gone.status) == (uid(alice_reg["id"], second), 1, "CANCELLED")
    assert gone.attendee_params["PARTSTAT"] == "DECLINED"
    assert "removes this session from your calendar" in text_of(only(mail, alice["email"]))
    assert read_invite(only(mail, carol["email"])) is None

    # Alice cancels: a CANCEL for every session still on, above the last REQUEST's SEQUENCE.
    await cancel_registration(Actor.from_row(alice), alice_reg["id"])
    mail = await mailbox.deliver()
    left = only(mail, alice["email"])
    withdrawn = read_invite(left)
    assert withdrawn.method == "CANCEL"
    assert {e.uid: (e.sequence, e.status) for e in withdrawn.events} == {
        uid(alice_reg["id"], first): (3, "CANCELLED"),
        uid(alice_reg["id"], third): (1, "CANCELLED"),
    }
    assert "The attached calendar invite removes these sessions from your calendar." in text_of(left)
    # Her seat goes to Carol, confirmed: now she gets her invite, with the sessions as they are now.
    promoted = only(mail, carol["email"])
    assert promoted["Subject"].startswith("A seat opened")
    carol_invite = read_invite(promoted)
    assert carol_invite.method == "REQUEST"
    assert {e.uid: e.sequence for e in carol_invite.events} == {
        uid(carol_reg["id"], first): 2,
        uid(carol_reg["id"], third): 0,
    }
    assert "adds these sessions to your calendar" in text_of(promoted)

    # The workshop is cancelled: each confirmed person gets a CANCEL for every session left.
    await cancel_offering(staff, offering_id, reason="The facilitator is ill.")
    mail = await mailbox.deliver()
    for registration, address in ((bob_reg, bob["email"]), (carol_reg, carol["email"])):
        message = only(mail, address)
        ended = read_invite(message)
        assert ended.method == "CANCEL"
        assert {e.uid: (e.sequence, e.status) for e in ended.events} == {
            uid(registration["id"], first): (3, "CANCELLED"),
            uid(registration["id"], third): (1, "CANCELLED"),
        }
        assert "removes these sessions from your calendar" in text_of(message)
    assert alice["email"] not in mail  # she was no longer registered


async def test_registering_again_after_cancelling_gets_fresh_uids_and_staff_cancelling_sends_a_cancel(db, smtp_server):
    staff = Actor.from_row(await make_user("staff", password=None))
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title="Reading Routines", capacity=5, status="published", sessions=[meeting(local(2031, 11, 3, 9))]
        ),
    )
    [session_id] = await session_ids(offering_id)
    dana = await person("Dana")
    mailbox = Mailbox(smtp_server)

    first = (await register(Actor.from_row(dana), offering_id, RegistrationRequest())).registration
    await cancel_registration(Actor.from_row(dana), first["id"])
    again = (await register(Actor.from_row(dana), offering_id, RegistrationRequest())).registration
    await cancel_registration(staff, again["id"], reason="Registered twice by mistake.")
    received = (await mailbox.deliver())[dana["email"]]

    invites = [(read_invite(m).method, [(e.uid, e.sequence) for e in read_invite(m).events]) for m in received]
    assert invites == [
        ("REQUEST", [(uid(first["id"], session_id), 0)]),
        ("CANCEL", [(uid(first["id"], session_id), 1)]),
        ("REQUEST", [(uid(again["id"], session_id), 0)]),  # a UID no calendar has seen cancelled
        ("CANCEL", [(uid(again["id"], session_id), 1)]),
    ]
    # 3 November 2031 is after the November change: written as Pacific standard time.
    assert read_invite(received[2]).events[0].dtstart == "20311103T090000"


async def test_pending_approval_gets_no_invite_until_approved(db, smtp_server):
    await require_approval("EGUSD")
    staff = Actor.from_row(await make_user("staff", password=None))
    offering_id = await create_offering(
        staff,
        OfferingInput(
            title="Coaching Cycles",
            capacity=5,
            price_cents=15000,
            status="published",
            sessions=[meeting(local(2031, 4, 2, 9)), meeting(local(2031, 4, 9, 9))],
        ),
    )
    first, second = await session_ids(offering_id)
    erin = await person("Erin", district="EGUSD")
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD", password=None))
    mailbox = Mailbox(smtp_server)

    pending = (await register(Actor.from_row(erin), offering_id, RegistrationRequest(payer="district"))).registration
    assert pending["status"] == "pending_approval"
    held = only(await mailbox.deliver(), erin["email"])
    assert read_invite(held) is None and "calendar invite" not in text_of(held)

    # A session changes while she waits: she hears of it, without an invite.
    await reschedule_session(staff, offering_id, second, meeting(local(2031, 4, 9, 13)))
    changed = only(await mailbox.deliver(), erin["email"])
    assert read_invite(changed) is None
    assert "Your calendar entry updates when you open the calendar file or feed again." in text_of(changed)

    await approve(coordinator, pending["id"])
    approved = only(await mailbox.deliver(), erin["email"])
    invite = read_invite(approved)
    assert invite.method == "REQUEST"
    assert {e.uid: (e.sequence, e.dtstart) for e in invite.events} == {
        uid(pending["id"], first): (0, "20310402T090000"),
        uid(pending["id"], second): (1, "20310409T130000"),
    }
    assert invite.events[0].attendee == "mailto:erin@example.org"
    # The invite replaces the link to the public file, whose events (other UIDs) would be duplicates.
    assert "adds these sessions to your calendar" in text_of(approved)
    assert f"/offerings/{offering_id}.ics" not in text_of(approved)


async def test_leaving_the_waiting_list_sends_no_cancel(db, smtp_server):
    staff = Actor.from_row(await make_user("staff", password=None))
    offering_id = await create_offering(
        staff,
        OfferingInput(title="Full House", capacity=1, status="published", sessions=[meeting(local(2031, 5, 6, 9))]),
    )
    frank, gina = await person("Frank"), await person("Gina")
    await register(Actor.from_row(frank), offering_id, RegistrationRequest())
    waiting = (await register(Actor.from_row(gina), offering_id, RegistrationRequest())).registration
    assert waiting["status"] == "waitlisted"
    mailbox = Mailbox(smtp_server)
    await mailbox.deliver()

    await cancel_registration(Actor.from_row(gina), waiting["id"])
    left = only(await mailbox.deliver(), gina["email"])
    assert left["Subject"].startswith("Cancelled")
    assert read_invite(left) is None and "calendar invite" not in text_of(left)


def _row(method: str, file_method: str) -> dict:
    content = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nMETHOD:{file_method}\r\nBEGIN:VEVENT\r\n"
        f"UID:x@{HOST}\r\nDTSTAMP:20310101T000000Z\r\nDTSTART:20310102T170000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    attachment = Attachment("invite.ics", "text/calendar", content, method=method).to_json()
    return {
        "to_address": "a@example.org",
        "subject": "s",
        "message_id": f"<m@{HOST}>",
        "body_text": "t",
        "body_html": "<p>t</p>",
        "attachments": [attachment],
    }


@pytest.mark.parametrize(
    ("method", "file_method"), [("REQUEST", "CANCEL"), ("CANCEL", "REQUEST"), ("REQUEST", "PUBLISH")]
)
def test_a_mime_method_that_is_not_the_files_method_is_refused(method, file_method):
    with pytest.raises(ValueError, match="METHOD"):
        build_message(_row(method, file_method))
    assert build_message(_row(method, method))  # the matching pair builds


async def test_people_who_turn_invites_off_get_none_for_new_seats_but_invited_seats_keep_their_updates(db, smtp_server):
    from booking.accounts.profile import set_calendar_invites
    from booking.scheduling.tables import Registration

    staff = Actor.from_row(await make_user("staff", password=None))
    early = await create_offering(
        staff,
        OfferingInput(title="Early Literacy", capacity=5, status="published", sessions=[meeting(local(2031, 4, 1, 9))]),
    )
    later = await create_offering(
        staff,
        OfferingInput(title="Later Literacy", capacity=5, status="published", sessions=[meeting(local(2031, 5, 6, 9))]),
    )
    [early_session], [later_session] = await session_ids(early), await session_ids(later)
    erin = await person("Erin")
    erin_actor = Actor.from_row(erin)
    mailbox = Mailbox(smtp_server)

    invited = (await register(erin_actor, early, RegistrationRequest())).registration
    await set_calendar_invites(erin_actor, False)
    uninvited = (await register(erin_actor, later, RegistrationRequest())).registration
    received = (await mailbox.deliver())[erin["email"]]
    assert [read_invite(m) is not None for m in received] == [True, False]
    flags = {
        r["id"]: r["calendar_invited"]
        for r in await Registration.select(Registration.id, Registration.calendar_invited)
    }
    assert flags == {invited["id"]: True, uninvited["id"]: False}

    # The invited seat's event is in Erin's calendar: it must still move and go away with the workshop.
    for offering_id, session_id in ((early, early_session), (later, later_session)):
        await reschedule_session(staff, offering_id, session_id, meeting(local(2031, 6, 2, 13)))
    await cancel_registration(erin_actor, invited["id"])
    await cancel_registration(erin_actor, uninvited["id"])
    received = (await mailbox.deliver())[erin["email"]]
    summary = [
        (m["Subject"], (read_invite(m).method, [e.uid for e in read_invite(m).events]) if read_invite(m) else None)
        for m in received
    ]
    assert [invite for _, invite in summary] == [
        ("REQUEST", [uid(invited["id"], early_session)]),
        None,
        ("CANCEL", [uid(invited["id"], early_session)]),
        None,
    ], summary
