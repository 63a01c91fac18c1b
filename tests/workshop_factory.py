"""Workshops for page tests, made through the real use case (catalog.offerings.create_offering) by a staff Actor."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.offerings import create_offering
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ
from tests.factories import make_user


async def staff_actor() -> Actor:
    return Actor.from_row(await make_user("staff"))


def local(days: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A time `days` from today at hour:minute in Sacramento, as an aware datetime."""
    day = dt.datetime.now(LOCAL_TZ).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ)


async def make_workshop(
    title: str = "Number Talks in Grades 3-5",
    *,
    days: int = 30,
    sessions: int = 1,
    hours: int = 3,
    capacity: int = 20,
    price_cents: int = 0,
    nonmember_price_cents: int | None = None,
    audiences: tuple[str, ...] = ("teacher",),
    subject: str = "Mathematics",
    grade_band: str = "3-5",
    format: str = "in_person",
    status: str = "published",
    opens: dt.datetime | None = None,
    closes: dt.datetime | None = None,
    cancellation_deadline: dt.datetime | None = None,
    description: str = "",
    facilitators: str = "",
    pd_hours: str = "3",
    online_url: str = "",
    kind: str = "workshop",
    staff: Actor | None = None,
) -> int:
    staff = staff or await staff_actor()
    session_inputs = []
    for index in range(sessions):
        start = local(days + 7 * index)
        session_inputs.append(SessionInput(start, start + dt.timedelta(hours=hours), online_url=online_url))
    return await create_offering(
        staff,
        OfferingInput(
            title=title,
            capacity=capacity,
            price_cents=price_cents,
            nonmember_price_cents=nonmember_price_cents,
            kind=kind,
            status=status,
            sessions=session_inputs,
            description_md=description,
            audiences=list(audiences),
            subject=subject,
            grade_band=grade_band,
            format=format,
            pd_hours=pd_hours,
            registration_opens_at=opens,
            registration_closes_at=closes,
            cancellation_deadline=cancellation_deadline,
            facilitators=facilitators,
        ),
    )


async def require_approval(district_code: str, required: bool = True) -> None:
    await District.update({District.requires_supervisor_approval: required}).where(District.code == district_code)
