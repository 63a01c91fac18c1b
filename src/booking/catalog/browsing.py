"""Finding workshops: the public catalog's search and filters, and each workshop's registration state.

Filtering, counting and paging happen in the database query; only the rows of the page
asked for are read. Bad filter values raise InvalidInput with one message per field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.catalog.offerings import OFFERING_COLUMNS, get_offering, price_for_district, sessions_of
from booking.catalog.rows import OfferingColumns, OfferingRow, SessionRow, WorkshopPageRow, WorkshopRow
from booking.catalog.tables import AUDIENCES, FORMATS, GRADE_BANDS, Offering
from booking.catalog.validation import decode_audiences
from booking.clock import LOCAL_TZ, format_local, utc_now
from booking.db import contains_text
from booking.errors import InvalidInput, collect_field_errors
from booking.fields import parse_date, parse_int
from booking.scheduling.capacity import SeatCounts, seat_counts

PAGE_SIZE = 20
MAX_SEARCH_LENGTH = 100
MAX_PAGE = 10_000
# A workshop for every grade is relevant to a teacher of any one band.
ALL_GRADES_BAND = "TK-12"
K12_BANDS = ("TK-2", "3-5", "6-8", "9-12")

AUDIENCE_LABELS = {
    "teacher": "Teachers",
    "para-educator": "Para-educators",
    "administrator": "Administrators",
    "classified": "Classified staff",
}
FORMAT_LABELS = {"in_person": "In person", "virtual": "Virtual", "hybrid": "Hybrid"}
GRADE_BAND_LABELS = {
    "TK-2": "TK–2",
    "3-5": "3–5",
    "6-8": "6–8",
    "9-12": "9–12",
    "TK-12": "TK–12 (all grades)",
    "Adult": "Adult learners",
}

# Seats a newcomer could still get: capacity minus confirmed, live holds and the people already waiting
# (they are promoted first, so nobody jumps the queue). The same rule as `RegistrationState` below.
_SEATS_FOR_NEWCOMER_SQL = (
    "offering.capacity > (SELECT COUNT(*) FROM registration r WHERE r.offering = offering.id AND ("
    "r.status IN ('confirmed', 'waitlisted') OR (r.status IN ('offered', 'pending_payment', 'pending_approval') "
    "AND r.hold_expires_at > {})))"
)
_UPCOMING_SQL = "EXISTS (SELECT 1 FROM offering_session s WHERE s.offering = offering.id AND s.status = 'scheduled' AND s.ends_at > {})"
_MEETS_BETWEEN_SQL = (
    "EXISTS (SELECT 1 FROM offering_session s WHERE s.offering = offering.id AND s.status = 'scheduled' "
    "AND s.starts_at >= {} AND s.starts_at < {})"
)
_FIRST_SESSION_SQL = (
    "(SELECT MIN(s.starts_at) FROM offering_session s WHERE s.offering = offering.id AND s.status = 'scheduled')"
)


@dataclass
class CatalogQuery:
    """The catalog's filters as typed values (all optional)."""

    text: str = ""
    audience: str = ""
    subject: str = ""
    grade_band: str = ""
    format: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    seats_available: bool = False
    page: int = 1

    def as_params(self) -> dict[str, str]:
        """The query-string form: only the filters that are set, so shared URLs stay short."""
        params = {
            "q": self.text,
            "audience": self.audience,
            "subject": self.subject,
            "grade": self.grade_band,
            "format": self.format,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "available": "1" if self.seats_available else "",
        }
        return {key: value for key, value in params.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(self.as_params())


@dataclass
class RegistrationState:
    """What a person sees about a workshop's seats and registration window."""

    kind: str  # available | full | not_open_yet | closed | cancelled | completed | draft
    label: str
    seats_left: int = 0

    @property
    def can_register(self) -> bool:
        return self.kind in ("available", "full")


@dataclass
class CatalogPage:
    query: CatalogQuery
    results: list[WorkshopRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    subjects: list[str] = field(default_factory=list)


def _parse_date(value: str, name: str, errors: dict[str, str]) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    return collect_field_errors(errors, parse_date, value, name, message="Enter a date like 2026-03-14.")


def parse_catalog_query(params: dict[str, str], subjects: list[str]) -> CatalogQuery:
    """Check the filters of a catalog URL; every wrong one is reported at once."""
    errors: dict[str, str] = {}

    def value(name: str, limit: int = 200) -> str:
        raw = params.get(name) or ""
        if not isinstance(raw, str):
            errors[name] = "Expected text."
            return ""
        raw = " ".join(raw.split())
        if len(raw) > limit:
            errors[name] = f"Use at most {limit} characters."
            return ""
        return raw

    query = CatalogQuery(text=value("q", MAX_SEARCH_LENGTH))
    query.audience = value("audience")
    if query.audience and query.audience not in AUDIENCES:
        errors["audience"] = (
            "Choose an audience from the list: teachers, para-educators, administrators or classified staff."
        )
    query.subject = value("subject")
    if query.subject and query.subject not in subjects:
        errors["subject"] = "Choose a subject from the list."
    query.grade_band = value("grade")
    if query.grade_band and query.grade_band not in GRADE_BANDS:
        errors["grade"] = "Choose a grade band from the list."
    query.format = value("format")
    if query.format and query.format not in FORMATS:
        errors["format"] = "Choose in person, virtual or hybrid."
    query.date_from = _parse_date(value("from"), "from", errors)
    query.date_to = _parse_date(value("to"), "to", errors)
    if query.date_from and query.date_to and query.date_to < query.date_from:
        errors["to"] = "The end date must be on or after the start date."
    available = value("available")
    if available not in ("", "1", "on", "true", "yes"):
        errors["available"] = "Tick the box or leave it empty."
    query.seats_available = available != ""
    page = collect_field_errors(
        errors,
        parse_int,
        value("page"),
        "page",
        minimum=1,
        maximum=MAX_PAGE,
        blank=1,
        message="The page number must be a whole number from 1.",
    )
    query.page = page or 1
    if errors:
        raise InvalidInput(errors)
    return query


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


def _catalog_where(query: CatalogQuery, now: dt.datetime) -> list:
    """Where-clauses for published, upcoming workshops matching the filters."""
    clauses = [
        Offering.kind == "workshop",
        Offering.status == "published",
        WhereRaw(_UPCOMING_SQL, now),
    ]
    if query.text:
        clauses.append(
            contains_text(Offering.title, query.text)
            | contains_text(Offering.description_md, query.text)
            | contains_text(Offering.facilitators, query.text)
            | contains_text(Offering.program.subject, query.text)
        )
    if query.audience:
        clauses.append(Offering.program.audiences.like(f"%,{query.audience},%"))
    if query.subject:
        clauses.append(Offering.program.subject == query.subject)
    if query.grade_band:
        if query.grade_band in K12_BANDS:
            clauses.append(Offering.program.grade_band.is_in([query.grade_band, ALL_GRADES_BAND]))
        else:
            clauses.append(Offering.program.grade_band == query.grade_band)
    if query.format:
        clauses.append(Offering.format == query.format)
    if query.date_from or query.date_to:
        start = _local_midnight_utc(query.date_from) if query.date_from else now - dt.timedelta(days=365 * 100)
        end = (
            _local_midnight_utc(query.date_to + dt.timedelta(days=1))
            if query.date_to
            else now + dt.timedelta(days=365 * 100)
        )
        clauses.append(WhereRaw(_MEETS_BETWEEN_SQL, start, end))
    if query.seats_available:
        clauses.append(WhereRaw(_SEATS_FOR_NEWCOMER_SQL, now))
        # A full or closed window is no use to someone who wants a seat now.
        clauses.append(Offering.registration_opens_at.is_null() | (Offering.registration_opens_at <= now))
        clauses.append(Offering.registration_closes_at.is_null() | (Offering.registration_closes_at > now))
    return clauses


async def catalog_subjects() -> list[str]:
    """Subjects of the published workshops, for the filter's list."""
    rows = (
        await Offering.select(Offering.program.subject.as_alias("subject"))
        .where((Offering.kind == "workshop") & (Offering.status == "published"))
        .distinct()
    )
    return sorted({row["subject"] for row in rows if row["subject"]}, key=str.lower)


async def viewer_district(actor: Actor | None) -> dict | None:
    if actor is None or actor.district_id is None:
        return None
    return await District.select().where(District.id == actor.district_id).first()


def registration_state(offering: OfferingColumns, counts: SeatCounts, now: dt.datetime) -> RegistrationState:
    """The same rules as `scheduling.registration.check_window` and the waiting list, in words."""
    status = offering["status"]
    if status == "cancelled":
        return RegistrationState("cancelled", "This workshop is cancelled")
    if status == "completed":
        return RegistrationState("completed", "This workshop has taken place")
    if status == "draft":
        return RegistrationState("draft", "Draft: not visible to attendees")
    opens, closes = offering["registration_opens_at"], offering["registration_closes_at"]
    if opens is not None and now < opens:
        return RegistrationState("not_open_yet", f"Registration opens on {format_local(opens)}")
    if closes is not None and now >= closes:
        return RegistrationState("closed", "Registration closed")
    free = max(0, counts.seats_left - counts.waitlisted)
    if free > 0:
        return RegistrationState("available", f"{free} seat{'' if free == 1 else 's'} left", free)
    return RegistrationState("full", "Full — join the waiting list")


def _decorate(
    row: OfferingRow, counts: SeatCounts, district: dict | None, signed_in: bool, now: dt.datetime
) -> WorkshopRow:
    """`row` with what the catalog shows of it for this viewer (the same dict, its keys added)."""
    workshop = cast(WorkshopRow, row)
    workshop["audience_list"] = decode_audiences(workshop.get("audiences") or "")
    workshop["state"] = registration_state(workshop, counts, now)
    workshop["counts"] = counts
    workshop["price"] = price_for_district(workshop, district)
    workshop["price_for"] = district["name"] if signed_in and district else None
    # Someone not signed in sees both rates when they differ; a signed-in person sees theirs.
    workshop["other_price"] = None
    nonmember = workshop["nonmember_price_cents"]
    if not signed_in and nonmember is not None and nonmember != workshop["price_cents"]:
        workshop["price"], workshop["other_price"] = workshop["price_cents"], nonmember
    return workshop


async def browse_catalog(actor: Actor | None, query: CatalogQuery, now: dt.datetime | None = None) -> CatalogPage:
    now = now or utc_now()
    where = _catalog_where(query, now)

    def page_of_rows(number: int):
        # The total comes with the page (a window count): the filters are evaluated once, not twice.
        rows_query = Offering.select(*OFFERING_COLUMNS, QueryString("COUNT(*) OVER ()").as_alias("total_matching"))
        for clause in where:
            rows_query = rows_query.where(clause)
        return (
            rows_query.order_by(QueryString(_FIRST_SESSION_SQL))
            .order_by(Offering.id)
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )

    page = query.page
    rows = await page_of_rows(page)
    if rows:
        total = int(rows[0]["total_matching"])
    else:  # no results, or a page past the last one: count, and show the last page
        count_query = Offering.count()
        for clause in where:
            count_query = count_query.where(clause)
        total = await count_query
        page = min(page, max(1, -(-total // PAGE_SIZE)))
        if total:
            rows = await page_of_rows(page)
    pages = max(1, -(-total // PAGE_SIZE))
    sessions = await sessions_of([row["id"] for row in rows])
    by_offering: dict[int, list[SessionRow]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    counts = await seat_counts(rows, now)
    district = await viewer_district(actor)
    results: list[WorkshopRow] = []
    for row in rows:
        row["sessions"] = by_offering.get(row["id"], [])
        results.append(_decorate(row, counts[row["id"]], district, actor is not None, now))
    return CatalogPage(query=query, results=results, total=total, page=page, pages=pages)


async def workshop_details(actor: Actor | None, offering_id: int, now: dt.datetime | None = None) -> WorkshopPageRow:
    """One workshop as its page shows it: sessions, seats state, the viewer's price. Drafts are 404 for non-staff."""
    now = now or utc_now()
    row = await get_offering(actor, offering_id)
    counts = (await seat_counts([row], now))[row["id"]]
    district = await viewer_district(actor)
    workshop = cast(WorkshopPageRow, _decorate(row, counts, district, actor is not None, now))
    workshop["viewer_district"] = district
    return workshop
