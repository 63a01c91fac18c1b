"""Private calendar feeds: what they hold, their tokens, and conditional requests."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from icalendar import Calendar

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering, OfferingFacilitator, OfferingSession, Program, Room, Venue
from booking.errors import Forbidden, InvalidInput, NotFound
from booking.scheduling import feed_tokens
from booking.scheduling.feeds import feed_text_cache
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import CalendarFeed, Registration
from booking.settings import use_settings
from booking.workflows.cancel_registration import cancel_registration
from tests.calendars.readers import read_everywhere
from tests.factories import make_user
from tests.workshop_factory import make_workshop, staff_actor


def structure(body: bytes) -> tuple[Calendar, list]:
    """Only the structure (which events, which UIDs): times are checked by the independent readers in tests/calendars."""
    calendar = Calendar.from_ical(body)
    return calendar, [component for component in calendar.walk("VEVENT")]


async def person_with_feed(role: str = "attendee") -> tuple[Actor, str]:
    person = Actor.from_row(await make_user(role))
    feed = await feed_tokens.create_feed(person, "person")
    return person, feed_tokens.token_for(feed["nonce"])


async def test_a_person_feed_holds_confirmed_and_held_seats_not_waitlists_or_cancellations(client):
    person, token = await person_with_feed()
    confirmed = await make_workshop("Confirmed workshop", sessions=2)
    full = await make_workshop("Full workshop", capacity=1)
    later_cancelled = await make_workshop("Cancelled later")
    await register(Actor.from_row(await make_user()), full, RegistrationRequest())
    await register(person, confirmed, RegistrationRequest())
    await register(person, full, RegistrationRequest())  # waiting list
    dropped = await register(person, later_cancelled, RegistrationRequest())
    await cancel_registration(person, dropped.registration["id"])
    held = await make_workshop("Held seat")
    await register(person, held, RegistrationRequest())
    await Registration.update(
        {
            Registration.status: "pending_approval",
            Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2),
        }
    ).where(Registration.offering == held)
    expired = await make_workshop("Expired hold")
    await register(person, expired, RegistrationRequest())
    await Registration.update(
        {
            Registration.status: "offered",
            Registration.hold_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1),
        }
    ).where(Registration.offering == expired)

    response = await client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "private, no-cache"
    calendar, events = structure(response.content)
    parsed = read_everywhere(response.content)
    assert parsed.name == "SCOE professional learning"
    assert parsed.refresh_interval == parsed.published_ttl == dt.timedelta(hours=1)
    summaries = sorted(str(event["SUMMARY"]) for event in events)
    assert summaries == ["Confirmed workshop (session 1 of 2)", "Confirmed workshop (session 2 of 2)", "Held seat"]
    statuses = {str(event["SUMMARY"]): str(event["STATUS"]) for event in events}
    assert statuses["Held seat"] == "TENTATIVE" and statuses["Confirmed workshop (session 1 of 2)"] == "CONFIRMED"
    sessions = await OfferingSession.select(OfferingSession.id).where(OfferingSession.offering == confirmed)
    assert {f"session-{s['id']}@testserver.local" for s in sessions} <= {str(event["UID"]) for event in events}


async def test_facilitators_see_the_sessions_they_lead(client):
    facilitator, token = await person_with_feed("staff")
    offering = await make_workshop("Led by me")
    await OfferingFacilitator.insert(OfferingFacilitator(offering=offering, user=facilitator.id))
    _, events = structure((await client.get(f"/calendar/{token}.ics")).content)
    assert [str(event["SUMMARY"]) for event in events] == ["Facilitating: Led by me"]


async def test_unknown_revoked_regenerated_and_malformed_tokens_are_plain_404s(client):
    person, token = await person_with_feed()
    await register(person, await make_workshop("Private matter"), RegistrationRequest())
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 200
    unknown = await client.get(f"/calendar/{'A' * 43}.ics")
    assert unknown.status_code == 404

    feed = await feed_tokens.active_feed(person.id)
    regenerated = await feed_tokens.regenerate_feed(person, feed["id"])
    new_token = feed_tokens.token_for(regenerated["nonce"])
    assert new_token != token
    old = await client.get(f"/calendar/{token}.ics")
    assert old.status_code == 404
    # The refusal for a once-valid token says no more than for a made-up one.
    assert old.text == unknown.text and "Private matter" not in old.text
    assert (await client.get(f"/calendar/{new_token}.ics")).status_code == 200

    await feed_tokens.revoke_feed(person, feed["id"])
    assert (await client.get(f"/calendar/{new_token}.ics")).status_code == 404
    for malformed in (
        "short.ics",
        f"{new_token}.ICS",
        f"{new_token}",
        "..%2F..%2Fetc%2Fpasswd.ics",
        f"{new_token}x.ics",
    ):
        assert (await client.get(f"/calendar/{malformed}")).status_code == 404


async def test_a_deactivated_person_or_a_demoted_staff_member_loses_their_feeds(client):
    staff = Actor.from_row(await make_user("staff"))
    venue = Venue(name="Mather Campus", address="10474 Mather Blvd")
    await venue.save()
    feed = await feed_tokens.create_feed(staff, "venue", venue.id)
    token = feed_tokens.token_for(feed["nonce"])
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 200
    from booking.accounts.tables import User

    await User.update({User.role: "attendee"}).where(User.id == staff.id)
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 404
    person, person_token = await person_with_feed()
    await User.update({User.is_active: False}).where(User.id == person.id)
    assert (await client.get(f"/calendar/{person_token}.ics")).status_code == 404


async def test_a_rotated_secret_key_retires_every_address(client, settings):
    person, token = await person_with_feed()
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 200
    use_settings(dataclasses.replace(settings, secret_key="another-secret-key-that-is-long-enough-9876543210"))
    try:
        assert (await client.get(f"/calendar/{token}.ics")).status_code == 404
    finally:
        use_settings(settings)
    assert (await client.get(f"/calendar/{token}.ics")).status_code == 200


async def test_only_staff_make_venue_room_and_program_feeds_of_things_that_exist(db):
    attendee = Actor.from_row(await make_user())
    staff = await staff_actor()
    program = await Program.select(Program.id).first()
    with pytest.raises(Forbidden):
        await feed_tokens.create_feed(attendee, "program", program["id"] if program else 1)
    with pytest.raises(InvalidInput):
        await feed_tokens.create_feed(staff, "room", 999_999)
    with pytest.raises(InvalidInput):
        await feed_tokens.create_feed(staff, "everything", None)
    with pytest.raises(InvalidInput):
        await feed_tokens.create_feed(staff, "venue", None)
    assert await CalendarFeed.count() == 0
    first = await feed_tokens.create_feed(attendee, "person")
    again = await feed_tokens.create_feed(attendee, "person")
    assert first["id"] == again["id"]  # asking twice keeps one address
    with pytest.raises(NotFound):
        await feed_tokens.revoke_feed(staff, first["id"])  # not theirs


async def test_staff_feeds_show_a_room_venue_or_program_with_drafts_tentative(client):
    staff = await staff_actor()
    venue = Venue(name="Sly Park Center", address="5600 Sly Park Rd")
    await venue.save()
    room = Room(venue=venue.id, name="Dining Hall", capacity=200)
    await room.save()
    other_room = Room(venue=venue.id, name="Lodge", capacity=40)
    await other_room.save()
    published = await make_workshop("In the hall")
    draft = await make_workshop("Planned", status="draft")
    elsewhere = await make_workshop("In the lodge")
    await OfferingSession.update({OfferingSession.room: room.id}).where(
        OfferingSession.offering.is_in([published, draft])
    )
    await OfferingSession.update({OfferingSession.room: other_room.id}).where(OfferingSession.offering == elsewhere)

    room_feed = await feed_tokens.create_feed(staff, "room", room.id)
    venue_feed = await feed_tokens.create_feed(staff, "venue", venue.id)
    body = (await client.get(f"/calendar/{feed_tokens.token_for(room_feed['nonce'])}.ics")).content
    assert read_everywhere(body).name == "SCOE: Sly Park Center, Dining Hall"
    _, events = structure(body)
    assert sorted((str(e["SUMMARY"]), str(e["STATUS"])) for e in events) == [
        ("Draft: Planned", "TENTATIVE"),
        ("In the hall", "CONFIRMED"),
    ]
    _, events = structure((await client.get(f"/calendar/{feed_tokens.token_for(venue_feed['nonce'])}.ics")).content)
    assert len(events) == 3

    program_id = (await Offering.select(Offering.program).where(Offering.id == published).first())["program"]
    program_feed = await feed_tokens.create_feed(staff, "program", program_id)
    _, events = structure((await client.get(f"/calendar/{feed_tokens.token_for(program_feed['nonce'])}.ics")).content)
    assert "In the hall" in {str(e["SUMMARY"]) for e in events}


async def test_conditional_requests_get_304_until_something_changes(client):
    person, token = await person_with_feed()
    offering = await make_workshop("Watch me change")
    await register(person, offering, RegistrationRequest())
    url = f"/calendar/{token}.ics"
    first = await client.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")

    same = await client.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    assert (await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})).status_code == 304
    assert (await client.get(url, headers={"If-Modified-Since": last_modified})).status_code == 304
    assert (await client.get(url, headers={"If-Modified-Since": "not a date"})).status_code == 200
    assert (await client.get(url, headers={"If-None-Match": '"stale"'})).status_code == 200

    # Staff move the session: the feed changes, so the old ETag no longer matches.
    session = await OfferingSession.select().where(OfferingSession.offering == offering).first()
    await OfferingSession.update(
        {OfferingSession.starts_at: session["starts_at"] + dt.timedelta(hours=1), OfferingSession.sequence: 1}
    ).where(OfferingSession.id == session["id"])
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.content != first.content
    # A cancellation removes the event and changes the ETag again.
    registration = await Registration.select(Registration.id).where(Registration.offering == offering).first()
    await cancel_registration(person, registration["id"])
    emptied = await client.get(url, headers={"If-None-Match": changed.headers["etag"]})
    assert emptied.status_code == 200 and structure(emptied.content)[1] == []


async def test_the_built_file_is_cached_by_fingerprint_and_identical_to_a_fresh_build(client):
    person, token = await person_with_feed()
    await register(person, await make_workshop("Cached"), RegistrationRequest())
    feed_text_cache.clear()
    cold = await client.get(f"/calendar/{token}.ics")
    warm = await client.get(f"/calendar/{token}.ics")
    assert cold.content == warm.content and cold.headers["etag"] == warm.headers["etag"]
    assert feed_text_cache.get(cold.headers["etag"]) == cold.content
    feed = await feed_tokens.active_feed(person.id)
    assert feed["content_etag"] == cold.headers["etag"] and feed["last_fetched_at"] is not None


async def test_a_feed_rebuilt_from_cached_events_is_byte_identical_to_a_fresh_build(client):
    from booking.ical_writer import serialize
    from booking.scheduling.feeds import FeedHeader, feed_event_cache, person_events

    person, token = await person_with_feed()
    offering = await make_workshop("Three parts", sessions=3)
    await register(person, offering, RegistrationRequest())
    feed_text_cache.clear()
    feed_event_cache.clear()
    first = (await client.get(f"/calendar/{token}.ics")).content
    session = await OfferingSession.select().where(OfferingSession.offering == offering).first()
    await OfferingSession.update({OfferingSession.location_note: "Room 5 (moved)", OfferingSession.sequence: 1}).where(
        OfferingSession.id == session["id"]
    )
    feed_text_cache.clear()
    rebuilt = (await client.get(f"/calendar/{token}.ics")).content  # two events from the cache, one written anew
    assert rebuilt != first and b"Room 5 (moved)" in rebuilt
    events = await person_events(person.id, dt.datetime.now(dt.timezone.utc))
    header = FeedHeader(
        name="SCOE professional learning", description=f"Workshops and sessions of {person.name}, from SCOE."
    )
    assert rebuilt == serialize(events, feed=header)
