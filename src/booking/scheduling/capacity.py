"""Seats taken = confirmed registrations + holds that have not expired (judged now, not by a sweeper)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from booking.clock import utc_now
from booking.db import fetch_sql
from booking.scheduling.registration_lifecycle import HOLD_STATUSES


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
    rows = {row["offering"]: row for row in await fetch_sql(sql, now, *ids)}
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


def hold_is_live(registration: Mapping[str, Any], now: dt.datetime) -> bool:
    """`registration`: any row with the registration's status and hold_expires_at."""
    return (
        registration["status"] in HOLD_STATUSES
        and registration["hold_expires_at"] is not None
        and registration["hold_expires_at"] > now
    )


@dataclass(frozen=True)
class SeatSituation:
    """What deciding one person's seat needs, read in one query under the offering's lock."""

    counts: SeatCounts
    expired_holds: int  # holds that ran out and are not yet recorded as ended
    last_waitlist_rank: int | None
    already_registered: bool  # the person has a live registration here


_SITUATION_SQL = (
    "SELECT "
    "SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS confirmed, "
    "SUM(CASE WHEN status IN ('offered', 'pending_payment', 'pending_approval') AND hold_expires_at > {} THEN 1 ELSE 0 END) AS held, "
    "SUM(CASE WHEN status IN ('offered', 'pending_payment', 'pending_approval') AND hold_expires_at <= {} THEN 1 ELSE 0 END) AS expired, "
    "SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END) AS waitlisted, "
    "MAX(CASE WHEN status = 'waitlisted' THEN waitlist_rank END) AS last_rank, "
    "SUM(CASE WHEN attendee = {} AND status <> 'cancelled' THEN 1 ELSE 0 END) AS theirs "
    "FROM registration WHERE offering = {}"
)


async def seat_situation(offering: dict, attendee_id: int, now: dt.datetime) -> SeatSituation:
    """Seat counts, expired holds, the end of the waiting list and whether the person is already registered."""
    [row] = await fetch_sql(_SITUATION_SQL, now, now, attendee_id, offering["id"])
    return SeatSituation(
        counts=SeatCounts(
            capacity=offering["capacity"],
            confirmed=int(row["confirmed"] or 0),
            held=int(row["held"] or 0),
            waitlisted=int(row["waitlisted"] or 0),
        ),
        expired_holds=int(row["expired"] or 0),
        last_waitlist_rank=None if row["last_rank"] is None else int(row["last_rank"]),
        already_registered=bool(row["theirs"]),
    )
