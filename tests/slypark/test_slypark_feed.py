"""A coordinator's calendar feed carries the district's Sly Park weeks as all-day events, and follows a moved week."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.scheduling.feed_tokens import create_feed, token_for
from booking.slypark.tables import Week
from booking.slypark.week_closure import close_week
from tests.calendars.readers import read_everywhere
from tests.factories import make_user
from tests.slypark.slypark_factory import make_school, make_season
from tests.slypark.test_week_closure import book, open_first_come
from tests.workshop_factory import staff_actor


async def test_a_coordinators_feed_shows_the_districts_weeks_all_day_and_follows_a_closure(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=2, boys_beds=40, girls_beds=40)
    w1, w2 = season["weeks"]
    egusd = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    sanjuan = Actor.from_row(await make_user("coordinator", district="SJUSD"))
    alder, birch = await make_school("EGUSD", "Alder Elementary"), await make_school("SJUSD", "Birch Elementary")
    await open_first_come(staff, season)
    ours = await book(egusd, w1, alder, 12, 10)
    theirs = await book(sanjuan, w1, birch, 5, 5)
    token = token_for((await create_feed(egusd, "person"))["nonce"])
    uid = f"slypark-booking-{ours}@testserver.local"
    first = await Week.select().where(Week.id == w1).first()
    second = await Week.select().where(Week.id == w2).first()

    response = await client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    calendar = read_everywhere(response.content)
    event = calendar.event(uid)
    assert event.all_day and event.start == first["starts_on"] and event.start.weekday() == 0
    assert event.end == first["starts_on"] + dt.timedelta(days=5) and event.end.weekday() == 5  # Saturday, exclusive
    assert event.summary == "Sly Park: Alder Elementary (22 students)" and event.status == "CONFIRMED"
    assert event.url == f"http://testserver.local/slypark/bookings/{ours}"
    assert all(f"slypark-booking-{theirs}@" not in e.uid for e in calendar.events)  # another district's week

    await close_week(staff, w1, "Snow")  # both bookings move to w2, as offers

    moved = read_everywhere((await client.get(f"/calendar/{token}.ics")).content)
    event = moved.event(uid)
    assert event.start == second["starts_on"] and event.end == second["starts_on"] + dt.timedelta(days=5)
    assert event.status == "TENTATIVE"
    assert all(f"slypark-booking-{theirs}@" not in e.uid for e in moved.events)

    other = token_for(
        (await create_feed(Actor.from_row(await make_user("attendee", district="EGUSD")), "person"))["nonce"]
    )
    assert not read_everywhere((await client.get(f"/calendar/{other}.ics")).content).events  # only coordinators
