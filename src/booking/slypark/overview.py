"""What the staff season pages read: seasons with their counts, occupancy by week, allocation runs."""

from __future__ import annotations

from booking.clock import utc_now
from booking.db import json_column
from booking.errors import NotFound
from booking.slypark import seasons
from booking.slypark.beds import bed_use, holds_beds
from booking.slypark.tables import AllocationRun, Booking, Season, Week, WeekRequest


async def season_rows() -> list[dict]:
    rows = await Season.select().order_by(Season.created_at, ascending=False)
    for row in rows:
        weeks = await Week.select(Week.closed).where(Week.season == row["id"])
        row["weeks"], row["open_weeks"] = len(weeks), sum(1 for w in weeks if not w["closed"])
        row["requests"] = await WeekRequest.count().where(
            (WeekRequest.season == row["id"]) & (WeekRequest.status != "withdrawn")
        )
        row["bookings"] = await Booking.count().where((Booking.season == row["id"]) & (Booking.status == "confirmed"))
    return rows


async def occupancy(season_id: int) -> list[dict]:
    now = utc_now()
    weeks = await seasons.weeks_of(season_id)
    use = await bed_use([w["id"] for w in weeks], now)
    held = await Booking.select(Booking.week, Booking.status, Booking.offer_expires_at).where(
        (Booking.season == season_id) & Booking.status.is_in(["offered", "confirmed"])
    )
    for week in weeks:
        week["use"] = use[week["id"]]
        week["bookings"] = sum(1 for b in held if b["week"] == week["id"] and holds_beds(b, now))
    return weeks


async def run_rows(season_id: int) -> list[dict]:
    rows = (
        await AllocationRun.select(
            AllocationRun.id,
            AllocationRun.run_at,
            AllocationRun.status,
            AllocationRun.solve_ms,
            AllocationRun.summary,
            AllocationRun.published_at,
        )
        .where(AllocationRun.season == season_id)
        .order_by(AllocationRun.id, ascending=False)
    )
    for row in rows:
        row["summary"] = json_column(row["summary"])
    return rows


async def require_week_in_season(season_id: int, week_id: int) -> None:
    if not await Week.exists().where((Week.id == week_id) & (Week.season == season_id)):
        raise NotFound("No such week in this season.")


async def latest_run_id(season_id: int) -> dict | None:
    """The newest run of the season (only its id), or None."""
    return (
        await AllocationRun.select(AllocationRun.id)
        .where(AllocationRun.season == season_id)
        .order_by(AllocationRun.id, ascending=False)
        .first()
    )
