"""Money: amounts are integer cents everywhere, from the typed text to the page, never a float.

`parse_amount` reads what finance types ("1,200.50", "$45") into cents with the messages the forms
show; `format_cents` writes cents for people ("$1,234.50", "-$12.00"; the Jinja filter `money`);
`plain_amount` writes them for a form field or a spreadsheet ("1234.50", "-12.00": what
`parse_amount` reads back, and what a spreadsheet takes for a number).
"""

from __future__ import annotations

import re
from decimal import Decimal

from booking.errors import InvalidInput

MAX_AMOUNT_CENTS = 100_000_000  # $1,000,000: larger is a typing mistake, not a payment
MAX_PRICE_CENTS = 10_000_000  # $100,000: a price above is a typo
DOLLARS = re.compile(r"^([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?$")  # 1200, 1,200, 1200.5, 1,200.50


def cents_of_dollars(text: str) -> int:
    """Text that matches `DOLLARS` -> exact integer cents (through Decimal, never a float)."""
    return int(Decimal(text.replace(",", "")) * 100)


def parse_amount(value: str | None, field_name: str, *, allow_zero: bool = False) -> int:
    """ "1,200.50" or "$45" -> integer cents (never a float); anything else is a clear error."""
    text = (value or "").strip().removeprefix("$").strip()
    if not text:
        raise InvalidInput({field_name: "Enter an amount in dollars, like 1200 or 1,200.50."})
    if text.startswith("-"):
        raise InvalidInput({field_name: "Enter a positive amount."})
    if not DOLLARS.fullmatch(text):
        raise InvalidInput({field_name: "Enter an amount in dollars and cents, like 1200 or 1,200.50."})
    cents = cents_of_dollars(text)
    if cents == 0 and not allow_zero:
        raise InvalidInput({field_name: "Enter an amount above $0."})
    if cents > MAX_AMOUNT_CENTS:
        raise InvalidInput({field_name: "That is more than $1,000,000. Check the amount."})
    return cents


def parse_price(value: str | None, field_name: str, *, blank: int | None = None) -> int | None:
    """ "45", "45.5", "$1,200.00" -> exact integer cents; "" -> `blank`. Never a float."""
    text = (value or "").strip()
    if text.startswith("$"):
        text = text[1:].strip()
    if text == "":
        return blank
    if text.startswith("-"):
        raise InvalidInput({field_name: "A price cannot be negative. Enter 0 for a free workshop."})
    if re.fullmatch(r"[0-9,]*\.[0-9]{3,}", text):
        raise InvalidInput({field_name: "Use at most two decimal places (dollars and cents, like 45.50)."})
    if not DOLLARS.fullmatch(text):
        raise InvalidInput({field_name: "Enter an amount in dollars, like 45 or 45.50."})
    cents = cents_of_dollars(text)
    if cents > MAX_PRICE_CENTS:
        raise InvalidInput({field_name: "Enter a price from $0 to $100,000."})
    return cents


def _split(cents: int) -> tuple[str, int, int]:
    return ("-" if cents < 0 else ""), abs(cents) // 100, abs(cents) % 100


def format_cents(cents: int | None, *, symbol: str = "$") -> str:
    """1234.5 dollars as people read it: "$1,234.50", "-$1,234.50"; None -> "" (nothing to show)."""
    if cents is None:
        return ""
    sign, dollars, rest = _split(cents)
    return f"{sign}{symbol}{dollars:,}.{rest:02d}"


def plain_amount(cents: int | None) -> str:
    """For a form field or a CSV cell: "1234.50", "-1234.50", "0.05"; None -> ""."""
    if cents is None:
        return ""
    sign, dollars, rest = _split(cents)
    return f"{sign}{dollars}.{rest:02d}"
