"""Taking attendance: one mark per person per session, by tap or from a sign-in sheet (CSV).

Marks are unique per (session, registration). The table has no unique index, so the
uniqueness is kept here: every write happens in `write_transaction()` holding the
offering's lock and is an upsert, so two taps at once (or two tablets) leave one row.
Only confirmed registrations are marked. A sign-in sheet is checked whole before anything
is written: one bad line and nothing is imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.accounts.tables import User
from booking.catalog.offerings import get_offering, sessions_of
from booking.catalog.tables import Offering, OfferingSession
from booking.clock import to_local, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from booking.scheduling.pd_hours import check_ids, recompute_registration
from booking.scheduling.registration_lifecycle import S
from booking.scheduling.rows import RosterOverviewRow
from booking.scheduling.tables import Attendance, Registration
from booking.scheduling.waitlist import lock_offering

ATTENDANCE_STATUSES = ("present", "absent", "excused")
STATUS_LABELS = {"present": "Present", "absent": "Absent", "excused": "Excused", None: "Not marked"}
# One tap moves to the next state. The button carries the state it sets, not "next", so a
# double tap (or a second tablet showing the same sheet) sets the same value twice.
NEXT_STATUS = {None: "present", "present": "absent", "absent": "excused", "excused": "present"}
REGISTRATION_STATUS_LABELS = {
    "waitlisted": "on the waiting list",
    "offered": "offered a seat but has not accepted it",
    "pending_payment": "waiting for a payment",
    "pending_approval": "waiting for a supervisor's approval",
    "cancelled": "cancelled",
}

MAX_SHEET_BYTES = 1_000_000
MAX_REPORTED_LINES = 50
SHEET_EXTENSIONS = (".csv", ".txt")
SHEET_CONTENT_TYPES = (
    "text/csv",
    "text/plain",
    "application/csv",
    "text/comma-separated-values",
    "application/vnd.ms-excel",
    "application/octet-stream",
    "",
)
EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address", "emailaddress"}
DATE_HEADERS = {"date", "session date", "session", "day"}
PRESENT_HEADERS = {"present", "attended", "signed in", "attendance"}
YES = {"yes", "y", "true", "1", "x", "present", "✓", "✔"}
NO = {"no", "n", "false", "0", "", "absent"}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y")


STAFF_ONLY = "Only SCOE program staff take attendance."


def check_can_take_attendance(offering: dict) -> None:
    if offering["status"] not in ("published", "completed"):
        raise Conflict(f"This workshop is {offering['status']}; attendance is not taken for it.", code="no_attendance")


def choose_session(sessions: list[dict], session_id: int | None, now: dt.datetime) -> dict | None:
    """The session asked for; else today's; else the latest that has started; else the first."""
    if session_id is not None:
        for session in sessions:
            if session["id"] == session_id:
                return session
        raise NotFound("No such session of this workshop.")
    if not sessions:
        return None
    today = to_local(now).date()
    for session in sessions:
        if to_local(session["starts_at"]).date() == today:
            return session
    started = [s for s in sessions if s["starts_at"] <= now]
    return started[-1] if started else sessions[0]


async def confirmed_people(offering_id: int) -> list[dict]:
    rows = await Registration.select(
        Registration.id,
        Registration.attendee,
        Registration.pd_hours_awarded_tenths,
        Registration.attendee.name.as_alias("name"),
        Registration.attendee.email.as_alias("email"),
        Registration.attendee.district.name.as_alias("district"),
    ).where((Registration.offering == offering_id) & (Registration.status == S.CONFIRMED.value))
    rows.sort(key=lambda r: (r["name"].casefold(), r["id"]))
    return rows


async def session_marks(session_id: int) -> dict[int, str]:
    rows = (
        await Attendance.select(Attendance.registration, Attendance.status)
        .where(Attendance.session == session_id)
        .order_by(Attendance.id)
    )
    return {row["registration"]: row["status"] for row in rows}


def count_marks(people: list[dict], marks: dict[int, str]) -> dict[str, int]:
    counts = {"present": 0, "absent": 0, "excused": 0, "unmarked": 0, "total": len(people)}
    for person in people:
        counts[marks.get(person["id"]) or "unmarked"] += 1
    return counts


def sheet_row(person: dict, status: str | None) -> dict:
    return {
        "registration_id": person["id"],
        "name": person["name"],
        "email": person["email"],
        "district": person.get("district"),
        "status": status,
        "label": STATUS_LABELS[status],
        "next_status": NEXT_STATUS[status],
        "next_label": STATUS_LABELS[NEXT_STATUS[status]],
    }


@dataclass
class AttendanceSheet:
    offering: dict
    sessions: list[dict]
    session: dict | None
    rows: list[dict]
    counts: dict[str, int]


async def attendance_sheet(
    actor: Actor, offering_id: int, session_id: int | None = None, now: dt.datetime | None = None
) -> AttendanceSheet:
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id)
    offering = await get_offering(actor, offering_id)
    sessions = offering["sessions"]
    session = choose_session(sessions, session_id, now or utc_now())
    people = await confirmed_people(offering_id)
    marks = await session_marks(session["id"]) if session else {}
    rows = [sheet_row(person, marks.get(person["id"])) for person in people]
    return AttendanceSheet(offering, sessions, session, rows, count_marks(people, marks))


async def _upsert(session_id: int, registration_id: int, status: str, actor_id: int | None, now: dt.datetime) -> None:
    """One row per (session, registration). Callers hold the offering's lock."""
    existing = (
        await Attendance.select(Attendance.id)
        .where((Attendance.session == session_id) & (Attendance.registration == registration_id))
        .order_by(Attendance.id)
    )
    if existing:
        await Attendance.update(
            {Attendance.status: status, Attendance.recorded_by: actor_id, Attendance.recorded_at: now}
        ).where(Attendance.id == existing[0]["id"])
        if len(existing) > 1:  # never written by this module; healed if it ever appears
            await Attendance.delete().where(Attendance.id.is_in([row["id"] for row in existing[1:]]))
    else:
        await Attendance.insert(
            Attendance(
                session=session_id, registration=registration_id, status=status, recorded_by=actor_id, recorded_at=now
            )
        )


async def _scheduled_session(offering_id: int, session_id: int) -> dict:
    session = (
        await OfferingSession.select()
        .where(
            (OfferingSession.id == session_id)
            & (OfferingSession.offering == offering_id)
            & (OfferingSession.status == "scheduled")
        )
        .first()
    )
    if session is None:
        raise NotFound("No such session of this workshop.")
    return session


def _not_confirmed_message(name: str, status: str) -> str:
    return f"{name} is {REGISTRATION_STATUS_LABELS.get(status, status)}: only confirmed registrations are marked."


async def mark_attendance(
    actor: Actor, offering_id: int, session_id: int, registration_id: int, status: str, now: dt.datetime | None = None
) -> tuple[dict, dict[str, int]]:
    """Set one person's mark for one session; returns their sheet row and the session's counts."""
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id, registration_id)
    if status not in ATTENDANCE_STATUSES:
        raise InvalidInput({"status": "Choose present, absent or excused."})
    now = now or utc_now()
    async with write_transaction():
        offering = await lock_offering(offering_id)
        check_can_take_attendance(offering)
        await _scheduled_session(offering_id, session_id)
        registration = (
            await Registration.select(
                Registration.id,
                Registration.status,
                Registration.attendee.name.as_alias("name"),
            )
            .where((Registration.id == registration_id) & (Registration.offering == offering_id))
            .first()
        )
        if registration is None:
            raise NotFound("No such registration for this workshop.")
        if registration["status"] != S.CONFIRMED:
            raise Conflict(_not_confirmed_message(registration["name"], registration["status"]), code="not_confirmed")
        await _upsert(session_id, registration_id, status, actor.id, now)
        if offering["status"] == "completed":
            await recompute_registration(offering, registration_id, now, actor.id)
        people = await confirmed_people(offering_id)
        marks = await session_marks(session_id)
    person = next(p for p in people if p["id"] == registration_id)
    return sheet_row(person, marks.get(registration_id)), count_marks(people, marks)


# --- Sign-in sheets ---------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    line: int
    email: str
    date: dt.date | None
    status: str


@dataclass(frozen=True)
class ImportResult:
    present: int
    absent: int
    people: int


def _file_error(message: str) -> InvalidInput:
    return InvalidInput({"sheet": message}, message=f"{message} Nothing was imported.")


def check_sheet_file(filename: str, content_type: str, data: bytes) -> str:
    """Size, type and encoding checks; returns the text of the file."""
    name = (filename or "").strip()
    if not name and not data:
        raise _file_error("Choose a CSV file to upload.")
    if not data:
        raise _file_error("The file is empty.")
    if len(data) > MAX_SHEET_BYTES:
        raise _file_error(f"The file is larger than {MAX_SHEET_BYTES // 1_000_000} MB. Split it into smaller sheets.")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(
            "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → “CSV UTF-8”, "
            "then upload that file."
        )
    if data.startswith(b"%PDF"):
        raise _file_error("This is a PDF, not a CSV file. Type the names into a spreadsheet and save it as CSV.")
    base_type = (content_type or "").split(";")[0].strip().lower()
    if not name.lower().endswith(SHEET_EXTENSIONS) or base_type not in SHEET_CONTENT_TYPES:
        raise _file_error("Upload a CSV file (its name ends in .csv).")
    if b"\x00" in data:
        raise _file_error("The file is not text. Save the sign-in sheet as CSV and upload that file.")
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows still saves "CSV" in cp1252
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error("The file's characters cannot be read. Save it as “CSV UTF-8” and try again.")


def _header_key(cell: str) -> str:
    return " ".join(cell.strip().strip("*:").replace("_", " ").lower().split())


def parse_date(value: str) -> dt.date | None:
    """2026-03-10, 3/10/2026, 3/10/26, or a form's timestamp like "3/10/2026 9:02:13"."""
    text = value.strip()
    if not text:
        return None
    text = re.split(r"[ T]", text, maxsplit=1)[0]
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_sheet(text: str) -> tuple[list[SheetLine], dict[int, list[str]], bool]:
    """Lines of the sheet, problems by line number, and whether it has a date column."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    problems: dict[int, list[str]] = {}
    lines: list[SheetLine] = []
    columns: dict[str, int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                keys = [_header_key(cell) for cell in row]
                columns = {}
                for index, key in enumerate(keys):
                    for kind, names in (("email", EMAIL_HEADERS), ("date", DATE_HEADERS), ("present", PRESENT_HEADERS)):
                        if key in names and kind not in columns:
                            columns[kind] = index
                if "email" not in columns:
                    found = ", ".join(f"“{cell.strip()}”" for cell in row if cell.strip())[:200]
                    raise _file_error(f"The first line must name the columns, one of them “email” (found {found}).")
                continue

            def cell(kind: str, row: list[str] = row, columns: dict[str, int] = columns) -> str:
                index = columns.get(kind)
                return row[index].strip() if index is not None and index < len(row) else ""

            email = cell("email").lower()
            errors: list[str] = []
            if not email:
                errors.append("no email address")
            date = None
            try:
                date = parse_date(cell("date"))
            except ValueError:
                errors.append(f"“{cell('date')[:40]}” is not a date; write it like 2026-03-10 or 3/10/2026")
            status = "present"
            if "present" in columns:
                answer = cell("present").lower()
                if answer in YES:
                    status = "present"
                elif answer in NO:
                    status = "absent"
                else:
                    errors.append(f"“{cell('present')[:40]}” in the present column: write yes or no")
            if errors:
                problems.setdefault(line, []).extend(errors)
            else:
                lines.append(SheetLine(line=line, email=email, date=date, status=status))
    except csv.Error as error:
        problems.setdefault(reader.line_num, []).append(f"the line cannot be read as CSV ({error})")
    if columns is None:
        raise _file_error("The file has no lines.")
    if not lines and not problems:
        raise _file_error("The file names its columns but lists nobody.")
    return lines, problems, "date" in columns


def _problems_error(problems: dict[int, list[str]]) -> InvalidInput:
    numbers = sorted(problems)
    errors = {f"line {n}": "; ".join(dict.fromkeys(problems[n])) for n in numbers[:MAX_REPORTED_LINES]}
    if len(numbers) > MAX_REPORTED_LINES:
        errors["more"] = f"… and {len(numbers) - MAX_REPORTED_LINES} more lines with problems."
    count = len(numbers)
    return InvalidInput(
        errors,
        message=f"{count} line{'s' if count != 1 else ''} of the sheet {'have' if count != 1 else 'has'} problems.",
    )


def _session_for(line: SheetLine, sessions: list[dict], chosen: dict | None) -> tuple[dict | None, str | None]:
    if line.date is None:
        if chosen is None:
            return None, "no session date; add a date column or choose the session the sheet is for"
        return chosen, None
    same_day = [s for s in sessions if to_local(s["starts_at"]).date() == line.date]
    if not same_day:
        return None, f"the workshop has no session on {line.date:%a %b %-d, %Y}"
    if len(same_day) > 1:
        if chosen is not None and chosen in same_day:
            return chosen, None
        return (
            None,
            f"the workshop has {len(same_day)} sessions on {line.date:%b %-d}; choose the session the sheet is for",
        )
    return same_day[0], None


async def import_sign_in_sheet(
    actor: Actor,
    offering_id: int,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    session_id: int | None = None,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Mark everyone on a sign-in sheet; all lines or none."""
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id)
    now = now or utc_now()
    text = check_sheet_file(filename, content_type, data)
    lines, problems, has_dates = parse_sheet(text)
    async with write_transaction():
        offering = await lock_offering(offering_id)
        check_can_take_attendance(offering)
        sessions = await sessions_of([offering_id])
        chosen = None
        if session_id is not None:
            chosen = next((s for s in sessions if s["id"] == session_id), None)
            if chosen is None:
                raise InvalidInput(
                    {"session": "Choose one of this workshop's sessions."},
                    message="Choose one of this workshop's sessions. Nothing was imported.",
                )
        elif len(sessions) == 1:
            chosen = sessions[0]
        if not has_dates and chosen is None:
            raise InvalidInput(
                {"session": "Choose the session this sheet is for: the sheet has no date column."},
                message="Choose the session this sheet is for. Nothing was imported.",
            )
        emails = sorted({line.email for line in lines})
        users = (
            {u["email"]: u for u in await User.select(User.id, User.email, User.name).where(User.email.is_in(emails))}
            if emails
            else {}
        )
        registrations = {}
        if users:
            for row in (
                await Registration.select(Registration.id, Registration.attendee, Registration.status)
                .where(
                    (Registration.offering == offering_id)
                    & Registration.attendee.is_in([u["id"] for u in users.values()])
                )
                .order_by(Registration.id)
            ):
                # A cancelled registration never hides a live one of the same person.
                if row["attendee"] not in registrations or registrations[row["attendee"]]["status"] == S.CANCELLED:
                    registrations[row["attendee"]] = row
        marks: dict[tuple[int, int], tuple[str, int]] = {}
        for line in lines:
            user = users.get(line.email)
            if user is None:
                problems.setdefault(line.line, []).append(
                    f"no one with the email address {line.email[:80]} has an account"
                )
                continue
            registration = registrations.get(user["id"])
            if registration is None:
                problems.setdefault(line.line, []).append(
                    f"{user['name']} ({line.email}) is not registered for this workshop"
                )
                continue
            if registration["status"] != S.CONFIRMED:
                problems.setdefault(line.line, []).append(
                    _not_confirmed_message(f"{user['name']} ({line.email})", registration["status"])
                )
                continue
            session, problem = _session_for(line, sessions, chosen)
            if problem:
                problems.setdefault(line.line, []).append(problem)
                continue
            key = (session["id"], registration["id"])
            if key in marks and marks[key][0] != line.status:
                problems.setdefault(line.line, []).append(
                    f"{line.email} is listed again for the same session (line {marks[key][1]}) with a different answer"
                )
                continue
            marks[key] = (line.status, line.line)
        if problems:
            raise _problems_error(problems)
        for (session_id_, registration_id), (status, _line) in marks.items():
            await _upsert(session_id_, registration_id, status, actor.id, now)
        if offering["status"] == "completed":
            for registration_id in sorted({registration_id for _, registration_id in marks}):
                await recompute_registration(offering, registration_id, now, actor.id)
    statuses = [status for status, _ in marks.values()]
    return ImportResult(
        present=statuses.count("present"),
        absent=statuses.count("absent"),
        people=len({registration_id for _, registration_id in marks}),
    )


def session_day(session: dict) -> str:
    return f"{to_local(session['starts_at']):%a %b %-d}"


def session_label(session: dict) -> str:
    """ "Tue Mar 10, 2026, 9:00 AM – 12:00 PM PDT"."""
    start, end = to_local(session["starts_at"]), to_local(session["ends_at"])
    return f"{start:%a %b %-d, %Y}, {start:%-I:%M %p} – {end:%-I:%M %p} {end.tzname()}"


# --- The roster page's picture of an offering ----------------------------------------------


@dataclass
class RosterOverview:
    offering: dict
    entries: list[RosterOverviewRow]
    seats: object  # capacity.SeatCounts
    session_counts: dict[int, dict[str, int]]

    @property
    def fill_percent(self) -> int:
        return round(100 * self.seats.confirmed / self.seats.capacity) if self.seats.capacity else 0

    @property
    def confirmed_total(self) -> int:
        return sum(1 for e in self.entries if e["status"] == S.CONFIRMED)

    @property
    def awarded_total(self) -> int:
        return sum(1 for e in self.entries if e["awarded_tenths"] is not None)


async def roster_overview(actor: Actor, offering_id: int) -> RosterOverview:
    """Everyone registered with status, attendance so far, the rule's verdict and any award; fill rate."""
    from booking.scheduling.capacity import seat_counts_for
    from booking.scheduling.pd_hours import evaluate, marks_for_offering
    from booking.scheduling.roster import roster

    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id)
    offering = await get_offering(actor, offering_id)
    lines = await roster(actor, offering_id)
    seats = await seat_counts_for(offering)
    marks = await marks_for_offering(offering_id)
    awards = {
        r["id"]: r["pd_hours_awarded_tenths"]
        for r in await Registration.select(Registration.id, Registration.pd_hours_awarded_tenths).where(
            Registration.offering == offering_id
        )
    }
    entries: list[RosterOverviewRow] = []
    for line in lines:
        result = evaluate(offering, offering["sessions"], marks.get(line["registration_id"], {}))
        entries.append(
            RosterOverviewRow(
                **line,
                present=result.sessions_present,
                attended_tenths=result.attended_tenths,
                rule_met=result.met,
                awarded_tenths=awards.get(line["registration_id"]),
            )
        )
    confirmed = [e["registration_id"] for e in entries if e["status"] == S.CONFIRMED]
    session_counts = {}
    for session in offering["sessions"]:
        statuses = [marks.get(rid, {}).get(session["id"]) for rid in confirmed]
        session_counts[session["id"]] = {key: statuses.count(key) for key in ATTENDANCE_STATUSES}
        session_counts[session["id"]]["unmarked"] = statuses.count(None)
    return RosterOverview(offering, entries, seats, session_counts)


# --- Mark everyone present ------------------------------------------------------------------


async def mark_all_present(actor: Actor, offering_id: int, session_id: int, now: dt.datetime | None = None) -> int:
    """Everyone confirmed who has no mark yet for the session becomes present; returns how many.

    Marks already set (an absence, an excuse) are kept: staff use this at the start of a session and then
    untick the few who are missing; a second press must not undo those marks.
    """
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id)
    now = now or utc_now()
    async with write_transaction():
        offering = await lock_offering(offering_id)
        check_can_take_attendance(offering)
        await _scheduled_session(offering_id, session_id)
        people = await confirmed_people(offering_id)
        marks = await session_marks(session_id)
        unmarked = [person["id"] for person in people if person["id"] not in marks]
        for registration_id in unmarked:
            await _upsert(session_id, registration_id, "present", actor.id, now)
        if offering["status"] == "completed":
            for registration_id in unmarked:
                await recompute_registration(offering, registration_id, now, actor.id)
    return len(unmarked)


# --- Check-in at the door (QR code) -------------------------------------------------------------


@dataclass(frozen=True)
class DoorSession:
    offering: dict
    session: dict
    opens_at: dt.datetime
    closes_at: dt.datetime


async def door_session(session_id: int) -> DoorSession:
    """A scheduled session of a workshop that takes attendance, with its check-in window."""
    from booking.scheduling.door_codes import window_of

    check_ids(session_id)
    session = (
        await OfferingSession.select()
        .where((OfferingSession.id == session_id) & (OfferingSession.status == "scheduled"))
        .first()
    )
    if session is None:
        raise NotFound("No such session. Scan the code at the door again, or ask the staff at the door.")
    offering = (
        await Offering.select(Offering.id, Offering.title, Offering.status, Offering.kind)
        .where(Offering.id == session["offering"])
        .first()
    )
    if offering is None or offering["status"] not in ("published", "completed"):
        raise NotFound("No such session. Scan the code at the door again, or ask the staff at the door.")
    opens_at, closes_at = window_of(session)
    return DoorSession(offering, session, opens_at, closes_at)


def _window_problem(door: DoorSession, now: dt.datetime) -> Conflict | None:
    if now < door.opens_at:
        return Conflict(
            f"Check-in for this session opens at {to_local(door.opens_at):%-I:%M %p on %a %b %-d}, "
            "30 minutes before it starts.",
            code="check_in_not_open",
        )
    if now > door.closes_at:
        return Conflict(
            "This session has ended, so check-in is closed. Ask the workshop's staff to mark you present.",
            code="check_in_closed",
        )
    return None


def _code_error(problem: str) -> DomainError:
    if problem == "expired":
        return Conflict(
            "This check-in code has expired: the code at the door changes every few minutes. "
            "Scan the code at the door again.",
            code="check_in_code_expired",
        )
    return NotFound("This check-in code is not valid. Scan the code at the door again.")


@dataclass(frozen=True)
class CheckIn:
    door: DoorSession
    name: str
    already: bool


async def check_in_preview(actor: Actor, session_id: int, code: str, now: dt.datetime | None = None) -> DoorSession:
    """What the scanned code is for, refused early (expired code, closed window) so nobody taps in vain."""
    from booking.scheduling.door_codes import code_problem

    now = now or utc_now()
    door = await door_session(session_id)
    problem = code_problem(session_id, code, now)
    if problem:
        raise _code_error(problem)
    if (error := _window_problem(door, now)) is not None:
        raise error
    return door


async def check_in(actor: Actor, session_id: int, code: str, now: dt.datetime | None = None) -> CheckIn:
    """Mark the signed-in person present for the session, once, during its window, if confirmed."""
    from booking.scheduling.door_codes import code_problem

    now = now or utc_now()
    door = await door_session(session_id)
    problem = code_problem(session_id, code, now)
    if problem:
        raise _code_error(problem)
    async with write_transaction():
        offering = await lock_offering(door.offering["id"])
        check_can_take_attendance(offering)
        door = await door_session(session_id)  # re-read under the lock: a session cancelled meanwhile
        if (error := _window_problem(door, now)) is not None:
            raise error
        registrations = (
            await Registration.select(Registration.id, Registration.status)
            .where((Registration.offering == offering["id"]) & (Registration.attendee == actor.id))
            .order_by(Registration.id)
        )
        confirmed = [r for r in registrations if r["status"] == S.CONFIRMED]
        if not confirmed:
            live = [r for r in registrations if r["status"] != S.CANCELLED]
            if live:
                raise Conflict(
                    f"You are {REGISTRATION_STATUS_LABELS.get(live[0]['status'], live[0]['status'])} for "
                    f"“{offering['title']}”: only confirmed registrations check in. Ask the staff at the door.",
                    code="not_confirmed",
                )
            raise Forbidden(
                f"You are not registered for “{offering['title']}”, so you cannot check in. Ask the staff at the door."
            )
        registration_id = confirmed[0]["id"]
        existing = (
            await Attendance.select(Attendance.status)
            .where((Attendance.session == session_id) & (Attendance.registration == registration_id))
            .first()
        )
        if existing is not None and existing["status"] == "present":
            return CheckIn(door, actor.name, already=True)
        # Recorded like a tap on the staff sheet; recorded_by is the person who checked in.
        await _upsert(session_id, registration_id, "present", actor.id, now)
        if offering["status"] == "completed":
            await recompute_registration(offering, registration_id, now, actor.id)
    return CheckIn(door, actor.name, already=False)


async def door_screen(actor: Actor, offering_id: int, session_id: int) -> tuple[DoorSession, dict[str, int]]:
    """The staff screen at the door: the session and how many have checked in."""
    actor.require("staff", STAFF_ONLY)
    check_ids(offering_id, session_id)
    door = await door_session(session_id)
    if door.offering["id"] != offering_id:
        raise NotFound("No such session of this workshop.")
    people = await confirmed_people(offering_id)
    return door, count_marks(people, await session_marks(session_id))
