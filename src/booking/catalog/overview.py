"""What staff see of the catalog: every offering (drafts too) with its dates, seats and fill rate."""

from __future__ import annotations

import datetime as dt
from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog import conflicts
from booking.catalog.offerings import OFFERING_COLUMNS, STAFF_ONLY, get_offering, sessions_of
from booking.catalog.rows import SessionRow, StaffListRow, StaffOfferingRow
from booking.catalog.sessions import facilitator_ids_of
from booking.catalog.tables import OFFERING_STATUSES, Offering
from booking.catalog.validation import decode_audiences
from booking.clock import utc_now
from booking.scheduling.capacity import seat_counts, seat_counts_for

WHEN_CHOICES = ("upcoming", "past", "all")
LIST_LIMIT = 500


def fill_rate(confirmed: int, capacity: int) -> int:
    """Confirmed seats as a whole percentage of capacity."""
    return round(100 * confirmed / capacity) if capacity else 0


MAX_SEARCH = 100


def search_terms(search: str) -> tuple[str, int | None]:
    """The words to find in titles, and an offering number if the search is one ("1234" or "#1234")."""
    text = " ".join(search.split())[:MAX_SEARCH].casefold()
    number = text.lstrip("#")
    return text, int(number) if number.isascii() and number.isdigit() and len(number) <= 12 else None


async def _matching_ids(search: str) -> list[int]:
    """Ids whose title contains the search (any case), or whose number it is.

    Matched here rather than with LIKE: titles are short and few (thousands), and SQLite and PostgreSQL
    disagree on LIKE's case rules and escapes."""
    text, number = search_terms(search)
    rows = await Offering.select(Offering.id, Offering.title)
    return [r["id"] for r in rows if text in r["title"].casefold() or r["id"] == number]


async def staff_offerings(
    actor: Actor, *, status: str = "", when: str = "upcoming", search: str = "", now: dt.datetime | None = None
) -> list[StaffListRow]:
    """Offerings for the staff list: upcoming ones soonest first, past ones latest first.

    Offerings without sessions (new drafts) count as upcoming. `search`: words of the title, or the number."""
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    query = Offering.select(*OFFERING_COLUMNS)
    if status in OFFERING_STATUSES:
        query = query.where(Offering.status == status)
    if search.strip():
        ids = await _matching_ids(search)
        if not ids:
            return []
        query = query.where(Offering.id.is_in(ids))
    # Each row gets the list's keys below (first_starts_at, counts, ...).
    rows = cast(list[StaffListRow], await query.order_by(Offering.id, ascending=False).limit(LIST_LIMIT))
    sessions = await sessions_of([r["id"] for r in rows])
    by_offering: dict[int, list[SessionRow]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    counts = await seat_counts(rows, now)
    result: list[StaffListRow] = []
    for row in rows:
        own = by_offering.get(row["id"], [])
        row["first_starts_at"] = own[0]["starts_at"] if own else None
        row["last_ends_at"] = max(s["ends_at"] for s in own) if own else None
        row["session_count"] = len(own)
        row["counts"] = counts[row["id"]]
        row["fill_rate"] = fill_rate(row["counts"].confirmed, row["capacity"])
        row["is_past"] = row["last_ends_at"] is not None and row["last_ends_at"] < now
        if when == "upcoming" and row["is_past"] or when == "past" and not row["is_past"]:
            continue
        result.append(row)
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    if when == "past":
        result.sort(key=lambda r: r["first_starts_at"], reverse=True)
    else:
        result.sort(key=lambda r: (r["is_past"], r["first_starts_at"] or far, r["id"]))
    return result


async def staff_people() -> list[dict]:
    """Active staff and admins: the people who can be chosen as facilitators."""
    return (
        await User.select(User.id, User.name, User.email)
        .where(User.role.is_in(["staff", "admin"]) & (User.is_active == True))
        .order_by(User.name)
    )


async def offering_for_staff(actor: Actor, offering_id: int, now: dt.datetime | None = None) -> StaffOfferingRow:
    """One offering with everything its staff page shows (NotFound for an unknown id)."""
    from booking.catalog.editing import paid_registrations, refunds_due

    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    row = cast(StaffOfferingRow, await get_offering(actor, offering_id))  # its staff page's keys added below
    row["audience_list"] = decode_audiences(row["audiences"])
    row["all_sessions"] = await sessions_of([offering_id], include_cancelled=True)
    row["counts"] = await seat_counts_for(row, now)
    row["fill_rate"] = fill_rate(row["counts"].confirmed, row["capacity"])
    row["facilitator_ids"] = sorted(await facilitator_ids_of(offering_id))
    row["overrides"] = await conflicts.overrides_of(offering_id)
    row["refunds_due"] = await refunds_due(offering_id) if row["status"] == "cancelled" else 0
    row["paid_registrations"] = await paid_registrations(offering_id)
    if row["copied_from"]:
        source = await Offering.select(Offering.id, Offering.title).where(Offering.id == row["copied_from"]).first()
        row["copied_from_title"] = source["title"] if source else None
    else:
        row["copied_from_title"] = None
    return row
