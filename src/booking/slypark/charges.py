"""What a district owes for a booking: a deposit when it is confirmed, the balance on actual numbers after the freeze.

These lines are what payments and invoicing take up; the amounts are integer cents.
"""

from __future__ import annotations

import datetime as dt

from booking.clock import LOCAL_TZ, utc_now
from booking.db import write_transaction
from booking.slypark.scholarships import bill_scholarships
from booking.slypark.tables import Booking, BookingCharge, Season

DEPOSIT_DUE_DAYS = 30


async def bill_deposit(booking_id: int, now: dt.datetime) -> int | None:
    """Inside the confirming transaction: the deposit on the confirmed numbers, once."""
    booking = await Booking.select(Booking.boys, Booking.girls, Booking.season).where(Booking.id == booking_id).first()
    season = await Season.select().where(Season.id == booking["season"]).first()
    if season["deposit_per_student_cents"] <= 0 or await BookingCharge.exists().where(
        (BookingCharge.booking == booking_id) & (BookingCharge.kind == "deposit")
    ):
        return None
    students = booking["boys"] + booking["girls"]
    rows = await BookingCharge.insert(
        BookingCharge(
            booking=booking_id,
            kind="deposit",
            students=students,
            amount_cents=students * season["deposit_per_student_cents"],
            due_on=now.astimezone(LOCAL_TZ).date() + dt.timedelta(days=DEPOSIT_DUE_DAYS),
        )
    ).returning(BookingCharge.id)
    return rows[0]["id"]


async def bill_balances(now: dt.datetime | None = None) -> int:
    """For each confirmed booking past its freeze date: price × actual students − deposit, once. Returns lines made.

    Runs every minute from the worker, so it reads all it needs in three queries, not one per booking.
    """
    now = now or utc_now()
    today = now.astimezone(LOCAL_TZ).date()
    made = 0
    bookings = await Booking.select(
        Booking.id,
        Booking.boys,
        Booking.girls,
        Booking.week.starts_on.as_alias("starts_on"),
        Booking.season.freeze_days.as_alias("freeze_days"),
        Booking.season.price_per_student_cents.as_alias("price"),
    ).where(Booking.status == "confirmed")
    due = [b for b in bookings if today >= b["starts_on"] - dt.timedelta(days=b["freeze_days"])]
    if not due:
        return 0  # the usual minute: nothing to bill, so no write lock is taken
    async with write_transaction():
        # Numbers are frozen for these bookings; re-read the charges under the lock so a line is made once.
        charges = await BookingCharge.select(
            BookingCharge.booking, BookingCharge.kind, BookingCharge.amount_cents, BookingCharge.status
        ).where(BookingCharge.booking.is_in([b["id"] for b in due]))
        billed = {c["booking"] for c in charges if c["kind"] == "balance"}
        deposits: dict[int, int] = {}
        for charge in charges:
            if charge["kind"] == "deposit" and charge["status"] != "cancelled":
                deposits[charge["booking"]] = deposits.get(charge["booking"], 0) + charge["amount_cents"]
        for booking in due:
            if booking["id"] in billed:
                continue
            students = booking["boys"] + booking["girls"]
            await BookingCharge.insert(
                BookingCharge(
                    booking=booking["id"],
                    kind="balance",
                    students=students,
                    amount_cents=max(0, students * booking["price"] - deposits.get(booking["id"], 0)),
                    due_on=booking["starts_on"],
                )
            )
            made += 1
        # Scholarships awarded for these bookings are settled on the same actual numbers (slypark.scholarships).
        await bill_scholarships([b["id"] for b in due], now)
    return made


async def charges_of(booking_id: int) -> list[dict]:
    return await BookingCharge.select().where(BookingCharge.booking == booking_id).order_by(BookingCharge.id)
