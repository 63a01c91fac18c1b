"""Private links to the family health form: one per student of a booking, no account needed.

The coordinator (or staff) makes the links from the booking's student list; each opens the form for one
student. The token is HMAC-SHA256(BOOKING_SECRET_KEY, "family-form:<link id>:<nonce>") after the link's id,
so the coordinator's page can show and print it again, while the database alone cannot make a working
link. A link dies when the week is over (expires_at, judged when it is used) or when it is reissued: the
old row is marked replaced, so its link says "replaced" (410) rather than "unknown" (404).

Links are keyed by the student's name (first and last, casefolded), not by the student row: saving the
student grid replaces its rows, and the family's link and form must survive that.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.users import validate_email
from booking.audit.trail import record_by
from booking.clock import LOCAL_TZ, utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.i18n import long_date, translation_context
from booking.notifications.outbox import enqueue_email
from booking.settings import current_settings
from booking.slypark.bookings import BOOKING_COLUMNS
from booking.slypark.intake import booking_with_students
from booking.slypark.tables import Booking, FamilyForm, FamilyLink, Student

OPEN_STATUSES = ("offered", "confirmed")
TOKEN_PATTERN = re.compile(r"^([0-9]{1,12})-([A-Za-z0-9_-]{32})$")
MAX_REMINDERS = 20


class LinkGone(Exception):
    """The link was real but can no longer be used: `reason` is "expired" or "replaced" (HTTP 410)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def student_key(first_name: str, last_name: str) -> str:
    return " ".join(f"{first_name} {last_name}".split()).casefold()


def token_for(link_id: int, nonce: str) -> str:
    digest = hmac.new(
        current_settings().secret_key.encode(), f"family-form:{link_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return f"{link_id}-{base64.urlsafe_b64encode(digest).decode()[:32]}"


def link_path(link: dict) -> str:
    return f"/families/{token_for(link['id'], link['nonce'])}"


def link_url(link: dict) -> str:
    return current_settings().base_url + link_path(link)


def week_end(ends_on: dt.date) -> dt.datetime:
    """The link works through the last day of the week (local time)."""
    return dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(0, 0), tzinfo=LOCAL_TZ).astimezone(
        dt.timezone.utc
    )


async def link_for_token(token: str, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """(link, booking) for a working token. NotFound for a token that matches nothing (or was tampered with);
    LinkGone for one that was replaced or whose week is over, or whose booking was released or cancelled."""
    match = TOKEN_PATTERN.match(token or "")
    if not match:
        raise NotFound("This link does not match a form.")
    link = await FamilyLink.select().where(FamilyLink.id == int(match.group(1))).first()
    if link is None or not hmac.compare_digest(token_for(link["id"], link["nonce"]), token):
        raise NotFound("This link does not match a form.")
    if link["replaced_at"] is not None:
        raise LinkGone("replaced")
    booking = await Booking.select(*BOOKING_COLUMNS).where(Booking.id == link["booking"]).first()
    if (now or utc_now()) >= link["expires_at"] or booking["status"] not in OPEN_STATUSES:
        raise LinkGone("expired")
    return link, booking


@dataclass
class FamilyRow:
    """One student of the booking, their link, and their family's latest form (if any)."""

    first_name: str
    last_name: str
    gender: str
    key: str
    link: dict | None
    url: str
    latest: dict | None  # version, submitted_at, language, gender (no medical data)

    @property
    def path(self) -> str:
        return self.url.removeprefix(current_settings().base_url)

    @property
    def gender_differs(self) -> bool:
        return bool(self.latest and self.gender and self.latest["gender"] != self.gender)


@dataclass
class FamilyLinks:
    booking: dict
    rows: list[FamilyRow]

    @property
    def received(self) -> int:
        return sum(1 for row in self.rows if row.latest)


async def live_links(booking_id: int) -> dict[str, dict]:
    rows = await FamilyLink.select().where((FamilyLink.booking == booking_id) & FamilyLink.replaced_at.is_null())
    return {row["student_key"]: row for row in rows}


async def latest_versions(booking_ids: list[int]) -> dict[tuple[int, str], dict]:
    """(booking, student key) → the latest submission's bookkeeping (no medical data)."""
    if not booking_ids:
        return {}
    rows = (
        await FamilyForm.select(
            FamilyForm.booking,
            FamilyForm.student_key,
            FamilyForm.version,
            FamilyForm.submitted_at,
            FamilyForm.language,
            FamilyForm.gender,
        )
        .where(FamilyForm.booking.is_in(booking_ids))
        .order_by(FamilyForm.version)
    )
    return {(row["booking"], row["student_key"]): row for row in rows}


async def links_of(actor: Actor, booking_id: int) -> FamilyLinks:
    """The coordinator's (or staff's) list: every student, their link, and whether the form is in.
    Shows no medical data, so it is not an audited view."""
    booking = await booking_with_students(actor, booking_id)
    students = (
        await Student.select(Student.first_name, Student.last_name, Student.gender)
        .where(Student.booking == booking_id)
        .order_by(Student.last_name)
        .order_by(Student.first_name)
        .order_by(Student.id)
    )
    links = await live_links(booking_id)
    latest = await latest_versions([booking_id])
    rows = []
    for student in students:
        key = student_key(student["first_name"], student["last_name"])
        link = links.get(key)
        rows.append(
            FamilyRow(
                student["first_name"],
                student["last_name"],
                student["gender"],
                key,
                link,
                link_url(link) if link else "",
                latest.get((booking_id, key)),
            )
        )
    return FamilyLinks(booking, rows)


def _check_open(booking: dict) -> None:
    if booking["status"] not in OPEN_STATUSES:
        raise Conflict("This booking is no longer active: it takes no family forms.", code="booking_closed")


async def _new_link(booking: dict, first_name: str, last_name: str, now: dt.datetime) -> None:
    await FamilyLink.insert(
        FamilyLink(
            booking=booking["id"],
            student_key=student_key(first_name, last_name),
            first_name=first_name,
            last_name=last_name,
            nonce=secrets.token_hex(16),
            expires_at=week_end(booking["ends_on"]),
            issued_at=now,
        )
    )


async def issue_links(actor: Actor, booking_id: int, now: dt.datetime | None = None) -> int:
    """A link for every student of the list who has none yet; returns how many were made."""
    now = now or utc_now()
    async with write_transaction():
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await booking_with_students(actor, booking_id)
        _check_open(booking)
        links = await live_links(booking_id)
        students = await Student.select(Student.first_name, Student.last_name).where(Student.booking == booking_id)
        made = 0
        for student in students:
            key = student_key(student["first_name"], student["last_name"])
            if key not in links:
                await _new_link(booking, student["first_name"], student["last_name"], now)
                links[key] = {}
                made += 1
        if made:
            await record_by(
                actor,
                "family_links.issued",
                subject=f"Sly Park booking {booking_id}",
                district_id=booking["district"],
                detail={"links": made},
            )
    return made


async def _live_link(booking_id: int, key: str) -> dict:
    link = (
        await FamilyLink.select()
        .where((FamilyLink.booking == booking_id) & (FamilyLink.student_key == key) & FamilyLink.replaced_at.is_null())
        .first()
    )
    if link is None:
        raise NotFound("This student has no family link yet.")
    return link


async def reissue_link(actor: Actor, booking_id: int, key: str, now: dt.datetime | None = None) -> None:
    """A new link for one student; the old one stops working at once. The forms already in are kept."""
    now = now or utc_now()
    async with write_transaction():
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await booking_with_students(actor, booking_id)
        _check_open(booking)
        old = await _live_link(booking_id, key)
        await FamilyLink.update({FamilyLink.replaced_at: now}).where(FamilyLink.id == old["id"])
        await _new_link(booking, old["first_name"], old["last_name"], now)
        await record_by(
            actor,
            "family_link.reissued",
            subject=f"Sly Park booking {booking_id}",
            district_id=booking["district"],
            detail={"link": old["id"]},
        )


def check_email(value: str) -> str:
    return validate_email(value, "email")


async def send_reminder(actor: Actor, booking_id: int, key: str, email: str, now: dt.datetime | None = None) -> None:
    """Email the family their link (English and Spanish), through the outbox. The address is the one the school
    has for the family; it is used once and not stored (families have no accounts here)."""
    now = now or utc_now()
    address = check_email(email)
    async with write_transaction():
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await booking_with_students(actor, booking_id)
        _check_open(booking)
        link = await _live_link(booking_id, key)
        if now >= link["expires_at"]:
            raise Conflict("This link has expired: the week is over.", code="link_expired")
        if link["reminders"] >= MAX_REMINDERS:
            raise InvalidInput({"email": f"This family has already had {MAX_REMINDERS} reminders."})
        await FamilyLink.update({FamilyLink.reminded_at: now, FamilyLink.reminders: FamilyLink.reminders + 1}).where(
            FamilyLink.id == link["id"]
        )
        await enqueue_email(
            address,
            "family_form_reminder",
            {
                "booking": booking,
                "student": f"{link['first_name']} {link['last_name']}",
                "url": link_url(link),
                "expires_on": (link["expires_at"].astimezone(LOCAL_TZ) - dt.timedelta(days=1)).date(),
                "es_": translation_context("es")["gettext"],
                "es_date": lambda day: long_date(day, "es"),
            },
        )
