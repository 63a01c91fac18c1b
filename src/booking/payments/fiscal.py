"""Days as finance types them, today in Sacramento, fiscal years as California schools count them.

(Amounts are booking.money's.)
"""

from __future__ import annotations

import datetime as dt

from booking.clock import to_local, utc_now
from booking.errors import InvalidInput
from booking.fields import parse_date

NET_DAYS = 30


def parse_day(value: str | None, field_name: str, *, required: bool = True) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput({field_name: "Enter a date, like 2026-12-01."})
        return None
    return parse_date(text, field_name, message="Enter a date, like 2026-12-01.")


def local_today(now: dt.datetime | None = None) -> dt.date:
    return to_local(now or utc_now()).date()


def fiscal_year_of(day: dt.date) -> str:
    """July 1 – June 30, written 2026-27."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def fiscal_year_bounds(label: str) -> tuple[dt.date, dt.date]:
    start = int(label[:4])
    return dt.date(start, 7, 1), dt.date(start + 1, 6, 30)
