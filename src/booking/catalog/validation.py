"""Checks shared by everything that creates or edits offerings and sessions."""

from __future__ import annotations

import datetime as dt

from booking import fields
from booking.catalog.schemas import OfferingCreate, SessionIn
from booking.catalog.tables import ATTENDANCE_RULES, AUDIENCES, FORMATS, GRADE_BANDS, OFFERING_KINDS, OFFERING_STATUSES
from booking.clock import LOCAL_TZ
from booking.errors import InvalidInput, collect_field_errors
from booking.money import MAX_PRICE_CENTS

MAX_CAPACITY = 10_000
MAX_SESSION_LENGTH = dt.timedelta(hours=14)
# A year-long cohort meets a few dozen times; a list of thousands of sessions is a mistake (and
# would be one huge insert).
MAX_SESSIONS = 400


# One session: the API's session Struct is what the use cases take.
SessionInput = SessionIn


class OfferingInput(OfferingCreate):
    """What the use cases take to create or change an offering: the API's fields (OfferingCreate), and what only
    the staff pages and cohort setup set."""

    program_id: int | None = None
    attendance_rule: str = "all_sessions"
    min_attendance_hours: str = "0"
    facilitator_ids: list[int] = []  # staff people facilitating (OfferingFacilitator)


def hours_to_tenths(value: str | int | float, field_name: str) -> int:
    """ "6", "1.5" -> tenths of an hour (15). "NaN", "Infinity", "1e3" and "١٫٥" are refused, never crash."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value <= 500:
        raise InvalidInput({field_name: "Enter between 0 and 500 hours."})
    text = str(value).strip() if isinstance(value, (str, int, float)) else ""
    if text and not fields.is_plain_number(text):
        raise InvalidInput({field_name: "Enter hours as a number, like 6 or 1.5."})
    if text.startswith("-"):
        raise InvalidInput({field_name: "Enter between 0 and 500 hours."})
    hours = fields.parse_decimal(
        text, field_name, minimum=0, maximum=500, places=1, blank="0", message="Enter between 0 and 500 hours."
    )
    return int(hours * 10)


def check_session(session: SessionInput, prefix: str = "sessions") -> None:
    for name in ("starts_at", "ends_at"):
        value = getattr(session, name)
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise InvalidInput({f"{prefix}.{name}": "Give a date and time with its UTC offset."})
        fields.check_moment(value, f"{prefix}.{name}")  # within the years sessions happen, before any arithmetic
    if session.ends_at <= session.starts_at:
        raise InvalidInput({f"{prefix}.ends_at": "A session must end after it starts."})
    if session.ends_at - session.starts_at > MAX_SESSION_LENGTH:
        raise InvalidInput({f"{prefix}.ends_at": "A session can last at most 14 hours; add one session per day."})
    if session.online_url and not session.online_url.startswith(("https://", "http://")):
        raise InvalidInput({f"{prefix}.online_url": "Give the full meeting link, starting with https://."})
    if len(session.online_url) > 500 or len(session.location_note) > 300:
        raise InvalidInput({f"{prefix}.location_note": "The location is too long."})


def check_offering(data: OfferingInput, *, has_sessions: bool = False) -> dict[str, object]:
    """Validate everything at once and return the normalised column values.

    `has_sessions`: the offering already has scheduled sessions (editing), so it may be
    published without new ones in `data.sessions`.
    """
    errors: dict[str, str] = {}
    title = " ".join((data.title or "").split())
    if not title:
        errors["title"] = "Give the workshop a title."
    elif len(title) > 200:
        errors["title"] = "Use at most 200 characters."
    if data.kind not in OFFERING_KINDS:
        errors["kind"] = f"Choose one of: {', '.join(OFFERING_KINDS)}."
    if data.status not in OFFERING_STATUSES:
        errors["status"] = f"Choose one of: {', '.join(OFFERING_STATUSES)}."
    if not isinstance(data.capacity, int) or isinstance(data.capacity, bool) or not 1 <= data.capacity <= MAX_CAPACITY:
        errors["capacity"] = f"Capacity must be a whole number from 1 to {MAX_CAPACITY:,}."
    for name in ("price_cents", "nonmember_price_cents"):
        value = getattr(data, name)
        if value is None and name == "nonmember_price_cents":
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRICE_CENTS:
            errors[name] = "Enter a price from $0 to $100,000."
    if data.format not in FORMATS:
        errors["format"] = "Choose in person, virtual or hybrid."
    if data.grade_band and data.grade_band not in GRADE_BANDS:
        errors["grade_band"] = f"Choose one of: {', '.join(GRADE_BANDS)}."
    unknown = [a for a in data.audiences if a not in AUDIENCES]
    if unknown:
        errors["audiences"] = f"Unknown audience: {', '.join(unknown)}."
    if data.attendance_rule not in ATTENDANCE_RULES:
        errors["attendance_rule"] = "Choose all sessions or a minimum of hours."
    if len(data.description_md) > 20_000:
        errors["description_md"] = "The description is too long (20,000 characters at most)."
    if len(data.subject) > 100:
        errors["subject"] = "Use at most 100 characters."
    if len(data.facilitators) > 500:
        errors["facilitators"] = "Use at most 500 characters."
    pd_tenths = min_tenths = 0
    try:
        pd_tenths = hours_to_tenths(data.pd_hours, "pd_hours")
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        min_tenths = hours_to_tenths(data.min_attendance_hours, "min_attendance_hours")
    except InvalidInput as error:
        errors.update(error.field_errors)
    for name in ("registration_opens_at", "registration_closes_at", "cancellation_deadline"):
        value = getattr(data, name)
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            errors[name] = "Give a date and time with its UTC offset."
        elif value is not None:
            collect_field_errors(errors, fields.check_moment, value, name)
    if (
        "registration_opens_at" not in errors
        and "registration_closes_at" not in errors
        and data.registration_opens_at
        and data.registration_closes_at
        and data.registration_closes_at <= data.registration_opens_at
    ):
        errors["registration_closes_at"] = "Registration must close after it opens."
    if data.status == "published" and not data.sessions and not has_sessions:
        errors["sessions"] = "A published workshop needs at least one session."
    if len(data.sessions) > MAX_SESSIONS:
        errors["sessions"] = f"An offering can have at most {MAX_SESSIONS} sessions."
    for index, session in enumerate(data.sessions[:MAX_SESSIONS]):
        try:
            check_session(session, prefix=f"sessions[{index}]")
        except InvalidInput as error:
            errors.update(error.field_errors)
    if errors:
        raise InvalidInput(errors)
    return {
        "kind": data.kind,
        "title": title,
        "description_md": data.description_md.strip(),
        "format": data.format,
        "pd_hours_tenths": pd_tenths,
        "capacity": data.capacity,
        "price_cents": data.price_cents,
        "nonmember_price_cents": data.nonmember_price_cents,
        "registration_opens_at": data.registration_opens_at,
        "registration_closes_at": data.registration_closes_at,
        "cancellation_deadline": data.cancellation_deadline,
        "status": data.status,
        "attendance_rule": data.attendance_rule,
        "min_attendance_tenths": min_tenths,
        "facilitators": " ".join(data.facilitators.split()),
    }


def encode_audiences(audiences: list[str]) -> str:
    return "," + ",".join(sorted(set(audiences))) + "," if audiences else ""


def decode_audiences(stored: str) -> list[str]:
    return [a for a in (stored or "").split(",") if a]


# --- Input as people type it (staff forms): local date/times (dollars: booking.money.parse_price) ---

# The typed parsers live in booking.fields (the one place text becomes dates and times); these
# names are kept for the staff forms that call them.
local_to_utc = fields.local_to_utc
parse_local_datetime = fields.parse_local_datetime
parse_local_time = fields.parse_time


def parse_local_date(value: str | None, field_name: str) -> dt.date:
    return fields.parse_date(value, field_name)


def shift_local_days(moment: dt.datetime, days: int) -> dt.datetime:
    """Move a UTC moment by whole days keeping its Sacramento wall-clock time (9:00 stays 9:00
    across a daylight-saving change; the UTC hour moves instead)."""
    local = moment.astimezone(LOCAL_TZ).replace(tzinfo=None) + dt.timedelta(days=days)
    return local.replace(tzinfo=LOCAL_TZ, fold=0).astimezone(dt.timezone.utc)
