"""CSV exports of an offering for staff: roster, attendance (a column per session), PD hours.

Files open in Excel (booking.csv_files.to_csv: UTF-8 with a byte-order mark, every cell defused).
"""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.catalog.offerings import get_offering
from booking.clock import format_local, to_local
from booking.csv_files import CsvFile, to_csv
from booking.scheduling.pd_hours import check_ids, evaluate, marks_for_offering
from booking.scheduling.registration_lifecycle import RegistrationStatus, S
from booking.scheduling.roster import roster
from booking.scheduling.tables import Registration
from booking.scheduling.transcript import verification_url

STATUS_LABELS = {status.value: status.label for status in RegistrationStatus}  # the lifecycle's words, one set


def _hours(tenths: int | None) -> str:
    return "" if tenths is None else f"{tenths / 10:g}"


def _require_staff(actor: Actor, offering_id: int) -> None:
    actor.require("staff", "Only SCOE program staff export rosters.")
    check_ids(offering_id)


async def _details(offering_id: int) -> dict[int, dict]:
    rows = await Registration.select(
        Registration.id,
        Registration.po_number,
        Registration.confirmed_at,
        Registration.pd_hours_awarded_tenths,
        Registration.completed_at,
        Registration.certificate_code,
    ).where(Registration.offering == offering_id)
    return {row["id"]: row for row in rows}


async def roster_csv(actor: Actor, offering_id: int) -> CsvFile:
    _require_staff(actor, offering_id)
    entries = await roster(actor, offering_id)
    details = await _details(offering_id)
    header = [
        "Name",
        "Email",
        "District",
        "Status",
        "Waiting list position",
        "Payer",
        "PO number",
        "Registered",
        "Confirmed",
    ]
    rows = [
        [
            e["name"],
            e["email"],
            e["district"],
            STATUS_LABELS.get(e["status"], e["status"]),
            e["waitlist_position"],
            e["payer"],
            details[e["registration_id"]]["po_number"],
            format_local(e["created_at"]),
            format_local(details[e["registration_id"]]["confirmed_at"]),
        ]
        for e in entries
    ]
    return CsvFile(f"offering-{offering_id}-roster.csv", to_csv(header, rows))


def _session_heading(session: dict) -> str:
    start = to_local(session["starts_at"])
    return f"{start:%Y-%m-%d %-I:%M %p} {start.tzname()}"


async def attendance_csv(actor: Actor, offering_id: int) -> CsvFile:
    """Confirmed people, plus anyone else who has a mark; one column per scheduled session."""
    _require_staff(actor, offering_id)
    offering = await get_offering(actor, offering_id)
    sessions = offering["sessions"]
    marks = await marks_for_offering(offering_id)
    entries = [
        e for e in await roster(actor, offering_id) if e["status"] == S.CONFIRMED or e["registration_id"] in marks
    ]
    header = ["Name", "Email", "District", "Status", *[_session_heading(s) for s in sessions], "Sessions present"]
    rows = []
    for e in entries:
        mine = marks.get(e["registration_id"], {})
        cells = [mine.get(s["id"], "") for s in sessions]
        rows.append(
            [
                e["name"],
                e["email"],
                e["district"],
                STATUS_LABELS.get(e["status"], e["status"]),
                *cells,
                sum(1 for c in cells if c == "present"),
            ]
        )
    return CsvFile(f"offering-{offering_id}-attendance.csv", to_csv(header, rows))


async def pd_hours_csv(actor: Actor, offering_id: int) -> CsvFile:
    _require_staff(actor, offering_id)
    offering = await get_offering(actor, offering_id)
    sessions = offering["sessions"]
    marks = await marks_for_offering(offering_id)
    details = await _details(offering_id)
    entries = [e for e in await roster(actor, offering_id) if e["status"] == S.CONFIRMED]
    header = [
        "Name",
        "Email",
        "District",
        "Sessions present",
        "Sessions",
        "Hours attended",
        "Attendance rule met",
        "PD hours awarded",
        "Completed",
        "Certificate number",
        "Verification address",
    ]
    rows = []
    for e in entries:
        detail = details[e["registration_id"]]
        result = evaluate(offering, sessions, marks.get(e["registration_id"], {}))
        code = detail["certificate_code"]
        rows.append(
            [
                e["name"],
                e["email"],
                e["district"],
                result.sessions_present,
                result.sessions_total,
                _hours(result.attended_tenths),
                "yes" if result.met else "no",
                _hours(detail["pd_hours_awarded_tenths"]),
                to_local(detail["completed_at"]).date().isoformat() if detail["completed_at"] else "",
                code or "",
                verification_url(code) if code else "",
            ]
        )
    return CsvFile(f"offering-{offering_id}-pd-hours.csv", to_csv(header, rows))
