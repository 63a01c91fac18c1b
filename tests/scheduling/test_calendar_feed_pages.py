"""The calendar subscription page: make, show, regenerate and turn off addresses; staff scopes."""

from __future__ import annotations

import re
from urllib.parse import unquote

from booking.catalog.tables import Room, Venue
from booking.scheduling import feed_tokens
from booking.scheduling.tables import CalendarFeed
from tests.factories import make_user, post_form, signed_in

PAGE = "/account/calendar"


def addresses(html: str) -> list[str]:
    return re.findall(r'value="(http://testserver\.local/calendar/[A-Za-z0-9_-]{43}\.ics)"', html)


async def test_a_person_makes_an_address_and_gets_every_way_to_subscribe(client):
    await signed_in(client, await make_user())
    page = await client.get(PAGE)
    assert page.status_code == 200 and "Make my calendar address" in page.text
    made = await post_form(client, PAGE, {}, token_from=PAGE)
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert page.status_code == 200
    [address] = addresses(page.text)
    assert (await client.get(address.removeprefix("http://testserver.local"))).status_code == 200
    webcal = address.replace("http://", "webcal://")
    assert f'href="{webcal}"' in page.text
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', page.text).group(1)
    assert unquote(google.split("cid=", 1)[1]) == webcal
    assert "https://outlook.live.com/calendar/0/addfromweb?url=" in page.text
    assert "https://outlook.office.com/calendar/0/addfromweb?url=" in page.text
    # Making it again keeps the same address (people subscribe once).
    await post_form(client, PAGE, {}, token_from=PAGE)
    assert addresses((await client.get(PAGE)).text) == [address]


async def test_a_new_address_retires_the_old_and_turning_off_leaves_none(client):
    user = await signed_in(client, await make_user())
    await post_form(client, PAGE, {}, token_from=PAGE)
    [old] = addresses((await client.get(PAGE)).text)
    feed = await CalendarFeed.select().where(CalendarFeed.owner == user["id"]).first()
    response = await post_form(client, f"{PAGE}/{feed['id']}/regenerate", {}, token_from=PAGE)
    assert response.status_code == 303 and "feed-regenerated" in response.headers["location"]
    [new] = addresses((await client.get(PAGE)).text)
    assert new != old
    assert (await client.get(old.removeprefix("http://testserver.local"))).status_code == 404
    await post_form(client, f"{PAGE}/{feed['id']}/revoke", {}, token_from=PAGE)
    page = await client.get(PAGE)
    assert addresses(page.text) == [] and "Make my calendar address" in page.text
    assert (await client.get(new.removeprefix("http://testserver.local"))).status_code == 404


async def test_nobody_regenerates_or_revokes_another_persons_feed(client):
    owner = await make_user()
    from booking.accounts.actor import Actor

    feed = await feed_tokens.create_feed(Actor.from_row(owner), "person")
    await signed_in(client, await make_user())
    for action in ("regenerate", "revoke"):
        response = await post_form(client, f"{PAGE}/{feed['id']}/{action}", {}, token_from=PAGE)
        assert response.status_code == 404
    after = await CalendarFeed.select().where(CalendarFeed.id == feed["id"]).first()
    assert after["nonce"] == feed["nonce"] and after["revoked_at"] is None
    assert (await post_form(client, f"{PAGE}/99999999999999999999/revoke", {}, token_from=PAGE)).status_code == 404


async def test_staff_choose_a_room_and_bad_choices_get_a_clear_error(client):
    venue = Venue(name="Mather Campus", address="10474 Mather Blvd")
    await venue.save()
    room = Room(venue=venue.id, name="Room 203", capacity=30)
    await room.save()
    await signed_in(client, await make_user("staff"))
    page = await client.get(PAGE)
    assert f'value="room:{room.id}"' in page.text and f'value="venue:{venue.id}"' in page.text
    for bad in ("", "room:", "room:abc", "everything:1", f"room:{room.id + 1000}", "venue:" + "9" * 30):
        response = await post_form(client, f"{PAGE}/staff", {"scope": bad}, token_from=PAGE)
        assert response.status_code == 422, bad
        assert "There is a problem" in response.text
    assert await CalendarFeed.count() == 0
    made = await post_form(client, f"{PAGE}/staff", {"scope": f"room:{room.id}"}, token_from=PAGE)
    assert made.status_code == 303
    page = await client.get(PAGE)
    assert "Mather Campus, Room 203" in page.text and len(addresses(page.text)) == 1


async def test_attendees_cannot_make_staff_calendars(client):
    venue = Venue(name="Mather Campus", address="")
    await venue.save()
    await signed_in(client, await make_user())
    page = await client.get(PAGE)
    assert "Venues, rooms and programs" not in page.text
    response = await post_form(client, f"{PAGE}/staff", {"scope": f"venue:{venue.id}"}, token_from=PAGE)
    assert response.status_code == 403
    assert await CalendarFeed.count() == 0


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = await client.get(PAGE)
    assert response.status_code in (302, 303, 401)


async def test_htmx_actions_are_told_where_to_go_instead_of_following_a_redirect(client):
    user = await signed_in(client, await make_user())
    await post_form(client, PAGE, {}, token_from=PAGE)
    feed = await CalendarFeed.select().where(CalendarFeed.owner == user["id"]).first()
    response = await post_form(
        client, f"{PAGE}/{feed['id']}/regenerate", {}, token_from=PAGE, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/account/calendar?notice=feed-regenerated"


async def test_people_turn_invites_off_and_on_from_the_page(client):
    from booking.accounts.tables import User

    user = await signed_in(client, await make_user())
    page = await client.get(PAGE)
    assert 'name="calendar_invites" checked' in page.text
    response = await post_form(client, f"{PAGE}/invites", {}, token_from=PAGE)  # an unticked box is absent
    assert response.status_code == 303 and "invites-off" in response.headers["location"]
    assert (await User.select(User.calendar_invites).where(User.id == user["id"]).first())["calendar_invites"] is False
    assert 'name="calendar_invites" checked' not in (await client.get(PAGE)).text
    await post_form(client, f"{PAGE}/invites", {"calendar_invites": "on"}, token_from=PAGE)
    assert (await User.select(User.calendar_invites).where(User.id == user["id"]).first())["calendar_invites"] is True
