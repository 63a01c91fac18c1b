"""Helpers for the staff catalog tests: everything is done through the HTML forms, as staff would."""

from __future__ import annotations

import re

from booking.catalog.tables import Offering, OfferingSession, Room, Venue
from booking.notifications.tables import OutboxMessage
from tests.factories import make_user, post_form, signed_in

OFFERING_FORM = {
    "title": "Number Talks in Grades 3-5",
    "description_md": "Build **fluency** with number talks.",
    "subject": "Mathematics",
    "grade_band": "3-5",
    "format": "in_person",
    "pd_hours": "3",
    "facilitators": "",
    "capacity": "25",
    "price": "0",
    "nonmember_price": "",
    "registration_opens_at": "",
    "registration_closes_at": "",
    "cancellation_deadline": "",
    "status": "draft",
    "attendance_rule": "all_sessions",
    "min_attendance_hours": "0",
}


async def as_staff(client, role: str = "staff", **fields) -> dict:
    return await signed_in(client, await make_user(role, **fields))


async def post(client, path: str, data: dict):
    return await post_form(client, path, data, token_from="/account")


def location_id(response, prefix: str) -> int:
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    match = re.match(rf"{re.escape(prefix)}(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def new_offering(client, **fields) -> int:
    response = await post(client, "/staff/offerings/new", {**OFFERING_FORM, **fields})
    return location_id(response, "/staff/offerings/")


def session_form(date: str, start: str = "09:00", end: str = "12:00", room_id: int | None = None, **extra) -> dict:
    return {
        "date": date,
        "start_time": start,
        "end_time": end,
        "room_id": str(room_id or ""),
        "online_url": "",
        "location_note": "",
        **extra,
    }


async def add_session(
    client, offering_id: int, date: str, start: str = "09:00", end: str = "12:00", room_id: int | None = None, **extra
):
    return await post(
        client, f"/staff/offerings/{offering_id}/sessions", session_form(date, start, end, room_id, **extra)
    )


async def published_offering(client, date: str = "2027-03-01", room_id: int | None = None, **fields) -> int:
    offering_id = await new_offering(client, **fields)
    response = await add_session(client, offering_id, date, room_id=room_id)
    assert response.status_code == 303, response.text[:3000]
    response = await post(client, f"/staff/offerings/{offering_id}/publish", {})
    assert response.status_code == 303, response.text[:3000]
    return offering_id


async def make_room(client, venue: str = "SCOE Mather campus", room: str = "Room 101", seats: int = 40) -> int:
    existing = await Venue.select(Venue.id).where(Venue.name == venue).first()
    if existing is None:
        venue_id = location_id(
            await post(client, "/staff/venues", {"name": venue, "address": "10474 Mather Blvd"}), "/staff/venues/"
        )
    else:
        venue_id = existing["id"]
    response = await post(client, f"/staff/venues/{venue_id}/rooms", {"room_name": room, "room_capacity": str(seats)})
    assert response.status_code == 303, response.text[:3000]
    return (await Room.select(Room.id).where((Room.venue == venue_id) & (Room.name == room)).first())["id"]


async def offering_row(offering_id: int) -> dict:
    return await Offering.select().where(Offering.id == offering_id).first()


async def sessions_rows(offering_id: int) -> list[dict]:
    return (
        await OfferingSession.select()
        .where(OfferingSession.offering == offering_id)
        .order_by(OfferingSession.starts_at)
    )


async def mails(template_subject_start: str = "") -> list[dict]:
    rows = await OutboxMessage.select(
        OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text
    ).order_by(OutboxMessage.id)
    return [r for r in rows if r["subject"].startswith(template_subject_start)]
