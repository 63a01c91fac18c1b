"""Attempt limits kept in the database, so every app server shares them."""

from __future__ import annotations

import datetime as dt

from booking.accounts.tables import RateLimitHit
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import RateLimited


async def hit(bucket: str, key: str, *, limit: int, window: dt.timedelta) -> None:
    """Record one attempt; raise RateLimited when `key` has used up `limit` in `window`.

    Runs in its own committed transaction so a refused attempt still counts.
    """
    now = utc_now()
    async with write_transaction():
        recent = await RateLimitHit.count().where(
            (RateLimitHit.bucket == bucket) & (RateLimitHit.key == key) & (RateLimitHit.at > now - window)
        )
        if recent >= limit:
            minutes = max(1, int(window.total_seconds() // 60))
            raise RateLimited(f"Too many attempts. Please wait up to {minutes} minutes and try again.")
        await RateLimitHit.insert(RateLimitHit(bucket=bucket, key=key, at=now))
        # Old hits are useless; prune a little on every write instead of a cron job.
        await RateLimitHit.delete().where(RateLimitHit.at < now - dt.timedelta(days=1))
