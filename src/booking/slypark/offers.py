"""Coordinators accept or decline an offered week before its deadline; an accepted offer is a booking."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, NotFound
from booking.slypark.beds import holds_beds, lock_week
from booking.slypark.booking_lifecycle import BookingStatus, move_booking
from booking.slypark.bookings import BOOKING_COLUMNS, visible_bookings
from booking.slypark.charges import bill_deposit
from booking.slypark.request_lifecycle import RequestStatus, current_request, move_request
from booking.slypark.tables import Booking
from booking.slypark.week_requests import require_coordinator


async def _offered_booking(actor: Actor, booking_id: int, now: dt.datetime) -> dict:
    booking = await Booking.select(*BOOKING_COLUMNS).where((Booking.id == booking_id) & visible_bookings(actor)).first()
    if booking is None:
        raise NotFound("No such offer.")
    await lock_week(booking["week"])
    await lock_rows_for_update(Booking, Booking.id == booking_id)
    booking = await Booking.select(*BOOKING_COLUMNS).where(Booking.id == booking_id).first()
    if booking["status"] != "offered":
        raise Conflict(f"This offer is already {booking['status']}.", code="not_offered")
    if not holds_beds(booking, now):
        raise Conflict(
            "This offer has expired and its beds are released. You can still book remaining beds if any are left.",
            code="offer_expired",
        )
    return booking


async def _siblings(booking: dict) -> list[dict]:
    """A split request's other half: both are answered together."""
    if booking["request"] is None:
        return [booking]
    return (
        await Booking.select(*BOOKING_COLUMNS)
        .where((Booking.request == booking["request"]) & (Booking.status == "offered"))
        .order_by(Booking.id)
    )


async def accept_offer(actor: Actor, booking_id: int, now: dt.datetime | None = None) -> None:
    require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        booking = await _offered_booking(actor, booking_id, now)
        for part in await _siblings(booking):
            await move_booking(part, BookingStatus.CONFIRMED, now, event="accepted", actor_id=actor.id)
            await bill_deposit(part["id"], now)
        if booking["request"] is not None:
            await move_request(await current_request(booking["request"]), RequestStatus.ACCEPTED, now)


async def decline_offer(actor: Actor, booking_id: int, reason: str = "", now: dt.datetime | None = None) -> None:
    require_coordinator(actor)
    now = now or utc_now()
    async with write_transaction():
        booking = await _offered_booking(actor, booking_id, now)
        for part in await _siblings(booking):
            await move_booking(
                part,
                BookingStatus.RELEASED,
                now,
                event="declined",
                actor_id=actor.id,
                note=reason[:2000],
                release_reason=(reason or "Offer declined")[:300],
            )
        if booking["request"] is not None:
            await move_request(await current_request(booking["request"]), RequestStatus.DECLINED, now)


def _lapsed(now: dt.datetime):
    return Booking.select(Booking.id, Booking.request, Booking.status).where(
        (Booking.status == "offered") & (Booking.offer_expires_at <= now)
    )


async def expire_offers(now: dt.datetime | None = None) -> int:
    """Record lapsed offers as released (their beds were free from the deadline on anyway)."""
    now = now or utc_now()
    if not await _lapsed(now):
        return 0  # the usual minute: nothing lapsed, so no write lock is taken
    async with write_transaction():
        lapsed = await _lapsed(now)
        for booking in lapsed:
            await move_booking(
                booking,
                BookingStatus.RELEASED,
                now,
                event="expired",
                release_reason="The offer was not accepted in time",
            )
            if booking["request"] is not None:
                request = await current_request(booking["request"])
                if request["status"] == RequestStatus.OFFERED:  # a split request's other half lapsed with it
                    await move_request(request, RequestStatus.EXPIRED, now)
    return len(lapsed)


async def offers_in_season(season_id: int) -> list[dict]:
    """Offered bookings of a season (live or lapsed), for telling each request where it stands."""
    return await Booking.select(Booking.request, Booking.status, Booking.offer_expires_at).where(
        (Booking.season == season_id) & (Booking.status == "offered")
    )
