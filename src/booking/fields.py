"""Typed field parsers: the one place where text from outside becomes text, numbers, dates and times.

Every form, query string and JSON body is first checked once by the web layer's input boundary
(`booking.web.input_boundary`: no NUL or other control characters, sizes and depths bounded);
handlers and use cases then turn the text of one field into a typed value here, and every
parser raises `InvalidInput` naming the field, never a ValueError, OverflowError or
decimal.InvalidOperation that would be a 500:

* numbers come from ASCII digits only (`int()` and `str.isdigit()` accept "²", "١٢" and "1_000");
* decimals are plain and finite ("NaN", "Infinity" and "1e999" are refused before Decimal sees them);
* dates and datetimes lie within a range that makes sense for the field, and always within one
  both engines store and Python can convert between time zones (years 1..9999 after the move
  to UTC): a date is refused with a message, never overflowed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from booking.clock import LOCAL_TZ
from booking.errors import InvalidInput

# --- Text -------------------------------------------------------------------------------------

# C0 controls other than tab, newline and carriage return, DEL, the C1 controls, and lone
# surrogates (a JSON "\ud800" escape decodes to one; no database can store it).
_FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def _character_label(char: str) -> str:
    if char == "\x00":
        return "NUL character"
    if "\ud800" <= char <= "\udfff":
        return "broken character"
    if char in "\t\n\r":
        return "line break" if char != "\t" else "tab"
    return "control character"


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """Why `value` cannot be accepted as text, or None. Tab, newline and carriage return are
    allowed in multi-line text (a textarea sends CR LF) and refused in single-line text."""
    found = _FORBIDDEN_IN_TEXT.search(value) or (None if multiline else _LINE_BREAKS.search(value))
    if found is None:
        return None
    char = found.group(0)
    return f"Remove the {_character_label(char)} (U+{ord(char):04X}): it cannot be stored here."


# --- Numbers ----------------------------------------------------------------------------------

_ASCII_UNSIGNED = re.compile(r"[0-9]+")
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
_ASCII_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?|-?\.[0-9]+")
MAX_DIGITS = 18  # any integer field fits in 64 bits, whatever is typed


def is_ascii_digits(value: str | None) -> bool:
    """True for "0".."9" only: what `str.isdigit()` should have meant ("²".isdigit() is True)."""
    return isinstance(value, str) and _ASCII_UNSIGNED.fullmatch(value) is not None


def is_plain_number(value: str | None) -> bool:
    """ "12", "-3", "1.5", ".5": a decimal in ASCII digits, without exponent, NaN or Infinity."""
    return isinstance(value, str) and len(value) <= 40 and _ASCII_DECIMAL.fullmatch(value) is not None


_REQUIRED = object()  # parse_int(blank=...) not given: empty text is refused


def parse_int(
    value: str | int | None,
    field: str,
    *,
    minimum: int,
    maximum: int,
    message: str | None = None,
    blank: int | None | object = _REQUIRED,
) -> int | None:
    """A whole number written in ASCII digits, from `minimum` to `maximum`.

    Empty text gives `blank` (by default empty is refused). An int (from JSON) is range-checked."""
    message = message or f"Enter a whole number from {minimum:,} to {maximum:,}."
    if isinstance(value, bool):
        raise InvalidInput({field: message})
    if isinstance(value, int):
        number = value
    else:
        text = (value or "").strip() if isinstance(value, str) or value is None else None
        if text is None:
            raise InvalidInput({field: message})
        if text == "":
            if blank is _REQUIRED:
                raise InvalidInput({field: message})
            return blank  # type: ignore[return-value]  # `blank` is the caller's chosen value for an empty field, of its own type
        pattern = _ASCII_INTEGER if minimum < 0 else _ASCII_UNSIGNED
        if not pattern.fullmatch(text) or len(text.lstrip("-")) > MAX_DIGITS:
            raise InvalidInput({field: message})
        number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidInput({field: message})
    return number


def parse_decimal(
    value: str | int | float | Decimal | None,
    field: str,
    *,
    minimum: Decimal | int,
    maximum: Decimal | int,
    places: int,
    message: str | None = None,
    blank: str | None = None,
) -> Decimal:
    """A plain, finite decimal number ("1.5", not "NaN", "Infinity", "1e3" or "١٫٥"), from `minimum`
    to `maximum`, with at most `places` digits after the point. Empty text means `blank` if given."""
    message = message or f"Enter a number from {minimum} to {maximum}, like 1.5."
    if isinstance(value, bool):
        raise InvalidInput({field: message})
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput({field: message})
        value = repr(value)
    text = str(value if value is not None else "").strip()
    if text == "" and blank is not None:
        text = blank
    if len(text) > 40 or not _ASCII_DECIMAL.fullmatch(text):
        raise InvalidInput({field: message})
    number = Decimal(text)
    if not Decimal(minimum) <= number <= Decimal(maximum):
        raise InvalidInput({field: message})
    if number != number.quantize(Decimal(1).scaleb(-places)):
        words = {0: "a whole number", 1: "at most one decimal place", 2: "at most two decimal places"}
        raise InvalidInput({field: f"Use {words.get(places, f'at most {places} decimal places')}."})
    return number


# --- Dates and times --------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """The dates a field accepts, with the words to say so."""

    earliest: dt.date
    latest: dt.date

    def describe(self) -> str:
        return f"between the years {self.earliest.year} and {self.latest.year}"


# Anything this platform schedules, bills or records (sessions, registration windows, seasons,
# payments, reports): nothing of it happened before 2000 or is planned after 2100.
BUSINESS_DATES = DateRange(dt.date(2000, 1, 1), dt.date(2100, 12, 31))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_LOCAL_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?")
_ISO_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?")


def parse_date(
    value: str | None,
    field: str,
    *,
    within: DateRange = BUSINESS_DATES,
    message: str | None = None,
    required: bool = True,
) -> dt.date | None:
    """ "2027-03-15" -> a date within `within`; empty -> None when not `required`."""
    text = (value or "").strip() if isinstance(value, str) or value is None else ""
    message = message or "Enter a date, like 2027-03-15."
    if not text:
        if required:
            raise InvalidInput({field: message})
        return None
    if not _ISO_DATE.fullmatch(text):
        raise InvalidInput({field: message})
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:  # 2027-02-30
        raise InvalidInput({field: message}) from None
    check_date(day, field, within=within)
    return day


def check_date(day: dt.date, field: str, *, within: DateRange = BUSINESS_DATES) -> dt.date:
    if not within.earliest <= day <= within.latest:
        raise InvalidInput({field: f"Enter a date {within.describe()}."})
    return day


def check_moment(value: dt.datetime | None, field: str, *, within: DateRange = BUSINESS_DATES) -> dt.datetime | None:
    """An aware datetime (from JSON) within `within`, returned in UTC; None stays None.

    The range is checked on the wall-clock date before any conversion, so a value like
    0001-01-01T00:00+14:00 is refused instead of overflowing when moved to UTC."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput({field: "Give a date and time with its UTC offset, like 2027-03-01T09:00:00-08:00."})
    # Checked first on the wall-clock date: within the range, moving to UTC cannot overflow.
    if not within.earliest <= value.date() <= within.latest:
        raise InvalidInput({field: f"Enter a date and time {within.describe()}."})
    utc = value.astimezone(dt.timezone.utc)
    if not within.earliest <= utc.date() <= within.latest:
        raise InvalidInput({field: f"Enter a date and time {within.describe()}."})
    return utc


def local_to_utc(naive: dt.datetime, field: str) -> dt.datetime:
    """A wall-clock time in Sacramento -> UTC. A time skipped by the spring change is refused;
    an ambiguous one in the autumn means its first occurrence (daylight time)."""
    if not dt.date(1, 1, 2) <= naive.date() <= dt.date(9999, 12, 30):
        raise InvalidInput({field: f"Enter a date and time {BUSINESS_DATES.describe()}."})
    aware = naive.replace(tzinfo=LOCAL_TZ, fold=0)
    utc = aware.astimezone(dt.timezone.utc)
    if utc.astimezone(LOCAL_TZ).replace(tzinfo=None) != naive:
        raise InvalidInput(
            {field: "That time does not exist in Sacramento: clocks jump from 2:00 to 3:00 AM that night."}
        )
    return utc


def parse_local_datetime(
    value: str | None, field: str, *, within: DateRange = BUSINESS_DATES, message: str | None = None
) -> dt.datetime | None:
    """ "2027-03-01T09:00" (a datetime-local input, Pacific time) -> an aware UTC datetime; "" -> None."""
    text = (value or "").strip() if isinstance(value, str) or value is None else ""
    if not text:
        return None
    message = message or "Enter a date and time, like 2027-03-01 09:00."
    if not _ISO_LOCAL_DATETIME.fullmatch(text):
        if re.fullmatch(r".*(?:Z|[+-][0-9]{2}:?[0-9]{2})", text):
            raise InvalidInput({field: "Enter the local date and time without a time zone."})
        raise InvalidInput({field: message})
    try:
        naive = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput({field: "That date or time does not exist; check the day, month and hour."}) from None
    if not within.earliest <= naive.date() <= within.latest:
        raise InvalidInput({field: f"Enter a date and time {within.describe()}."})
    return local_to_utc(naive.replace(second=0, microsecond=0), field)


def parse_time(value: str | None, field: str, *, message: str | None = None) -> dt.time:
    """ "09:00" or "13:30" (local, no zone) -> a time."""
    text = (value or "").strip() if isinstance(value, str) or value is None else ""
    message = message or "Enter a time, like 09:00 or 13:30."
    if not _ISO_TIME.fullmatch(text):
        if re.fullmatch(r"[0-9:]+(?:Z|[+-][0-9:]+)", text):
            raise InvalidInput({field: "Enter the local time without a time zone."})
        raise InvalidInput({field: message})
    try:
        parsed = dt.time.fromisoformat(text)
    except ValueError:
        raise InvalidInput({field: message}) from None
    return parsed.replace(second=0, microsecond=0)
