"""An attendee's completed workshops and PD hours; certificates looked up by owner or by code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import sessions_of
from booking.clock import to_local
from booking.errors import NotFound
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.tables import Registration
from booking.settings import current_settings

CODE_PATTERN = re.compile(r"^[A-Z0-9-]{4,40}$")

ENTRY_COLUMNS = (
    Registration.id,
    Registration.offering,
    Registration.attendee,
    Registration.pd_hours_awarded_tenths,
    Registration.completed_at,
    Registration.certificate_code,
    Registration.offering.title.as_alias("title"),
    Registration.offering.facilitators.as_alias("facilitators"),
    Registration.offering.format.as_alias("format"),
    Registration.attendee.name.as_alias("attendee_name"),
    Registration.attendee.email.as_alias("attendee_email"),
    Registration.attendee.district.name.as_alias("district_name"),
)


def _completed():
    return (
        (Registration.status == S.CONFIRMED.value)
        & Registration.completed_at.is_not_null()
        & Registration.certificate_code.is_not_null()
    )


def dates_label(sessions: list[dict]) -> str:
    """ "Tuesday, March 10, 2026" or "March 10 – March 24, 2026 (3 sessions)", in local dates."""
    if not sessions:
        return ""
    first, last = to_local(sessions[0]["starts_at"]).date(), to_local(sessions[-1]["starts_at"]).date()
    if len(sessions) == 1 or first == last:
        return f"{first:%A, %B %-d, %Y}"
    start = f"{first:%B %-d}" if first.year == last.year else f"{first:%B %-d, %Y}"
    return f"{start} – {last:%B %-d, %Y} ({len(sessions)} sessions)"


def verification_url(code: str) -> str:
    return f"{current_settings().base_url}/certificates/{code}"


async def _with_sessions(rows: list[dict]) -> list[dict]:
    sessions = await sessions_of(sorted({r["offering"] for r in rows}))
    by_offering: dict[int, list[dict]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    for row in rows:
        row["sessions"] = by_offering.get(row["offering"], [])
        row["first_starts_at"] = row["sessions"][0]["starts_at"] if row["sessions"] else None
        row["last_starts_at"] = row["sessions"][-1]["starts_at"] if row["sessions"] else None
        row["hours_tenths"] = row["pd_hours_awarded_tenths"] or 0
        row["verification_url"] = verification_url(row["certificate_code"])
        row["dates_label"] = dates_label(row["sessions"])
        row["issued_label"] = f"{to_local(row['completed_at']):%B %-d, %Y}"
    return rows


@dataclass
class Transcript:
    person: dict
    entries: list[dict]

    @property
    def total_tenths(self) -> int:
        return sum(entry["hours_tenths"] for entry in self.entries)


async def transcript_for(actor: Actor) -> Transcript:
    """The actor's own completed workshops, earliest first. Nobody else's, whatever their role."""
    person = (
        await User.select(User.id, User.name, User.email, User.district.name.as_alias("district_name"))
        .where(User.id == actor.id)
        .first()
    )
    rows = await Registration.select(*ENTRY_COLUMNS).where((Registration.attendee == actor.id) & _completed())
    rows = await _with_sessions(rows)
    rows.sort(key=lambda r: (r["first_starts_at"] or r["completed_at"], r["id"]))
    return Transcript(person=person, entries=rows)


async def own_certificate(actor: Actor, registration_id: int) -> dict:
    """A completed registration of the actor's own: anyone else's is 404, staff included."""
    row = (
        await Registration.select(*ENTRY_COLUMNS)
        .where((Registration.id == registration_id) & (Registration.attendee == actor.id) & _completed())
        .first()
    )
    if row is None:
        raise NotFound("No certificate of yours has that number.")
    return (await _with_sessions([row]))[0]


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper()


async def certificate_by_code(code: str) -> dict:
    """The public verification: whom a certificate was issued to, for what; 404 for anything else."""
    code = normalise_code(code)
    if not CODE_PATTERN.match(code):
        raise NotFound("No certificate has that code. Check it against the printed certificate.")
    row = (
        await Registration.select(*ENTRY_COLUMNS).where((Registration.certificate_code == code) & _completed()).first()
    )
    if row is None:
        raise NotFound("No certificate has that code. Check it against the printed certificate.")
    return (await _with_sessions([row]))[0]
