"""The Sly Park booking's one lifecycle (issue 13, item 1): every move outside the table is refused and changes
nothing, each allowed move stamps its time and records its event, a stale read changes nothing, and no other
module writes the status. On both engines."""

from __future__ import annotations

import pathlib
import re

import pytest

from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict
from booking.slypark.booking_lifecycle import ALLOWED, LABELS, BookingStatus, move_booking
from booking.slypark.bookings import Headcount, book_remaining
from booking.slypark.tables import BOOKING_STATUSES, Booking, BookingEvent, Season
from tests.slypark.slypark_factory import coordinator, make_school, make_season
from tests.workshop_factory import staff_actor

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "booking"


def test_the_enum_keeps_the_stored_strings_and_every_status_has_a_label_and_a_row():
    assert tuple(status.value for status in BookingStatus) == BOOKING_STATUSES
    assert set(LABELS) == set(BookingStatus) == set(ALLOWED)
    assert not ALLOWED[BookingStatus.RELEASED] and not ALLOWED[BookingStatus.CANCELLED]  # final


async def _booking() -> dict:
    staff = await staff_actor()
    season = await make_season(staff, weeks=1, boys_beds=30, girls_beds=30, first=8)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    booking_id = await book_remaining(
        await coordinator("EGUSD"),
        season["weeks"][0],
        await make_school("EGUSD", "Echo"),
        Headcount(10, 10, 2),
        lead_teacher_name="Eve",
        lead_teacher_email="eve@school.example",
    )
    return await Booking.select().where(Booking.id == booking_id).first()


async def _stored(booking_id: int) -> dict:
    return await Booking.select().where(Booking.id == booking_id).first()


async def test_every_move_outside_the_table_is_refused_and_every_allowed_one_is_stamped_and_recorded(db):
    booking = await _booking()
    for from_status in BookingStatus:
        await Booking.update(
            {Booking.status: from_status.value, Booking.confirmed_at: None, Booking.released_at: None}
        ).where(Booking.id == booking["id"])
        before, events = await _stored(booking["id"]), await BookingEvent.count()
        for to_status in BookingStatus:
            if to_status in ALLOWED[from_status]:
                continue
            with pytest.raises(Conflict) as refused:
                async with write_transaction():
                    await move_booking(before, to_status, utc_now(), event="tried")
            assert refused.value.code == "booking_transition_not_allowed"
            assert await _stored(booking["id"]) == before and await BookingEvent.count() == events
        for to_status in ALLOWED[from_status]:
            async with write_transaction():
                await move_booking(before, to_status, utc_now(), event=f"to_{to_status.value}")
            after = await _stored(booking["id"])
            assert after["status"] == to_status.value
            assert (after["confirmed_at"] is not None) == (to_status == BookingStatus.CONFIRMED)
            assert (after["released_at"] is not None) == (to_status == BookingStatus.RELEASED)
            assert await BookingEvent.exists().where(
                (BookingEvent.booking == booking["id"]) & (BookingEvent.kind == f"to_{to_status.value}")
            )
            await Booking.update(
                {Booking.status: from_status.value, Booking.confirmed_at: None, Booking.released_at: None}
            ).where(Booking.id == booking["id"])


async def test_a_move_decided_on_a_stale_read_changes_nothing(db):
    booking = await _booking()  # confirmed
    await Booking.update({Booking.status: "released"}).where(Booking.id == booking["id"])
    with pytest.raises(Conflict) as refused:
        async with write_transaction():
            await move_booking(booking, BookingStatus.CANCELLED, utc_now(), event="cancelled")
    assert refused.value.code == "booking_changed"
    assert (await _stored(booking["id"]))["status"] == "released"


def test_only_the_lifecycle_module_writes_a_bookings_status():
    writers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bBooking\.status\s*:", path.read_text())
    )
    assert writers == ["slypark/booking_lifecycle.py"]
