"""Beds per week and gender: confirmed bookings and live offers hold them; everything else frees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.db import lock_rows_for_update
from booking.errors import NotFound
from booking.slypark.tables import Booking, Week


@dataclass(frozen=True)
class BedUse:
    boys_beds: int
    girls_beds: int
    boys: int
    girls: int

    @property
    def boys_left(self) -> int:
        return max(0, self.boys_beds - self.boys)

    @property
    def girls_left(self) -> int:
        return max(0, self.girls_beds - self.girls)

    def fits(self, boys: int, girls: int) -> bool:
        return boys <= self.boys_left and girls <= self.girls_left


def holds_beds(booking: dict, now: dt.datetime) -> bool:
    if booking["status"] == "confirmed":
        return True
    return (
        booking["status"] == "offered" and booking["offer_expires_at"] is not None and booking["offer_expires_at"] > now
    )


async def bed_use(week_ids: list[int], now: dt.datetime, *, except_booking: int | None = None) -> dict[int, BedUse]:
    if not week_ids:
        return {}
    weeks = await Week.select(Week.id, Week.boys_beds, Week.girls_beds).where(Week.id.is_in(week_ids))
    bookings = await Booking.select(
        Booking.id, Booking.week, Booking.status, Booking.offer_expires_at, Booking.boys, Booking.girls
    ).where(Booking.week.is_in(week_ids) & Booking.status.is_in(["confirmed", "offered"]))
    taken: dict[int, list[int]] = {week["id"]: [0, 0] for week in weeks}
    for booking in bookings:
        if booking["id"] != except_booking and holds_beds(booking, now):
            taken[booking["week"]][0] += booking["boys"]
            taken[booking["week"]][1] += booking["girls"]
    return {week["id"]: BedUse(week["boys_beds"], week["girls_beds"], *taken[week["id"]]) for week in weeks}


async def lock_week(week_id: int) -> dict:
    """Lock the week row (PostgreSQL) inside the open write transaction: every bed decision for it queues here."""
    await lock_rows_for_update(Week, Week.id == week_id)
    week = await Week.select().where(Week.id == week_id).first()
    if week is None:
        raise NotFound("No such week.")
    return week
