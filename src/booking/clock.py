"""Time is UTC inside, America/Los_Angeles outside."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Los_Angeles")

# Zero in the app. Tests that let holds and offers lapse move every use case's clock forward at once
# (advance_clock_for_tests) instead of passing `now` through layers that do not take it.
_offset = dt.timedelta(0)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + _offset


def advance_clock_for_tests(delta: dt.timedelta) -> None:
    global _offset
    _offset += delta


def reset_clock_for_tests() -> None:
    global _offset
    _offset = dt.timedelta(0)


def to_local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every datetime must carry a time zone")
    return moment.astimezone(LOCAL_TZ)


def format_local(moment: dt.datetime | None, pattern: str = "%a %b %-d, %Y %-I:%M %p") -> str:
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{local.strftime(pattern)} {local.tzname()}"
