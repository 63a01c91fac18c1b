"""Cabin leaders: high-school volunteers sign up for a booking by its link, no account needed.

The link carries Booking.cabin_leader_code. Bookings made by publishing an allocation start without one;
the coordinator's cabin-leader page makes it (`leaders_of`). A released or cancelled booking takes no sign-ups.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.users import validate_email, validate_name
from booking.clock import LOCAL_TZ, utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.slypark.bookings import BOOKING_COLUMNS, get_booking
from booking.slypark.seasons import get_season
from booking.slypark.tables import Booking, BookingEvent, CabinLeader

AGREEMENT_VERSION = "2027-1"
AGREEMENT_TEXT = (
    "I volunteer as a cabin leader for this school's week at the Sly Park Environmental Education Center. "
    "I will stay with my cabin group day and night, follow the directions of Sly Park staff and the school's teachers, "
    "keep the students in my care safe and included, and never be alone with a single student. I will not bring or use "
    "alcohol, tobacco, vapes or drugs. I understand that I may be sent home, at my family's cost, if I break these rules. "
    "My parent or guardian agrees to my taking part and can be reached by phone during the week."
)
OPEN_STATUSES = ("offered", "confirmed")


@dataclass(frozen=True)
class LeaderInput:
    name: str = ""
    email: str = ""
    high_school: str = ""
    gender: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_email: str = ""
    signature: str = ""


def needed(students: int, per_leader: int) -> int:
    return -(-students // per_leader) if students and per_leader > 0 else 0


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_leader(data: LeaderInput) -> dict:
    errors: dict[str, str] = {}
    clean: dict = {}

    def named(field: str, value: str, message: str) -> None:
        try:
            clean[field] = validate_name(value, field)
        except InvalidInput as error:
            errors[field] = message if not value.strip() else error.field_errors[field]

    named("name", data.name, "Enter your name.")
    named("high_school", data.high_school, "Enter your high school.")
    named("guardian_name", data.guardian_name, "Enter your parent or guardian's name.")
    for field, value, required in (("email", data.email, True), ("guardian_email", data.guardian_email, False)):
        if not value.strip() and not required:
            clean[field] = ""
            continue
        try:
            clean[field] = validate_email(value, field)
        except InvalidInput as error:
            errors[field] = error.field_errors[field]
    if data.gender not in ("boy", "girl"):
        errors["gender"] = "Choose boy or girl: cabins are for boys or for girls."
    clean["gender"] = data.gender
    phone = " ".join(data.guardian_phone.split())
    if not phone:
        errors["guardian_phone"] = "Enter a phone number for your parent or guardian."
    elif len(phone) > 40 or not re.fullmatch(r"[0-9+().\- x]+", phone) or len(re.sub(r"\D", "", phone)) < 10:
        errors["guardian_phone"] = "Enter a phone number with its area code, like 530-555-0123."
    clean["guardian_phone"] = phone
    signature = " ".join(data.signature.split())
    if not signature:
        errors["signature"] = "Type your full name to sign the agreement."
    elif "name" in clean and not _same_name(signature, clean["name"]):
        errors["signature"] = "Type your name exactly as you entered it above to sign."
    clean["signed_name"] = signature
    if errors:
        raise InvalidInput(errors)
    return clean


async def booking_for_code(code: str) -> dict:
    """The booking a sign-up link is for; 404 for a code that matches none; 409 once it takes no sign-ups."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        raise NotFound("This sign-up link does not match a Sly Park week.")
    booking = await Booking.select(*BOOKING_COLUMNS).where(Booking.cabin_leader_code == code).first()
    if booking is None:
        raise NotFound("This sign-up link does not match a Sly Park week.")
    return booking


def check_open(booking: dict) -> None:
    if booking["status"] not in OPEN_STATUSES:
        raise Conflict(
            "This school's week at Sly Park is no longer booked, so it takes no cabin-leader sign-ups.",
            code="booking_closed",
        )


async def sign_up(code: str, data: LeaderInput, now: dt.datetime | None = None) -> dict:
    now = now or utc_now()
    async with write_transaction():
        booking = await booking_for_code(code)
        await lock_rows_for_update(Booking, Booking.id == booking["id"])
        booking = await booking_for_code(code)
        check_open(booking)
        clean = check_leader(data)
        if await CabinLeader.exists().where(
            (CabinLeader.booking == booking["id"]) & (CabinLeader.email == clean["email"])
        ):
            raise InvalidInput({"email": "Someone with this email address has already signed up for this week."})
        row = (
            await CabinLeader.insert(
                CabinLeader(
                    booking=booking["id"],
                    agreement_version=AGREEMENT_VERSION,
                    signed_on=now.astimezone(LOCAL_TZ).date(),
                    **clean,
                )
            ).returning(*CabinLeader.all_columns())
        )[0]
    return row


@dataclass
class Leaders:
    booking: dict
    season: dict
    leaders: list[dict]
    students: int
    needed: int


async def leaders_of(actor: Actor, booking_id: int) -> Leaders:
    """The coordinator's (or staff's) view; makes the sign-up code if the booking has none yet."""
    booking = await get_booking(actor, booking_id)
    if not (actor.is_staff or (actor.is_coordinator and actor.district_id == booking["district"])):
        raise Forbidden("Only the school district's coordinator and Sly Park staff see a booking's cabin leaders.")
    if not booking["cabin_leader_code"] and booking["status"] in OPEN_STATUSES:
        async with write_transaction():
            await lock_rows_for_update(Booking, Booking.id == booking_id)
            await Booking.update({Booking.cabin_leader_code: secrets.token_urlsafe(12)}).where(
                (Booking.id == booking_id) & (Booking.cabin_leader_code == "")
            )
        booking = await get_booking(actor, booking_id)
    season = await get_season(booking["season"])
    leaders = (
        await CabinLeader.select()
        .where(CabinLeader.booking == booking_id)
        .order_by(CabinLeader.created_at)
        .order_by(CabinLeader.id)
    )
    students = booking["boys"] + booking["girls"]
    return Leaders(booking, season, leaders, students, needed(students, season["students_per_cabin_leader"]))


async def signed_up_count(booking_id: int) -> int:
    return await CabinLeader.count().where(CabinLeader.booking == booking_id)


async def leader_for_removal(actor: Actor, booking_id: int, leader_id: int) -> tuple[dict, dict]:
    """The booking and one of its sign-ups, for those who see the booking's cabin leaders."""
    booking = await get_booking(actor, booking_id)
    if not (actor.is_staff or (actor.is_coordinator and actor.district_id == booking["district"])):
        raise Forbidden("Only the school district's coordinator and Sly Park staff see a booking's cabin leaders.")
    leader = (
        await CabinLeader.select().where((CabinLeader.id == leader_id) & (CabinLeader.booking == booking_id)).first()
    )
    if leader is None:
        raise NotFound("This sign-up is not on the list (perhaps it was already removed).")
    return booking, leader


async def remove_leader(actor: Actor, booking_id: int, leader_id: int) -> dict:
    """Take a sign-up off the list (a bogus or doubled one, or a volunteer who cannot come). The booking's
    history keeps who removed whom, so the list can be explained later; the person's details go."""
    async with write_transaction():
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        _, leader = await leader_for_removal(actor, booking_id, leader_id)
        await CabinLeader.delete().where(CabinLeader.id == leader_id)
        await BookingEvent.insert(
            BookingEvent(
                booking=booking_id,
                kind="cabin_leader_removed",
                actor=actor.id,
                note=f"Cabin-leader sign-up of {leader['name']} removed",
            )
        )
    return leader
