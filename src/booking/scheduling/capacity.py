"""Seats taken = confirmed registrations + holds that have not expired (judged now, not by a sweeper)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.clock import utc_now
from booking.scheduling.registration_lifecycle import HOLD_STATUSES
from booking.scheduling.tables import Registration


@dataclass(frozen=True)
class SeatCounts:
    capacity: int
    confirmed: int
    held: int
    waitlisted: int

    @property
    def taken(self) -> int:
        return self.confirmed + self.held

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.taken)


_COUNTS_SQL = (
    "SELECT offering, "
    "SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed, "
    "SUM(CASE WHEN status IN ('offered', 'pending_payment', 'pending_approval') AND hold_expires_at > {} THEN 1 ELSE 0 END) AS held, "
    "SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END) AS waitlisted "
    "FROM registration WHERE offering IN ({ids}) GROUP BY offering"
)


async def seat_counts(offerings: list[dict], now: dt.datetime | None = None) -> dict[int, SeatCounts]:
    """Counts for many offerings in one query. `offerings` need `id` and `capacity`."""
    if not offerings:
        return {}
    now = now or utc_now()
    ids = [o["id"] for o in offerings]
    sql = _COUNTS_SQL.replace("{ids}", ", ".join("{}" for _ in ids))
    rows = {row["offering"]: row for row in await Registration.raw(sql, now, *ids)}
    result = {}
    for offering in offerings:
        row = rows.get(offering["id"], {})
        result[offering["id"]] = SeatCounts(
            capacity=offering["capacity"],
            confirmed=int(row.get("confirmed") or 0),
            held=int(row.get("held") or 0),
            waitlisted=int(row.get("waitlisted") or 0),
        )
    return result


async def seat_counts_for(offering: dict, now: dt.datetime | None = None) -> SeatCounts:
    return (await seat_counts([offering], now))[offering["id"]]


def hold_is_live(registration: dict, now: dt.datetime) -> bool:
    return registration["status"] in HOLD_STATUSES and registration["hold_expires_at"] is not None and registration["hold_expires_at"] > now
