"""Every billable thing becomes a charge line owed by a district.

The sources are the rows other packages already keep: a confirmed district-billed workshop seat,
a district-billed cohort tuition instalment, a Sly Park deposit or balance. `gather_charge_lines`
adds a line for each source that has none yet and withdraws open lines whose source was cancelled.
It is idempotent (the database also allows one live line per source) and runs inside the
transaction of whoever needs fresh lines: the invoice preview, issuing, the finance pages.
"""

from __future__ import annotations

import datetime as dt

from booking.clock import to_local, utc_now
from booking.cohorts.tables import TuitionInstalment
from booking.db import is_postgres, write_transaction
from booking.payments.charge_line_lifecycle import ChargeLineStatus, move_charge_lines
from booking.payments.tables import ChargeLine
from booking.slypark.scholarship_tables import ScholarshipCharge
from booking.slypark.tables import BookingCharge

# The district billed for a seat is the one the person belonged to when the seat was confirmed: a later move
# (accounts.district_change, recorded in district_change) never carries an earlier seat to the new district.
_NEW_SEATS = """
SELECT * FROM (
SELECT r.id AS source_id, r.amount_cents AS amount_cents, r.po_number AS po_number,
       o.title AS title, u.name AS person, r.confirmed_at AS confirmed_at,
       CASE WHEN EXISTS (SELECT 1 FROM district_change dc WHERE dc."user" = u.id
                         AND dc.changed_at > COALESCE(r.confirmed_at, r.created_at))
            THEN (SELECT dc.from_district FROM district_change dc WHERE dc."user" = u.id
                  AND dc.changed_at > COALESCE(r.confirmed_at, r.created_at) ORDER BY dc.changed_at, dc.id LIMIT 1)
            ELSE u.district END AS district,
       (SELECT MIN(s.starts_at) FROM offering_session s WHERE s.offering = o.id AND s.status = 'scheduled') AS starts_at
FROM registration r
JOIN app_user u ON u.id = r.attendee
JOIN offering o ON o.id = r.offering
WHERE r.payer = 'district' AND r.status = 'confirmed' AND r.amount_cents > 0 AND o.kind <> 'cohort'
  AND NOT EXISTS (SELECT 1 FROM charge_line c WHERE c.source_kind = 'registration' AND c.source_id = r.id AND c.status <> 'withdrawn')
) seats WHERE seats.district IS NOT NULL
"""

_NEW_INSTALMENTS = """
SELECT i.id AS source_id, i.district AS district, i.amount_cents AS amount_cents, i.po_number AS po_number,
       i.number AS number, i.of_count AS of_count, i.due_on AS due_on, o.title AS title, u.name AS person
FROM tuition_instalment i
JOIN cohort_application a ON a.id = i.application
JOIN offering o ON o.id = a.cohort
JOIN app_user u ON u.id = a.applicant
WHERE i.payer = 'district' AND i.status = 'owed' AND i.district IS NOT NULL AND i.amount_cents > 0
  AND NOT EXISTS (SELECT 1 FROM charge_line c WHERE c.source_kind = 'tuition' AND c.source_id = i.id AND c.status <> 'withdrawn')
"""

_NEW_SLYPARK = """
SELECT ch.id AS source_id, b.district AS district, ch.amount_cents AS amount_cents, ch.kind AS kind,
       ch.students AS students, w.starts_on AS starts_on, sc.name AS school, se.name AS season
FROM slypark_booking_charge ch
JOIN slypark_booking b ON b.id = ch.booking
JOIN slypark_week w ON w.id = b.week
JOIN slypark_season se ON se.id = b.season
JOIN school sc ON sc.id = b.school
WHERE ch.status = 'owed' AND ch.amount_cents > 0 AND b.status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM charge_line c WHERE c.source_kind = 'slypark' AND c.source_id = ch.id AND c.status <> 'withdrawn')
"""

# What the foundation's fund pays for a booking (slypark.scholarships), settled with the balance on actual
# numbers: a line of its own, negative, so the district's invoice shows the scholarship and owes the net. A line
# rather than a lower balance: the balance stays the booking's price, the fund's share stays visible and
# reportable, and voids, credit notes and re-opened charges treat it exactly like the balance it reduces.
_NEW_SCHOLARSHIPS = """
SELECT sc.id AS source_id, b.district AS district, sc.amount_cents AS amount_cents, sc.students AS students,
       w.starts_on AS starts_on, s.name AS school
FROM slypark_scholarship_charge sc
JOIN slypark_booking b ON b.id = sc.booking
JOIN slypark_week w ON w.id = b.week
JOIN school s ON s.id = b.school
WHERE sc.status = 'owed' AND sc.amount_cents > 0 AND b.status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM charge_line c WHERE c.source_kind = 'scholarship' AND c.source_id = sc.id AND c.status <> 'withdrawn')
"""

# A source billable again after its line was withdrawn (a Sly Park booking moved by a week closure, then
# accepted) gets a new line: hence "AND c.status <> 'withdrawn'" above. An invoiced or credited line keeps
# its source from being gathered again; only a credit note's "re-open" owes it anew.

# Open lines whose source is no longer billable: withdrawn before anyone was invoiced for them.
_GONE = {
    "registration": "SELECT c.id FROM charge_line c JOIN registration r ON r.id = c.source_id "
    "WHERE c.source_kind = 'registration' AND c.status = 'open' "
    "AND (r.status <> 'confirmed' OR r.payer <> 'district')",
    "tuition": "SELECT c.id FROM charge_line c JOIN tuition_instalment i ON i.id = c.source_id "
    "WHERE c.source_kind = 'tuition' AND c.status = 'open' AND i.status = 'cancelled'",
    "slypark": "SELECT c.id FROM charge_line c JOIN slypark_booking_charge ch ON ch.id = c.source_id "
    "JOIN slypark_booking b ON b.id = ch.booking "
    "WHERE c.source_kind = 'slypark' AND c.status = 'open' AND (ch.status = 'cancelled' OR b.status <> 'confirmed')",
    "scholarship": "SELECT c.id FROM charge_line c JOIN slypark_scholarship_charge sc ON sc.id = c.source_id "
    "JOIN slypark_booking b ON b.id = sc.booking "
    "WHERE c.source_kind = 'scholarship' AND c.status = 'open' "
    "AND (sc.status = 'cancelled' OR b.status <> 'confirmed')",
}


def _as_date(value) -> dt.date | None:
    """Raw queries hand SQLite dates and timestamps back as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return to_local(value).date()
    return value


# Any fixed number: the key of the PostgreSQL advisory lock that queues concurrent gatherers.
GATHER_LOCK_KEY = 6_000_001


async def _insert(lines: list[ChargeLine]) -> int:
    if lines:
        await ChargeLine.insert(*lines)
    return len(lines)


async def gather_charge_lines(now: dt.datetime | None = None) -> int:
    """Bring the charge lines up to date with their sources; returns how many changed."""
    now = now or utc_now()
    async with write_transaction():
        if is_postgres():
            # Two gatherers at once (two finance previews) would both see a source without a line and both
            # insert one: the second would die on the one-live-line index. They take turns instead.
            await ChargeLine.raw("SELECT pg_advisory_xact_lock({})", GATHER_LOCK_KEY)
        lines: list[ChargeLine] = []
        for row in await ChargeLine.raw(_NEW_SEATS):
            day = _as_date(row["starts_at"]) or _as_date(row["confirmed_at"]) or to_local(now).date()
            lines.append(
                ChargeLine(
                    district=row["district"],
                    source_kind="registration",
                    source_id=row["source_id"],
                    program="workshop",
                    description=row["title"],
                    detail=row["person"],
                    service_date=day,
                    amount_cents=row["amount_cents"],
                    po_number=row["po_number"] or "",
                )
            )
        for row in await ChargeLine.raw(_NEW_INSTALMENTS):
            lines.append(
                ChargeLine(
                    district=row["district"],
                    source_kind="tuition",
                    source_id=row["source_id"],
                    program="cohort",
                    description=f"{row['title']}: tuition payment {row['number']} of {row['of_count']}",
                    detail=row["person"],
                    service_date=_as_date(row["due_on"]),
                    amount_cents=row["amount_cents"],
                    po_number=row["po_number"] or "",
                )
            )
        for row in await ChargeLine.raw(_NEW_SLYPARK):
            starts_on = _as_date(row["starts_on"])
            what = "deposit" if row["kind"] == "deposit" else "balance on actual numbers"
            lines.append(
                ChargeLine(
                    district=row["district"],
                    source_kind="slypark",
                    source_id=row["source_id"],
                    program="slypark",
                    description=f"Sly Park week of {starts_on:%b} {starts_on.day}, {starts_on.year}: {what}",
                    detail=f"{row['school']}, {row['students']} students",
                    service_date=starts_on,
                    amount_cents=row["amount_cents"],
                )
            )
        for row in await ChargeLine.raw(_NEW_SCHOLARSHIPS):
            starts_on = _as_date(row["starts_on"])
            lines.append(
                ChargeLine(
                    district=row["district"],
                    source_kind="scholarship",
                    source_id=row["source_id"],
                    program="slypark",
                    description=f"Sly Park week of {starts_on:%b} {starts_on.day}, {starts_on.year}: "
                    "scholarship from the foundation",
                    detail=f"{row['school']}, {row['students']} students",
                    service_date=starts_on,
                    amount_cents=-row["amount_cents"],
                )
            )
        changed = await _insert(lines)
        for query in _GONE.values():
            gone = [row["id"] for row in await ChargeLine.raw(query)]
            if gone:
                # Re-checked on the locked row: a line invoiced meanwhile stays invoiced (it needs a credit note).
                withdrawn = await move_charge_lines(
                    gone,
                    ChargeLineStatus.OPEN,
                    ChargeLineStatus.WITHDRAWN,
                    now,
                    close_reason="Cancelled before it was invoiced",
                )
                changed += len(withdrawn)
    return changed


# Invoiced lines whose source was later cancelled: finance should issue a credit note.
_INVOICED_BUT_CANCELLED = """
SELECT c.id AS id FROM charge_line c JOIN registration r ON r.id = c.source_id
WHERE c.source_kind = 'registration' AND c.status = 'invoiced' AND r.status = 'cancelled'
UNION ALL
SELECT c.id AS id FROM charge_line c JOIN tuition_instalment i ON i.id = c.source_id
JOIN cohort_application a ON a.id = i.application
WHERE c.source_kind = 'tuition' AND c.status = 'invoiced' AND a.status = 'withdrawn'
UNION ALL
SELECT c.id AS id FROM charge_line c JOIN slypark_booking_charge ch ON ch.id = c.source_id
JOIN slypark_booking b ON b.id = ch.booking
WHERE c.source_kind = 'slypark' AND c.status = 'invoiced' AND b.status <> 'confirmed'
UNION ALL
SELECT c.id AS id FROM charge_line c JOIN slypark_scholarship_charge sc ON sc.id = c.source_id
JOIN slypark_booking b ON b.id = sc.booking
WHERE c.source_kind = 'scholarship' AND c.status = 'invoiced' AND b.status <> 'confirmed'
"""


async def invoiced_lines_needing_credit() -> list[dict]:
    ids = [row["id"] for row in await ChargeLine.raw(_INVOICED_BUT_CANCELLED)]
    if not ids:
        return []
    return await ChargeLine.select(
        *ChargeLine.all_columns(),
        ChargeLine.invoice.number.as_alias("invoice_number"),
        ChargeLine.district.name.as_alias("district_name"),
    ).where(ChargeLine.id.is_in(ids))


async def mark_charge_sources(lines: list[dict], status: str) -> None:
    """Tuition instalments and Sly Park charges show their billing state on their own pages."""
    tuition = [line["source_id"] for line in lines if line["source_kind"] == "tuition"]
    slypark = [line["source_id"] for line in lines if line["source_kind"] == "slypark"]
    scholarships = [line["source_id"] for line in lines if line["source_kind"] == "scholarship"]
    if scholarships:
        await ScholarshipCharge.update({ScholarshipCharge.status: status}).where(
            ScholarshipCharge.id.is_in(scholarships)
        )
    if tuition:
        await TuitionInstalment.update({TuitionInstalment.status: status}).where(TuitionInstalment.id.is_in(tuition))
    if slypark:
        await BookingCharge.update({BookingCharge.status: status}).where(BookingCharge.id.is_in(slypark))
