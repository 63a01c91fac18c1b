"""Door codes: the signed, time-boxed part of a session's check-in address.

A code is `<step>.<mac>` where mac = HMAC-SHA256(BOOKING_SECRET_KEY, "door:<session id>:<step>"),
cut to 128 bits. Nothing is stored: the server recomputes the mac to check a code.

- The staff screen at the door shows a code of the current five-minute step; a code of the current
  or the previous step is accepted, so one scanned at the end of a step still works while the person
  signs in, and a photo sent home stops working within ten minutes.
- The printed sign-in sheet cannot change, so its code uses step "p" (printed) and is accepted for the
  whole check-in window of its session. Paper stays in the room; the window (30 minutes before the
  start to the end) bounds what a photo of it can do, and staff who want more use the screen.
Rotating BOOKING_SECRET_KEY retires every code at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import re

import segno

from booking.settings import current_settings

STEP_SECONDS = 300
PRINTED_STEP = "p"
OPENS_BEFORE_START = dt.timedelta(minutes=30)
CODE_PATTERN = re.compile(r"^(\d{1,12}|p)\.([A-Za-z0-9_-]{22})$")


def current_step(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _mac(session_id: int, step: str) -> str:
    digest = hmac.new(
        current_settings().secret_key.encode(), f"door:{session_id}:{step}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def screen_code(session_id: int, now: dt.datetime) -> str:
    step = str(current_step(now))
    return f"{step}.{_mac(session_id, step)}"


def printed_code(session_id: int) -> str:
    return f"{PRINTED_STEP}.{_mac(session_id, PRINTED_STEP)}"


def code_problem(session_id: int, code: str, now: dt.datetime) -> str | None:
    """None for a good code; else "invalid" (not made by us, or for another session) or "expired"."""
    match = CODE_PATTERN.match(code or "")
    if match is None:
        return "invalid"
    step, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(session_id, step)):
        return "invalid"
    if step != PRINTED_STEP and int(step) not in (current_step(now), current_step(now) - 1):
        return "expired"
    return None


def window_of(session: dict) -> tuple[dt.datetime, dt.datetime]:
    """When people can check themselves in: from 30 minutes before the start to the end."""
    return session["starts_at"] - OPENS_BEFORE_START, session["ends_at"]


def check_in_path(session_id: int, code: str) -> str:
    return f"/check-in/{session_id}/{code}"


def check_in_url(session_id: int, code: str) -> str:
    return current_settings().base_url.rstrip("/") + check_in_path(session_id, code)


def qr_svg(url: str) -> str:
    """An inline SVG (no XML declaration), black on white, sized by CSS."""
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        scale=1,
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        title="Check-in code",
        dark="#000",
        light="#fff",
    )
    return out.getvalue().decode()


def qr_png_data_uri(url: str, scale: int = 6) -> str:
    """For the PDF sheet: xhtml2pdf draws PNG images, not inline SVG."""
    return segno.make(url, error="m").png_data_uri(scale=scale, border=4)
