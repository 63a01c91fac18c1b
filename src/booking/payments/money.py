"""Amounts as finance types them, fiscal years as California schools count them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from booking.clock import to_local, utc_now
from booking.errors import InvalidInput
from booking.fields import parse_date

MAX_AMOUNT_CENTS = 100_000_000  # $1,000,000: larger is a typing mistake, not a payment
_DOLLARS = re.compile(r"^([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?$")
NET_DAYS = 30


def parse_amount(value: str | None, field_name: str, *, allow_zero: bool = False) -> int:
    """"1,200.50" or "$45" -> integer cents (never a float); anything else is a clear error."""
    text = (value or "").strip().removeprefix("$").strip()
    if not text:
        raise InvalidInput({field_name: "Enter an amount in dollars, like 1200 or 1,200.50."})
    if text.startswith("-"):
        raise InvalidInput({field_name: "Enter a positive amount."})
    if not _DOLLARS.fullmatch(text):
        raise InvalidInput({field_name: "Enter an amount in dollars and cents, like 1200 or 1,200.50."})
    cents = int(Decimal(text.replace(",", "")) * 100)
    if cents == 0 and not allow_zero:
        raise InvalidInput({field_name: "Enter an amount above $0."})
    if cents > MAX_AMOUNT_CENTS:
        raise InvalidInput({field_name: "That is more than $1,000,000. Check the amount."})
    return cents


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
