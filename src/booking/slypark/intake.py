"""Per-student intake for a Sly Park booking: entered in a grid or imported from a CSV file.

Who: the booking's own district coordinator and SCOE staff, nobody else (finance, attendees and other
districts never reach a student list, so medical notes stay with the district and the center's staff).
Saving the grid or importing a file REPLACES the booking's student list, in one transaction: one bad row
and nothing changes. (Replacing makes re-uploading a corrected file safe; cabin and hiking-group
assignments are made again by staff after the list changes.)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.audit.trail import record_by
from booking.csv_files import CsvFile, csv_text, defuse
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput
from booking.slypark.bookings import get_booking
from booking.slypark.tables import Booking, Student

MAX_FILE_BYTES = 1_000_000
MAX_STUDENTS = 400
MAX_REPORTED = 50
LIMITS = {"first_name": 100, "last_name": 100, "dietary_needs": 500, "medical_notes": 2000}
FIELDS = ("first_name", "last_name", "gender", "dietary_needs", "medical_notes")
GENDER_WORDS = {
    "boy": "boy",
    "b": "boy",
    "m": "boy",
    "male": "boy",
    "girl": "girl",
    "g": "girl",
    "f": "girl",
    "female": "girl",
}
HEADERS = {
    "first_name": {"first name", "first", "firstname", "given name"},
    "last_name": {"last name", "last", "lastname", "surname", "family name"},
    "gender": {"gender", "sex", "boy/girl"},
    "dietary_needs": {"dietary needs", "dietary", "diet", "dietary need", "food", "allergies"},
    "medical_notes": {"medical notes", "medical", "medical note", "health", "medical needs"},
}
LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "dietary_needs": "dietary needs",
    "medical_notes": "medical notes",
}


@dataclass(frozen=True)
class StudentInput:
    first_name: str = ""
    last_name: str = ""
    gender: str = ""
    dietary_needs: str = ""
    medical_notes: str = ""

    def is_blank(self) -> bool:
        return not any(getattr(self, name).strip() for name in FIELDS)


def may_see_students(actor: Actor, booking: dict) -> bool:
    """The booking's own district coordinator, or staff. Finance sees bookings, never students."""
    return actor.is_staff or (actor.is_coordinator and actor.district_id == booking["district"])


async def _booking_for(actor: Actor, booking_id: int) -> dict:
    booking = await get_booking(actor, booking_id)  # another district's booking: NotFound
    if not may_see_students(actor, booking):
        raise Forbidden("Only the school district's coordinator and Sly Park staff see the students of a booking.")
    return booking


async def booking_with_students(actor: Actor, booking_id: int) -> dict:
    """The booking, for those who may see its students' data (the family health forms follow the same rule)."""
    return await _booking_for(actor, booking_id)


def check_students(rows: list[tuple[int, StudentInput]]) -> tuple[list[dict], dict[int, dict[str, str]]]:
    """Clean rows, and the problems by row number (field → message). Blank rows are skipped."""
    clean: list[dict] = []
    problems: dict[int, dict[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        if row.is_blank():
            continue
        values = {name: " ".join(getattr(row, name).split()) for name in FIELDS if name != "medical_notes"}
        values["medical_notes"] = row.medical_notes.strip()
        errors: dict[str, str] = {}
        for name in ("first_name", "last_name"):
            if not values[name]:
                errors[name] = f"missing {LABELS[name]}"
        gender = GENDER_WORDS.get(values["gender"].lower())
        if gender is None:
            errors["gender"] = (
                f"unknown gender “{values['gender'][:20]}”: write boy or girl"
                if values["gender"]
                else "missing gender: write boy or girl"
            )
        for name, limit in LIMITS.items():
            if len(values[name]) > limit:
                errors[name] = f"{LABELS[name]} too long (at most {limit} characters)"
        key = (values["first_name"].lower(), values["last_name"].lower())
        if not errors.get("first_name") and not errors.get("last_name"):
            if key in seen:
                errors["first_name"] = (
                    f"duplicate student: {values['first_name']} {values['last_name']} is already on row {seen[key]}"
                )
            else:
                seen[key] = number
        if errors:
            problems[number] = errors
        else:
            clean.append({**values, "gender": gender})
    if len(clean) > MAX_STUDENTS:
        problems.setdefault(rows[-1][0], {})["first_name"] = f"more than {MAX_STUDENTS} students"
    return clean, problems


async def _replace(actor: Actor, booking_id: int, clean: list[dict]) -> int:
    async with write_transaction():
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await _booking_for(actor, booking_id)
        if booking["status"] not in ("offered", "confirmed"):
            raise Conflict("This booking is no longer active: its student list cannot change.", code="booking_closed")
        await Student.delete().where(Student.booking == booking_id)
        if clean:
            await Student.insert(*[Student(booking=booking_id, **row) for row in clean])
    return len(clean)


async def save_grid(actor: Actor, booking_id: int, rows: list[StudentInput]) -> int:
    """The grid as typed becomes the student list. Errors are keyed "<field>-<row index>" for the grid's fields."""
    await _booking_for(actor, booking_id)
    clean, problems = check_students(list(enumerate(rows)))
    if problems:
        errors = {}
        for index, fields in problems.items():
            for name, message in fields.items():
                errors[f"{name}-{index}"] = f"Row {index + 1}: {message}."
        raise InvalidInput(
            errors,
            message=f"{len(problems)} row{'s' if len(problems) != 1 else ''} "
            f"{'have' if len(problems) != 1 else 'has'} problems. Nothing was saved.",
        )
    return await _replace(actor, booking_id, clean)


def _file_error(message: str) -> InvalidInput:
    return InvalidInput({"file": message}, message=f"{message} Nothing was imported.")


def read_csv_text(filename: str, data: bytes) -> str:
    name = (filename or "").strip().lower()
    if not name and not data:
        raise _file_error("Choose a CSV file to upload.")
    if not data:
        raise _file_error("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise _file_error("The file is larger than 1 MB.")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(
            "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → “CSV UTF-8”, "
            "then upload that file."
        )
    if not name.endswith((".csv", ".txt")) or b"\x00" in data:
        raise _file_error("Upload a CSV file (its name ends in .csv).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("The file's characters cannot be read. Save it as “CSV UTF-8” and try again.") from None


def _header_key(cell: str) -> str:
    return " ".join(cell.strip().strip("*:").replace("_", " ").replace("-", " ").lower().split())


def parse_students_csv(text: str) -> tuple[list[tuple[int, StudentInput]], dict[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, StudentInput]] = []
    problems: dict[int, list[str]] = {}
    columns: dict[str, int] | None = None
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = {}
                for index, cell in enumerate(cells):
                    key = _header_key(cell)
                    for name, names in HEADERS.items():
                        if (key in names or key == name.replace("_", " ")) and name not in columns:
                            columns[name] = index
                missing = [LABELS.get(n, n) for n in ("first_name", "last_name", "gender") if n not in columns]
                if missing:
                    raise _file_error(
                        "The first line must name the columns: first_name, last_name, gender, "
                        f"dietary_needs, medical_notes (missing: {', '.join(missing)})."
                    )
                continue
            rows.append(
                (
                    line,
                    StudentInput(
                        **{
                            name: cells[columns[name]] if name in columns and columns[name] < len(cells) else ""
                            for name in FIELDS
                        }
                    ),
                )
            )
    except csv.Error as error:
        problems.setdefault(reader.line_num, []).append(f"the line cannot be read as CSV ({error})")
    if columns is None:
        raise _file_error("The file has no lines.")
    if not rows and not problems:
        raise _file_error("The file names its columns but lists no students.")
    return rows, problems


async def import_students(actor: Actor, booking_id: int, *, filename: str, data: bytes) -> int:
    """All lines or none: any bad line is reported by its line number and nothing is imported."""
    await _booking_for(actor, booking_id)
    rows, problems = parse_students_csv(read_csv_text(filename, data))
    clean, row_problems = check_students(rows)
    for line, fields in row_problems.items():
        problems.setdefault(line, []).extend(fields.values())
    if problems:
        numbers = sorted(problems)
        errors = {f"line-{n}": f"Line {n}: {'; '.join(problems[n])}." for n in numbers[:MAX_REPORTED]}
        if len(numbers) > MAX_REPORTED:
            errors["more"] = f"… and {len(numbers) - MAX_REPORTED} more lines with problems."
        raise InvalidInput(
            errors,
            message=f"{len(numbers)} line{'s' if len(numbers) != 1 else ''} of the file "
            f"{'have' if len(numbers) != 1 else 'has'} problems. Nothing was imported.",
        )
    return await _replace(actor, booking_id, clean)


@dataclass
class Intake:
    booking: dict
    students: list[dict]
    boys: int
    girls: int
    summary: str
    warnings: list[str]


def compare(booking: dict, boys: int, girls: int) -> tuple[str, list[str]]:
    expected = booking["boys"] + booking["girls"]
    summary = f"{boys + girls} of {expected} students entered"
    warnings = []
    for label, entered, booked in (("boys", boys, booking["boys"]), ("girls", girls, booking["girls"])):
        if entered > booked:
            warnings.append(f"{entered - booked} more {label} than the booking says ({booked})")
        elif entered and entered < booked and boys + girls >= expected:
            warnings.append(f"{booked - entered} fewer {label} than the booking says ({booked})")
    return summary, warnings


async def intake_of(actor: Actor, booking_id: int) -> Intake:
    booking = await _booking_for(actor, booking_id)
    students = (
        await Student.select()
        .where(Student.booking == booking_id)
        .order_by(Student.last_name)
        .order_by(Student.first_name)
        .order_by(Student.id)
    )
    boys = sum(1 for s in students if s["gender"] == "boy")
    girls = len(students) - boys
    summary, warnings = compare(booking, boys, girls)
    return Intake(booking, students, boys, girls, summary, warnings)


def _notes_detail(students: list[dict]) -> dict:
    return {
        "students": len(students),
        "with_medical_notes": sum(1 for s in students if s["medical_notes"].strip()),
        "with_dietary_needs": sum(1 for s in students if s["dietary_needs"].strip()),
    }


async def view_intake(actor: Actor, booking_id: int) -> Intake:
    """The student grid (medical and dietary notes included), with a line in the audit trail."""
    data = await intake_of(actor, booking_id)
    async with write_transaction():
        await record_by(
            actor,
            "student_notes.viewed",
            subject=f"Sly Park booking {booking_id}",
            district_id=data.booking["district"],
            detail=_notes_detail(data.students),
        )
    return data


async def student_count(booking_id: int) -> int:
    return await Student.count().where(Student.booking == booking_id)


async def medical_csv(actor: Actor, booking_id: int) -> CsvFile:
    """For the center's nurse: students with dietary needs or medical notes only. (filename, text)."""
    intake = await intake_of(actor, booking_id)
    async with write_transaction():
        await record_by(
            actor,
            "student_notes.exported",
            subject=f"Sly Park booking {booking_id} (nurse's CSV)",
            district_id=intake.booking["district"],
            detail=_notes_detail(intake.students),
        )
    from booking.slypark.family_forms import latest_forms  # the family forms build on this module
    from booking.slypark.family_links import student_key

    forms = await latest_forms([booking_id])
    rows: list[list[str]] = []
    # The first five columns are the grid's, as before; the family's form, where it is in, adds the rest
    # (and its allergies and dietary needs replace the grid's dietary column).
    header = [
        "last_name",
        "first_name",
        "gender",
        "dietary_needs",
        "medical_notes",
        "allergies",
        "medications",
        "conditions",
        "date_of_birth",
        "emergency_contacts",
        "permission_to_treat",
        "permission_photos",
        "family_form",
    ]
    for s in intake.students:
        form = forms.get((booking_id, student_key(s["first_name"], s["last_name"])))
        if form is None:
            if s["dietary_needs"].strip() or s["medical_notes"].strip():
                rows.append(
                    [
                        defuse(s["last_name"]),
                        defuse(s["first_name"]),
                        s["gender"],
                        defuse(s["dietary_needs"]),
                        defuse(s["medical_notes"]),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "not in",
                    ]
                )
            continue
        contacts = "; ".join(
            f"{c['name']} ({c['relationship']}) {c['phone']}" if c["relationship"] else f"{c['name']} {c['phone']}"
            for c in form["contacts"]
        )
        rows.append(
            [
                defuse(s["last_name"]),
                defuse(s["first_name"]),
                form["gender"],
                defuse(form["dietary_needs"]),
                defuse(s["medical_notes"]),
                defuse(form["allergies"]),
                defuse(form["medications"]),
                defuse(form["conditions"]),
                form["date_of_birth"].isoformat(),
                defuse(contacts),
                "yes" if form["permission_to_treat"] else "no",
                "yes" if form["permission_photos"] else "no",
                f"version {form['version']} of {form['submitted_at'].date().isoformat()}",
            ]
        )
    return CsvFile(f"slypark-booking-{booking_id}-medical.csv", csv_text(header, rows))
