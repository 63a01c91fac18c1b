"""Every kind of calendar file we write, read by vobject and by ical.js, which must agree with each
other and with the instants we meant, before, on and after each daylight-saving change of 2026 and
2027: 8 March 2026, 1 November 2026, 14 March 2027, 7 November 2027.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering
from booking.catalog.sessions import reschedule_session
from booking.catalog.tables import OfferingSession, Room, Venue
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from booking.ical_writer import ORGANIZER_EMAIL, ORGANIZER_NAME, EventSpec, FeedHeader, serialize
from booking.notifications.delivery import SmtpTransport
from booking.notifications.worker import deliver_pending
from booking.scheduling.feed_tokens import create_feed, token_for
from booking.scheduling.registration import RegistrationRequest, register
from booking.workflows.cancel_registration import cancel_registration
from tests.calendars.readers import ParsedCalendar, check_wire_format, read_all_everywhere, read_everywhere
from tests.factories import make_user
from tests.workshop_factory import staff_actor

UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 11, 20, 18, 4, 5, tzinfo=UTC)


def pacific(year: int, month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ, fold=fold)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Slot:
    """A session as staff enter it, and the UTC instants every calendar must show."""

    label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    utc_start: dt.datetime
    utc_end: dt.datetime


SLOTS = [
    Slot(
        "before 8 March 2026", pacific(2026, 3, 7, 9), pacific(2026, 3, 7, 12), utc(2026, 3, 7, 17), utc(2026, 3, 7, 20)
    ),
    # 2:30 AM on 8 March 2026 never happens; zoneinfo gives the made-up time PST's offset, 10:30Z
    # (3:30 AM PDT). Whatever the writer chooses, it must read back as that same instant.
    Slot(
        "in the skipped March hour",
        pacific(2026, 3, 8, 2, 30),
        pacific(2026, 3, 8, 4),
        utc(2026, 3, 8, 10, 30),
        utc(2026, 3, 8, 11),
    ),
    Slot("on 8 March 2026", pacific(2026, 3, 8, 13), pacific(2026, 3, 8, 15), utc(2026, 3, 8, 20), utc(2026, 3, 8, 22)),
    Slot(
        "after 8 March 2026", pacific(2026, 3, 9, 9), pacific(2026, 3, 9, 12), utc(2026, 3, 9, 16), utc(2026, 3, 9, 19)
    ),
    Slot(
        "before 1 November 2026",
        pacific(2026, 10, 31, 9),
        pacific(2026, 10, 31, 12),
        utc(2026, 10, 31, 16),
        utc(2026, 10, 31, 19),
    ),
    # 00:30 PDT to 03:30 PST: three hours on the wall clock, four real hours.
    Slot(
        "across the November change",
        utc(2026, 11, 1, 7, 30),
        utc(2026, 11, 1, 11, 30),
        utc(2026, 11, 1, 7, 30),
        utc(2026, 11, 1, 11, 30),
    ),
    Slot(
        "at the first 1:30 AM",
        pacific(2026, 11, 1, 1, 30, fold=0),
        pacific(2026, 11, 1, 2, 30),
        utc(2026, 11, 1, 8, 30),
        utc(2026, 11, 1, 10, 30),
    ),
    Slot(
        "at the repeated 1:30 AM",
        pacific(2026, 11, 1, 1, 30, fold=1),
        pacific(2026, 11, 1, 2, 30),
        utc(2026, 11, 1, 9, 30),
        utc(2026, 11, 1, 10, 30),
    ),
    Slot(
        "on 1 November 2026",
        pacific(2026, 11, 1, 13),
        pacific(2026, 11, 1, 15),
        utc(2026, 11, 1, 21),
        utc(2026, 11, 1, 23),
    ),
    Slot(
        "after 1 November 2026",
        pacific(2026, 11, 2, 9),
        pacific(2026, 11, 2, 12),
        utc(2026, 11, 2, 17),
        utc(2026, 11, 2, 20),
    ),
    Slot(
        "before 14 March 2027",
        pacific(2027, 3, 13, 9),
        pacific(2027, 3, 13, 12),
        utc(2027, 3, 13, 17),
        utc(2027, 3, 13, 20),
    ),
    Slot(
        "on 14 March 2027",
        pacific(2027, 3, 14, 13),
        pacific(2027, 3, 14, 15),
        utc(2027, 3, 14, 20),
        utc(2027, 3, 14, 22),
    ),
    Slot(
        "after 14 March 2027",
        pacific(2027, 3, 15, 9),
        pacific(2027, 3, 15, 12),
        utc(2027, 3, 15, 16),
        utc(2027, 3, 15, 19),
    ),
    Slot(
        "before 7 November 2027",
        pacific(2027, 11, 6, 9),
        pacific(2027, 11, 6, 12),
        utc(2027, 11, 6, 16),
        utc(2027, 11, 6, 19),
    ),
    Slot(
        "on 7 November 2027",
        pacific(2027, 11, 7, 13),
        pacific(2027, 11, 7, 15),
        utc(2027, 11, 7, 21),
        utc(2027, 11, 7, 23),
    ),
    Slot(
        "after 7 November 2027",
        pacific(2027, 11, 8, 9),
        pacific(2027, 11, 8, 12),
        utc(2027, 11, 8, 17),
        utc(2027, 11, 8, 20),
    ),
]


def test_the_slots_say_what_their_labels_say():
    across = next(slot for slot in SLOTS if slot.label == "across the November change")
    assert across.ends_at - across.starts_at == dt.timedelta(hours=4)
    assert (across.starts_at.astimezone(LOCAL_TZ).time(), across.ends_at.astimezone(LOCAL_TZ).time()) == (
        dt.time(0, 30),
        dt.time(3, 30),
    )
    for slot in SLOTS:
        assert (slot.starts_at.astimezone(UTC), slot.ends_at.astimezone(UTC)) == (slot.utc_start, slot.utc_end), (
            slot.label
        )


def slot_events(prefix: str, **extra) -> list[EventSpec]:
    return [
        EventSpec(
            uid=f"{prefix}-{number}@test",
            summary=slot.label,
            stamp=STAMP,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            **extra,
        )
        for number, slot in enumerate(SLOTS)
    ]


def assert_slot_times(calendar: ParsedCalendar, uids: list[str]) -> None:
    for uid, slot in zip(uids, SLOTS, strict=True):
        event = calendar.event(uid)
        assert not event.all_day, slot.label
        assert (event.start, event.end) == (slot.utc_start, slot.utc_end), slot.label


# ------------------------------------------------------------------ files built by the writer


def test_an_invite_request_its_update_and_its_cancel_read_alike_across_the_changes():
    attendee = ("Ana Núñez, M.Ed.", "ana.nunez@example.org")
    request = serialize(
        slot_events(
            "invite",
            organizer=True,
            attendee=attendee,
            location="SCOE Mather, Room 203",
            url="https://booking.example/workshops/7",
        ),
        method="REQUEST",
    )
    # The update: same UIDs, SEQUENCE + 1, every session an hour later.
    moved = [
        EventSpec(
            uid=f"invite-{number}@test",
            summary=slot.label,
            stamp=STAMP,
            sequence=1,
            starts_at=slot.utc_start + dt.timedelta(hours=1),
            ends_at=slot.utc_end + dt.timedelta(hours=1),
            organizer=True,
            attendee=attendee,
        )
        for number, slot in enumerate(SLOTS)
    ]
    update = serialize(moved, method="REQUEST")
    cancel = serialize(
        [EventSpec(**{**vars(spec), "sequence": 2, "status": "CANCELLED"}) for spec in moved], method="CANCEL"
    )

    uids = [f"invite-{number}@test" for number in range(len(SLOTS))]
    first, second, third = read_all_everywhere(request, update, cancel)

    assert (first.method, second.method, third.method) == ("REQUEST", "REQUEST", "CANCEL")
    assert_slot_times(first, uids)
    for calendar, sequence, status, partstat, shift in (
        (first, 0, "CONFIRMED", "ACCEPTED", dt.timedelta(0)),
        (second, 1, "CONFIRMED", "ACCEPTED", dt.timedelta(hours=1)),
        (third, 2, "CANCELLED", "DECLINED", dt.timedelta(hours=1)),
    ):
        assert [event.uid for event in calendar.events] == uids
        for event, slot in zip(calendar.events, SLOTS):
            assert (event.sequence, event.status) == (sequence, status)
            assert (event.start, event.end) == (slot.utc_start + shift, slot.utc_end + shift), slot.label
            assert event.dtstamp == STAMP
            assert event.organizer.value.lower() == f"mailto:{ORGANIZER_EMAIL}"
            assert event.organizer.params["CN"] == ORGANIZER_NAME
            [person] = event.attendees
            assert person.value.lower() == "mailto:ana.nunez@example.org"
            assert person.params["CN"] == "Ana Núñez, M.Ed."
            assert (person.params["PARTSTAT"], person.params["ROLE"], person.params["RSVP"]) == (
                partstat,
                "REQ-PARTICIPANT",
                "FALSE",
            )
    assert first.events[0].location == "SCOE Mather, Room 203"
    assert first.events[0].url == "https://booking.example/workshops/7"


def test_a_sly_park_week_is_an_all_day_event_with_an_exclusive_end():
    week = EventSpec(
        uid="sly-park-week@test",
        summary="Sly Park: Elk Grove Unified",
        stamp=STAMP,
        first_day=dt.date(2026, 5, 4),
        last_day=dt.date(2026, 5, 8),
    )  # Monday to Friday
    # Friday 6 March to Monday 9 March 2026: the clocks change on the Sunday; dates must not move.
    across_the_change = EventSpec(
        uid="sly-park-across@test",
        summary="Across",
        stamp=STAMP,
        first_day=dt.date(2026, 3, 6),
        last_day=dt.date(2026, 3, 9),
    )
    one_day = EventSpec(uid="sly-park-day@test", summary="One day", stamp=STAMP, first_day=dt.date(2026, 11, 1))
    data = serialize([week, across_the_change, one_day], method="PUBLISH")

    assert b"DTSTART;VALUE=DATE:20260504\r\nDTEND;VALUE=DATE:20260509\r\n" in data
    assert b"VTIMEZONE" not in data  # dates need no zone
    calendar = read_everywhere(data)
    expected = {
        "sly-park-week@test": (dt.date(2026, 5, 4), dt.date(2026, 5, 9)),  # Monday, and the Saturday after the Friday
        "sly-park-across@test": (dt.date(2026, 3, 6), dt.date(2026, 3, 10)),
        "sly-park-day@test": (dt.date(2026, 11, 1), dt.date(2026, 11, 2)),
    }
    for uid, (first_day, end) in expected.items():
        event = calendar.event(uid)
        assert event.all_day and (event.start, event.end) == (first_day, end), uid
        assert type(event.start) is dt.date and event.transp == "TRANSPARENT"
    assert dt.date(2026, 5, 4).weekday() == 0 and dt.date(2026, 5, 9).weekday() == 5


def test_a_feed_file_carries_its_name_refresh_interval_and_ttl():
    feed = FeedHeader(
        name="SCOE: Mather, Room 203", description="Every session scheduled here.", refresh=dt.timedelta(minutes=90)
    )
    week = EventSpec(
        uid="week@test", summary="Week", stamp=STAMP, first_day=dt.date(2027, 3, 8), last_day=dt.date(2027, 3, 12)
    )
    calendar = read_everywhere(serialize([*slot_events("feed"), week], feed=feed))

    assert calendar.name == "SCOE: Mather, Room 203"
    assert calendar.properties["x-wr-caldesc"] == "Every session scheduled here."
    assert calendar.properties["x-wr-timezone"] == "America/Los_Angeles"
    assert calendar.refresh_interval == calendar.published_ttl == dt.timedelta(minutes=90)
    assert "method" not in calendar.properties  # a subscribed feed is not an iTIP message
    assert calendar.timezones == ("America/Los_Angeles",)
    assert_slot_times(calendar, [f"feed-{number}@test" for number in range(len(SLOTS))])
    assert calendar.event("week@test").all_day


def test_long_and_non_ascii_text_is_folded_within_75_octets_and_read_back_whole():
    summary = "Lectura en español: “¿Qué leemos?” – für Schüler, 数学の授業 😀; part 1 " * 3
    description = "Line one, with a comma; and a semicolon.\nLine two \\ with a backslash.\n" * 6
    data = serialize(
        [
            EventSpec(
                uid="long@test",
                summary=summary,
                description=description,
                stamp=STAMP,
                starts_at=SLOTS[0].starts_at,
                ends_at=SLOTS[0].ends_at,
                location="Sacramento County Office of Education, 10474 Mather Boulevard, Mather, CA 95655",
            )
        ]
    )
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75 and sum(line.startswith(b" ") for line in lines) >= 5
    event = read_everywhere(data).event("long@test")  # read_everywhere also checks CRLF and 75 octets
    assert (event.summary, event.description) == (summary, description)


@pytest.mark.parametrize(
    "broken, complaint",
    [
        (b"BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "CRLF"),
        (b"BEGIN:VCALENDAR\r\nX-LONG:" + b"x" * 70 + b"\r\nEND:VCALENDAR\r\n", "octets"),
        (b"BEGIN:VCALENDAR\r\nSUMMARY:" + "é".encode() * 33 + b"\xc3\r\n \xa9\r\nEND:VCALENDAR\r\n", "UTF-8"),
    ],
)
def test_the_wire_format_check_finds_what_it_is_for(broken, complaint):
    with pytest.raises(AssertionError, match=complaint):
        check_wire_format(broken)


# ------------------------------------------------------------------ the public file, over HTTP


async def test_the_public_offering_file_reads_alike_across_the_changes(client):
    title = "Across the clock changes"
    offering_id = await create_offering(
        await staff_actor(),
        OfferingInput(
            title=title,
            capacity=20,
            status="published",
            sessions=[SessionInput(slot.starts_at, slot.ends_at, location_note="Room 5") for slot in SLOTS],
        ),
    )
    sessions = (
        await OfferingSession.select()
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.starts_at)
        .order_by(OfferingSession.id)
    )
    by_start = {session["starts_at"].astimezone(UTC): session for session in sessions}

    response = await client.get(f"/offerings/{offering_id}.ics")

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = read_everywhere(response.content)
    assert calendar.method == "PUBLISH" and calendar.name == title
    assert calendar.timezones == ("America/Los_Angeles",)
    assert len(calendar.events) == len(SLOTS)
    for slot in SLOTS:
        session = by_start[slot.utc_start]
        event = calendar.event(f"session-{session['id']}@testserver.local")
        assert (event.start, event.end) == (slot.utc_start, slot.utc_end), slot.label
        assert (event.status, event.sequence, event.location) == ("CONFIRMED", 0, "Room 5")
        assert event.url == f"http://testserver.local/workshops/{offering_id}"
    # Wall-clock times that happen twice cannot be written as Pacific time; everything else is.
    assert response.content.count(b";TZID=America/Los_Angeles:") == 2 * len(SLOTS) - 2


# ------------------------------------------------------------------ real feeds and invite emails

# What a person can still book: the 2027 slots, and the November 2027 change's own awkward times.
BOOKABLE_SLOTS = [slot for slot in SLOTS if slot.utc_start.year == 2027] + [
    Slot(
        "across 7 November 2027",
        utc(2027, 11, 7, 7, 30),
        utc(2027, 11, 7, 11, 30),
        utc(2027, 11, 7, 7, 30),
        utc(2027, 11, 7, 11, 30),
    ),
    Slot(
        "at the repeated 1:30 AM of 2027",
        pacific(2027, 11, 7, 1, 30, fold=1),
        pacific(2027, 11, 7, 2, 30),
        utc(2027, 11, 7, 9, 30),
        utc(2027, 11, 7, 10, 30),
    ),
]


async def offering_at(
    slots: list[Slot], title: str, room_id: int | None = None, **extra
) -> tuple[int, dict[dt.datetime, int]]:
    """An offering with one session per slot, and its session ids by UTC start."""
    offering_id = await create_offering(
        await staff_actor(),
        OfferingInput(
            title=title,
            capacity=20,
            status="published",
            sessions=[SessionInput(slot.starts_at, slot.ends_at, room_id=room_id) for slot in slots],
            **extra,
        ),
        override_reason="Overlapping on purpose: the times are what is tested." if room_id else None,
    )
    sessions = await OfferingSession.select(OfferingSession.id, OfferingSession.starts_at).where(
        OfferingSession.offering == offering_id
    )
    return offering_id, {session["starts_at"].astimezone(UTC): session["id"] for session in sessions}


def assert_session_times(calendar: ParsedCalendar, slots: list[Slot], session_ids: dict[dt.datetime, int]) -> None:
    assert len(calendar.events) == len(slots)
    for slot in slots:
        event = calendar.event(f"session-{session_ids[slot.utc_start]}@testserver.local")
        assert (event.start, event.end) == (slot.utc_start, slot.utc_end), slot.label


async def test_a_real_person_feed_reads_alike_across_the_changes(client):
    person = Actor.from_row(await make_user("attendee"))
    offering_id, session_ids = await offering_at(BOOKABLE_SLOTS, "Feed, across the changes")
    assert (await register(person, offering_id, RegistrationRequest())).registration["status"] == "confirmed"
    token = token_for((await create_feed(person, "person"))["nonce"])

    response = await client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    calendar = read_everywhere(response.content)
    assert calendar.name == "SCOE professional learning" and "method" not in calendar.properties
    assert calendar.refresh_interval is not None and calendar.refresh_interval == calendar.published_ttl
    assert calendar.timezones == ("America/Los_Angeles",)
    assert_session_times(calendar, BOOKABLE_SLOTS, session_ids)
    assert {event.status for event in calendar.events} == {"CONFIRMED"}


async def test_a_real_room_feed_reads_alike_across_the_changes(client):
    venue = Venue(name="SCOE Mather Campus", address="10474 Mather Boulevard, Mather, CA 95655")
    await venue.save()
    room = Room(venue=venue.id, name="Room 203", capacity=30)
    await room.save()
    staff = await staff_actor()
    # Staff feeds reach back a year, so the 2026 changes are in it too.
    _, session_ids = await offering_at(SLOTS + BOOKABLE_SLOTS[-2:], "Room feed, across the changes", room_id=room.id)
    token = token_for((await create_feed(staff, "room", room.id))["nonce"])

    response = await client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    calendar = read_everywhere(response.content)
    assert calendar.name == "SCOE: SCOE Mather Campus, Room 203"  # a comma both parsers keep
    assert_session_times(calendar, SLOTS + BOOKABLE_SLOTS[-2:], session_ids)
    assert {event.location for event in calendar.events} == {
        "SCOE Mather Campus, Room 203, 10474 Mather Boulevard, Mather, CA 95655"
    }


def invite_of(message) -> bytes:
    """The text/calendar part of an email, whose MIME method must be the file's METHOD."""
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    data = part.get_payload(decode=True)
    assert part.get_param("method") == read_everywhere(data).method
    return data


async def test_real_invite_emails_read_alike_across_the_changes(db, smtp_server):
    person = await make_user("attendee", name="Ana Núñez", email="ana@example.org")
    offering_id, session_ids = await offering_at(BOOKABLE_SLOTS, "Invites, across the changes")
    registration = (await register(Actor.from_row(person), offering_id, RegistrationRequest())).registration
    uid = {
        start: f"registration-{registration['id']}-session-{session_id}@testserver.local"
        for start, session_id in session_ids.items()
    }
    transport = SmtpTransport(smtp_server.url)
    await deliver_pending(transport)

    booked = read_everywhere(invite_of(smtp_server.to("ana@example.org")[-1]))
    assert booked.method == "REQUEST" and len(booked.events) == len(BOOKABLE_SLOTS)
    for slot in BOOKABLE_SLOTS:
        event = booked.event(uid[slot.utc_start])
        assert (event.start, event.end, event.sequence) == (slot.utc_start, slot.utc_end, 0), slot.label
        assert event.organizer.value.lower() == f"mailto:{ORGANIZER_EMAIL}"
        assert [(a.value.lower(), a.params["CN"]) for a in event.attendees] == [("mailto:ana@example.org", "Ana Núñez")]

    # Moved onto the repeated 1:30 AM of 2027 (written in UTC): same UID, SEQUENCE 1, the new instant.
    moved_from = BOOKABLE_SLOTS[0]
    await reschedule_session(
        await staff_actor(),
        offering_id,
        session_ids[moved_from.utc_start],
        SessionInput(pacific(2027, 11, 7, 1, 30, fold=1), pacific(2027, 11, 7, 3, 0)),
    )
    await deliver_pending(transport)
    update = read_everywhere(invite_of(smtp_server.to("ana@example.org")[-1]))
    [moved] = update.events
    assert (update.method, moved.uid, moved.sequence) == ("REQUEST", uid[moved_from.utc_start], 1)
    assert (moved.start, moved.end) == (utc(2027, 11, 7, 9, 30), utc(2027, 11, 7, 11, 0))

    await cancel_registration(Actor.from_row(person), registration["id"])
    await deliver_pending(transport)
    cancel = read_everywhere(invite_of(smtp_server.to("ana@example.org")[-1]))
    assert cancel.method == "CANCEL"
    assert {event.uid for event in cancel.events} == set(uid.values())
    assert {event.status for event in cancel.events} == {"CANCELLED"}
    assert cancel.event(uid[moved_from.utc_start]).sequence == 2
    for slot in BOOKABLE_SLOTS[1:]:
        assert (cancel.event(uid[slot.utc_start]).start, cancel.event(uid[slot.utc_start]).end) == (
            slot.utc_start,
            slot.utc_end,
        ), slot.label
