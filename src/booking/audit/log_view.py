"""Reading the audit trail: the admin page and its CSV export, with the same filters."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.audit.tables import AuditEntry
from booking.audit.trail import KINDS
from booking.clock import LOCAL_TZ, format_local
from booking.csv_files import CsvFile, csv_text, defuse
from booking.db import contains_text, json_column
from booking.errors import InvalidInput
from booking.fields import parse_date, parse_int

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""  # part of an email
    district_id: int | None = None
    kind: str = ""
    date_from: dt.date | None = None  # local dates, both included
    date_to: dt.date | None = None
    page: int = 1


def parse_filter(query: dict[str, str]) -> AuditFilter:
    """From the page's query string; bad values are named (422), never a 500."""
    errors: dict[str, str] = {}

    def attempt(parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except InvalidInput as error:
            errors.update(error.field_errors)
            return None

    person = " ".join((query.get("person") or "").split())[:254]
    kind = (query.get("kind") or "").strip()
    if kind and kind not in KINDS:
        errors["kind"] = "Choose a kind from the list."
    district = (query.get("district") or "").strip()
    district_id = attempt(parse_int, district, "district", minimum=1, maximum=2**31 - 1) if district else None
    date_from = attempt(parse_date, query.get("from"), "from", required=False)
    date_to = attempt(parse_date, query.get("to"), "to", required=False)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The end date is before the start date."
    page_text = (query.get("page") or "").strip()
    page = attempt(parse_int, page_text, "page", minimum=1, maximum=1_000_000) if page_text else 1
    if errors:
        raise InvalidInput(errors)
    return AuditFilter(person, district_id, kind, date_from, date_to, page or 1)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


def _where(selection: AuditFilter):
    conditions = []
    if selection.person:
        conditions.append(contains_text(AuditEntry.actor_email, selection.person))
    if selection.district_id is not None:
        conditions.append(AuditEntry.district_id == selection.district_id)
    if selection.kind:
        conditions.append(AuditEntry.kind == selection.kind)
    if selection.date_from:
        conditions.append(AuditEntry.at >= _start_of(selection.date_from))
    if selection.date_to:
        conditions.append(AuditEntry.at < _start_of(selection.date_to + dt.timedelta(days=1)))
    return conditions


def _require_admin(actor: Actor) -> None:
    actor.require("admin", "Only administrators read the audit trail.")


async def entries(actor: Actor, selection: AuditFilter, *, limit: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """One page of entries, newest first, and how many match in all."""
    _require_admin(actor)
    conditions = _where(selection)
    query = AuditEntry.select().order_by(AuditEntry.at, ascending=False).order_by(AuditEntry.id, ascending=False)
    count = AuditEntry.count()
    if conditions:
        query, count = query.where(*conditions), count.where(*conditions)
    rows = await query.limit(limit).offset((selection.page - 1) * limit)
    for row in rows:
        row["kind_label"] = KINDS.get(row["kind"], row["kind"])
        row["when"] = format_local(row["at"])
    return rows, await count


async def export_csv(actor: Actor, selection: AuditFilter) -> CsvFile:
    """Every entry the filters match (not just one page): (filename, text with a BOM); recorded text defused."""
    rows, _ = await entries(actor, AuditFilter(**{**selection.__dict__, "page": 1}), limit=MAX_EXPORT_ROWS)
    header = [
        "when (UTC)",
        "person id",
        "person email",
        "client address",
        "request id",
        "kind",
        "subject",
        "district id",
        "detail",
    ]
    return CsvFile(
        "audit-trail.csv",
        csv_text(
            header,
            [
                [
                    row["at"].astimezone(dt.timezone.utc).isoformat(),
                    row["actor_id"] or "",
                    defuse(row["actor_email"]),
                    row["client_address"],
                    row["request_id"],
                    row["kind"],
                    defuse(row["subject"]),
                    row["district_id"] or "",
                    defuse(json.dumps(json_column(row["detail"]), sort_keys=True)),
                ]
                for row in rows
            ],
            bom=True,
        ),
    )
