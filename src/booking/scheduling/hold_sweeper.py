"""The worker's pass over lapsed holds: seats held for a payment, an approval or a waiting-list offer.

Correctness never waits for this (an expired hold already counts as a free seat when anyone
registers); the sweep records the ending, tells the person, and gives the seat to the next person
waiting without waiting for someone else to register or cancel first.
"""

from __future__ import annotations

import datetime as dt

from booking.clock import utc_now
from booking.db import write_transaction
from booking.scheduling.registration_lifecycle import HOLD_STATUSES
from booking.scheduling.tables import Registration
from booking.scheduling.waitlist import lock_offering, promote_waitlist


async def sweep_expired_holds(now: dt.datetime | None = None) -> int:
    """Release every lapsed hold, one offering per transaction; returns how many offerings were swept."""
    now = now or utc_now()
    rows = (
        await Registration.select(Registration.offering)
        .where(Registration.status.is_in(list(HOLD_STATUSES)) & (Registration.hold_expires_at <= now))
        .distinct()
    )
    for row in rows:
        async with write_transaction():
            offering = await lock_offering(row["offering"])
            await promote_waitlist(offering, now)
    return len(rows)
