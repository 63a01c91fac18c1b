"""Workshops with sessions in the past (to take attendance and complete), built through the use cases."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.catalog.offerings import create_offering, get_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from tests.factories import make_user, token_from_page


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def session(year: int, month: int, day: int, start_hour: int = 9, hours: float = 3) -> SessionInput:
    start = local(year, month, day, start_hour)
    return SessionInput(starts_at=start, ends_at=start + dt.timedelta(hours=hours))


async def staff_member(**fields) -> tuple[dict, Actor]:
    fields.setdefault("password", None)
    user = await make_user("staff", **fields)
    return user, Actor.from_row(user)


async def workshop(actor: Actor, sessions: list[SessionInput] | None = None, **fields) -> dict:
    data = OfferingInput(
        title=fields.pop("title", "Number Talks in Grades 3-5"),
        capacity=fields.pop("capacity", 20),
        status=fields.pop("status", "published"),
        sessions=sessions
        if sessions is not None
        else [session(2026, 3, 10), session(2026, 3, 17), session(2026, 3, 24)],
        pd_hours=fields.pop("pd_hours", "9"),
        facilitators=fields.pop("facilitators", "Maria Alvarez"),
        **fields,
    )
    offering_id = await create_offering(actor, data)
    return await get_offering(actor, offering_id)


async def enrol(offering_id: int, people: list[dict]) -> list[dict]:
    """Each person registers themself (free workshop): confirmed until full, then waitlisted."""
    registrations = []
    for person in people:
        outcome = await register(Actor.from_row(person), offering_id, RegistrationRequest())
        registrations.append(outcome.registration)
    return registrations


async def attendees(count: int, **fields) -> list[dict]:
    fields.setdefault("password", None)  # signed in by session in tests: no slow password hashing
    return [await make_user("attendee", **fields) for _ in range(count)]


async def registration(registration_id: int) -> dict:
    return await Registration.select().where(Registration.id == registration_id).first()


page_csrf = token_from_page  # takes the response: its status is checked before the token is read


HTMX = {"HX-Request": "true"}
