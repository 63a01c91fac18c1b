"""Demo workshops for `make run`: venues, rooms and a catalog that shows every state."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import create_offering
from booking.catalog.tables import Offering, Room, Venue
from booking.catalog.validation import OfferingInput, SessionInput
from booking.clock import LOCAL_TZ, utc_now
from booking.demo_calendar import open_day
from booking.scheduling.registration import RegistrationRequest, register

VENUES = [
    (
        "SCOE Conference Center",
        "10474 Mather Boulevard, Mather, CA 95655",
        [("Sierra Room", 60), ("Mather Room", 30), ("Board Room", 20)],
    ),
    ("Sly Park Environmental Education Center", "5600 Sly Park Road, Pollock Pines, CA 95726", [("Dining Hall", 120)]),
]


def _local(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    day = open_day((utc_now().astimezone(LOCAL_TZ) + dt.timedelta(days=days_ahead)).date())
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


async def _rooms() -> dict[str, int]:
    for venue_name, address, rooms in VENUES:
        venue = await Venue.select(Venue.id).where(Venue.name == venue_name).first()
        if venue is None:
            created = Venue(name=venue_name, address=address)
            await created.save()
            venue = {"id": created.id}
        for room_name, capacity in rooms:
            if not await Room.exists().where((Room.venue == venue["id"]) & (Room.name == room_name)):
                await Room.insert(Room(venue=venue["id"], name=room_name, capacity=capacity))
    return {row["name"]: row["id"] for row in await Room.select(Room.id, Room.name)}


async def load_demo_workshops() -> None:
    staff_row = await User.select().where(User.email == "staff@scoe.example").first()
    if staff_row is None:
        return
    staff = Actor.from_row(staff_row)
    rooms = await _rooms()
    catalog = [
        OfferingInput(
            title="Number Talks in Grades 3-5: A 3-Part Series",
            capacity=30,
            status="published",
            description_md="Build flexible thinking with **short daily number talks**.\n\n- Routines you can use on Monday\n- Video of real classrooms\n- Planning time with colleagues",
            audiences=["teacher", "para-educator"],
            subject="Mathematics",
            grade_band="3-5",
            pd_hours="9",
            facilitators="Dr. Maria Chen",
            sessions=[
                SessionInput(_local(days, 15, 30), _local(days, 18, 30), rooms["Mather Room"]) for days in (14, 28, 42)
            ],
        ),
        OfferingInput(
            title="Structured Literacy for Para-Educators",
            capacity=25,
            price_cents=7500,
            nonmember_price_cents=12500,
            status="published",
            description_md="Half-day training in explicit phonics support for small groups.",
            audiences=["para-educator"],
            subject="Literacy",
            grade_band="TK-2",
            format="hybrid",
            pd_hours="3.5",
            facilitators="James Ortiz",
            sessions=[
                SessionInput(
                    _local(21, 8, 30),
                    _local(21, 12, 0),
                    rooms["Sierra Room"],
                    online_url="https://meet.example.org/scoe-literacy",
                )
            ],
        ),
        OfferingInput(
            title="Webinar: Supporting Newcomer English Learners",
            capacity=200,
            status="published",
            format="virtual",
            description_md="A 90-minute webinar with strategies for the first weeks.",
            audiences=["teacher", "administrator"],
            subject="English Learners",
            grade_band="TK-12",
            pd_hours="1.5",
            facilitators="Ana Lopez",
            sessions=[
                SessionInput(
                    _local(10, 15, 30), _local(10, 17, 0), online_url="https://meet.example.org/scoe-newcomers"
                )
            ],
        ),
        OfferingInput(
            title="Restorative Practices in the Classroom",
            capacity=2,
            status="published",
            description_md="Small-group workshop: this one fills fast (demo of the waiting list).",
            audiences=["teacher", "classified"],
            subject="School Climate",
            grade_band="6-8",
            pd_hours="6",
            facilitators="Keisha Williams",
            sessions=[SessionInput(_local(18, 8, 30), _local(18, 15, 0), rooms["Board Room"])],
        ),
        OfferingInput(
            title="Next Generation Science Standards at Sly Park",
            capacity=40,
            status="published",
            registration_opens_at=_local(7, 8, 0),
            description_md="An outdoor day for 5th/6th grade teachers.",
            audiences=["teacher"],
            subject="Science",
            grade_band="3-5",
            pd_hours="6",
            facilitators="Sly Park staff",
            sessions=[SessionInput(_local(45, 9, 0), _local(45, 15, 0), rooms["Dining Hall"])],
        ),
    ]
    for data in catalog:
        if not await Offering.exists().where(Offering.title == data.title):
            await create_offering(staff, data)
    full = await Offering.select(Offering.id).where(Offering.title == "Restorative Practices in the Classroom").first()
    teacher = await User.select().where(User.email == "teacher@egusd.example").first()
    para = await User.select().where(User.email == "para@sanjuan.example").first()
    coordinator = await User.select().where(User.email == "coordinator@egusd.example").first()
    from booking.scheduling.tables import Registration

    if full and not await Registration.exists().where(Registration.offering == full["id"]):
        for person in (coordinator, para, teacher):
            if person is not None:
                await register(Actor.from_row(person), full["id"], RegistrationRequest())
