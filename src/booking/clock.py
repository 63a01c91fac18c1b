"""Time is UTC inside, America/Los_Angeles outside."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Los_Angeles")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def to_local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every datetime must carry a time zone")
    return moment.astimezone(LOCAL_TZ)


def format_local(moment: dt.datetime | None, pattern: str = "%a %b %-d, %Y %-I:%M %p") -> str:
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{local.strftime(pattern)} {local.tzname()}"
