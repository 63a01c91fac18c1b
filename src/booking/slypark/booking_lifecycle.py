"""The one lifecycle of a Sly Park booking (an offer is a booking in "offered"): its statuses, their words,
the moves allowed, and the one function that moves it, stamping the time and writing the booking's event.
No other module writes `Booking.status` (a new booking is inserted as offered or confirmed).

  offered ──accept──> confirmed
  offered ──decline / lapse / week closed, no other week──> released
  offered, confirmed ──week closed, moved to another week──> offered (a new offer, with a new deadline)
  confirmed ──week closed, no other week──> released;  confirmed ──cancel──> cancelled
Released and cancelled are final: a school that wants to come after all makes a new booking.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from piccolo.columns import Column

from booking.errors import Conflict
from booking.slypark.tables import Booking, BookingEvent
from booking.status_table import StatusTable


class BookingStatus(StrEnum):
    # The stored strings, unchanged (slypark.tables.BOOKING_STATUSES).
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    CANCELLED = "cancelled"


S = BookingStatus
LABELS = {S.OFFERED: "Offered", S.CONFIRMED: "Confirmed", S.RELEASED: "Released", S.CANCELLED: "Cancelled"}
ALLOWED: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.OFFERED: frozenset({S.CONFIRMED, S.RELEASED, S.OFFERED}),
    S.CONFIRMED: frozenset({S.OFFERED, S.RELEASED, S.CANCELLED}),
    S.RELEASED: frozenset(),
    S.CANCELLED: frozenset(),
}
# What each move stamps.
STAMPS = {S.CONFIRMED: Booking.confirmed_at, S.RELEASED: Booking.released_at}


TABLE = StatusTable(BookingStatus, LABELS, ALLOWED, thing="A booking", code="booking_transition_not_allowed")
may_move = TABLE.may_move


async def move_booking(
    booking: dict[str, Any],
    to_status: BookingStatus,
    now: dt.datetime,
    *,
    event: str,
    actor_id: int | None = None,
    note: str = "",
    **columns: Any,
) -> None:
    """Move a (locked) booking to `to_status` with the columns that go with it, and record the event.

    Refused with a Conflict when the table does not allow it; the UPDATE re-checks the stored status, so a move
    decided on a stale read changes nothing."""
    from_status = booking["status"]
    TABLE.refuse_unless_allowed(from_status, to_status)
    values: dict[Column | str, Any] = {Booking.status: to_status.value}
    if to_status in STAMPS:
        values[STAMPS[to_status]] = now
    values.update({getattr(Booking, name): value for name, value in columns.items()})
    moved = (
        await Booking.update(values)
        .where((Booking.id == booking["id"]) & (Booking.status == from_status))
        .returning(Booking.id)
    )
    if not moved:
        raise Conflict("This booking changed meanwhile; reload the page.", code="booking_changed")
    await BookingEvent.insert(BookingEvent(booking=booking["id"], kind=event, actor=actor_id, note=note))
