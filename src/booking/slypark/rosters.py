"""A week's roster for staff: the confirmed schools, their students, cabins and hiking groups.

Occupancy by week (beds used per gender) is on the staff season page, /staff/slypark/{season_id}.

The cabin and hiking-group rule (deterministic: the same students give the same sheet):

1. Students of each gender are taken school by school (a school = one confirmed booking, schools
   ordered by name then booking number); within a school they are sorted by last name, first
   name, then entry order.
2. The schools are interleaved round-robin: the first student of each school, then the second of
   each, and so on, so neighbours in the line come from different schools.
3. Cabins are single-gender, at most `week.cabin_size` students each. A gender with n students
   gets ceil(n / cabin_size) cabins, and the interleaved line is cut into that many consecutive
   pieces whose sizes differ by at most one ("Boys 1", "Boys 2"..., "Girls 1"...). A consecutive
   piece of an interleaved line mixes the schools as evenly as their numbers allow.
4. Hiking groups mix genders and schools the same way: the boys' line and the girls' line are
   interleaved (boy, girl, boy...), and that line is cut into ceil(n / 12) consecutive pieces of
   near-equal size (so 10-12 students each on a full week), numbered "Group 1", "Group 2"...

Medical notes are never on this sheet: the nurse's export is separate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.audit.trail import record_by
from booking.csv_files import CsvFile, to_csv
from booking.db import write_transaction
from booking.errors import NotFound
from booking.fields import is_ascii_digits
from booking.slypark.beds import lock_week
from booking.slypark.bookings import BOOKING_COLUMNS
from booking.slypark.family_forms import dietary_line, latest_forms
from booking.slypark.family_links import student_key
from booking.slypark.seasons import STAFF_ONLY, get_season
from booking.slypark.tables import Booking, CabinLeader, Student, Week

HIKING_GROUP_SIZE = 12
GENDER_CABIN = {"boy": "Boys", "girl": "Girls"}


def _pieces(line: list, size: int) -> list[list]:
    """Cut `line` into the fewest consecutive pieces of at most `size`, their sizes differing by at most one."""
    if not line:
        return []
    count = -(-len(line) // size)
    base, extra = divmod(len(line), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        pieces.append(line[start:end])
        start = end
    return pieces


def _interleave(lines: list[list]) -> list:
    out = []
    for position in range(max((len(line) for line in lines), default=0)):
        out.extend(line[position] for line in lines if position < len(line))
    return out


def plan_assignment(
    bookings: list[dict], students: list[dict], cabin_size: int, group_size: int = HIKING_GROUP_SIZE
) -> dict[int, tuple[str, str]]:
    """Student id -> (cabin, hiking group), by the rule in this module's docstring. Pure."""
    school_order = sorted(bookings, key=lambda b: (b["school_name"].casefold(), b["id"]))
    by_gender: dict[str, list[int]] = {}
    for gender in ("boy", "girl"):
        lines = []
        for booking in school_order:
            own = [s for s in students if s["booking"] == booking["id"] and s["gender"] == gender]
            own.sort(key=lambda s: (s["last_name"].casefold(), s["first_name"].casefold(), s["id"]))
            lines.append([s["id"] for s in own])
        by_gender[gender] = _interleave(lines)
    plan: dict[int, list[str]] = {}
    for gender, line in by_gender.items():
        for number, piece in enumerate(_pieces(line, max(1, cabin_size)), start=1):
            for student_id in piece:
                plan[student_id] = [f"{GENDER_CABIN[gender]} {number}", ""]
    for number, piece in enumerate(_pieces(_interleave([by_gender["boy"], by_gender["girl"]]), group_size), start=1):
        for student_id in piece:
            plan[student_id][1] = f"Group {number}"
    return {student_id: (cabin, group) for student_id, (cabin, group) in plan.items()}


def _label_key(label: str) -> tuple:
    name, _, number = label.rpartition(" ")
    return (name, int(number)) if is_ascii_digits(number) else (label, 0)


@dataclass
class SchoolLine:
    booking: dict
    cabin_leaders: int
    entered_boys: int
    entered_girls: int

    @property
    def missing_boys(self) -> int:
        return max(0, self.booking["boys"] - self.entered_boys)

    @property
    def missing_girls(self) -> int:
        return max(0, self.booking["girls"] - self.entered_girls)


@dataclass
class WeekRoster:
    week: dict
    season: dict
    schools: list[SchoolLine]
    students: list[dict]  # with school_name; no medical notes
    cabins: list[tuple[str, list[dict]]] = field(default_factory=list)
    groups: list[tuple[str, list[dict]]] = field(default_factory=list)
    unassigned: int = 0

    @property
    def totals(self) -> dict:
        lines = self.schools
        return {
            "boys": sum(s.booking["boys"] for s in lines),
            "girls": sum(s.booking["girls"] for s in lines),
            "teachers": sum(s.booking["teachers"] for s in lines),
            "cabin_leaders": sum(s.cabin_leaders for s in lines),
            "entered": len(self.students),
            "missing": sum(s.missing_boys + s.missing_girls for s in lines),
        }


async def _week(week_id: int) -> dict:
    week = await Week.select().where(Week.id == week_id).first()
    if week is None:
        raise NotFound("No such week.")
    return week


async def _confirmed(week_id: int) -> list[dict]:
    return (
        await Booking.select(*BOOKING_COLUMNS)
        .where((Booking.week == week_id) & (Booking.status == "confirmed"))
        .order_by(Booking.school.name)
        .order_by(Booking.id)
    )


async def _students(booking_ids: list[int]) -> list[dict]:
    if not booking_ids:
        return []
    students = (
        await Student.select(
            Student.id,
            Student.booking,
            Student.first_name,
            Student.last_name,
            Student.gender,
            Student.dietary_needs,
            Student.cabin,
            Student.hiking_group,
        )
        .where(Student.booking.is_in(booking_ids))
        .order_by(Student.last_name)
        .order_by(Student.first_name)
        .order_by(Student.id)
    )
    # What the family wrote on the health form, where it is in, replaces what the school typed in the grid.
    forms = await latest_forms(booking_ids)
    for student in students:
        form = forms.get((student["booking"], student_key(student["first_name"], student["last_name"])))
        if form is not None:
            student["dietary_needs"] = dietary_line(form)
    return students


async def week_roster(actor: Actor, week_id: int) -> WeekRoster:
    Actor.require(actor, "staff", STAFF_ONLY)
    week = await _week(week_id)
    season = await get_season(week["season"])
    bookings = await _confirmed(week_id)
    ids = [b["id"] for b in bookings]
    students = await _students(ids)
    leaders: dict[int, int] = {}
    if ids:
        for row in await CabinLeader.select(CabinLeader.booking).where(CabinLeader.booking.is_in(ids)):
            leaders[row["booking"]] = leaders.get(row["booking"], 0) + 1
    names = {b["id"]: b["school_name"] for b in bookings}
    for student in students:
        student["school_name"] = names[student["booking"]]
    lines = [
        SchoolLine(
            b,
            leaders.get(b["id"], 0),
            sum(1 for s in students if s["booking"] == b["id"] and s["gender"] == "boy"),
            sum(1 for s in students if s["booking"] == b["id"] and s["gender"] == "girl"),
        )
        for b in bookings
    ]
    roster = WeekRoster(week, season, lines, students)
    cabins: dict[str, list[dict]] = {}
    groups: dict[str, list[dict]] = {}
    for student in students:
        if not student["cabin"]:
            roster.unassigned += 1
            continue
        cabins.setdefault(student["cabin"], []).append(student)
        if student["hiking_group"]:
            groups.setdefault(student["hiking_group"], []).append(student)
    roster.cabins = sorted(cabins.items(), key=lambda item: _label_key(item[0]))
    roster.groups = sorted(groups.items(), key=lambda item: _label_key(item[0]))
    return roster


async def assign_cabins(actor: Actor, week_id: int) -> int:
    """Store every entered student's cabin and hiking group by the rule, in one transaction. Returns students placed."""
    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        week = await lock_week(week_id)
        bookings = await _confirmed(week_id)
        students = await _students([b["id"] for b in bookings])
        plan = plan_assignment(bookings, students, week["cabin_size"])
        for student_id, (cabin, group) in plan.items():
            await Student.update({Student.cabin: cabin, Student.hiking_group: group}).where(Student.id == student_id)
    return len(plan)


def _roster_detail(roster: WeekRoster) -> dict:
    return {
        "students": len(roster.students),
        "with_dietary_needs": sum(1 for s in roster.students if s["dietary_needs"].strip()),
        "bookings": len(roster.schools),
    }


async def view_week_roster(actor: Actor, week_id: int) -> WeekRoster:
    """The week's roster (students' dietary needs included), with a line in the audit trail."""
    roster = await week_roster(actor, week_id)
    async with write_transaction():
        await record_by(
            actor,
            "student_notes.viewed",
            subject=f"Sly Park week of {roster.week['starts_on'].isoformat()} roster",
            detail=_roster_detail(roster),
        )
    return roster


async def roster_csv(actor: Actor, week_id: int) -> CsvFile:
    roster = await week_roster(actor, week_id)
    async with write_transaction():
        await record_by(
            actor,
            "student_notes.exported",
            subject=f"Sly Park week of {roster.week['starts_on'].isoformat()} roster (CSV)",
            detail=_roster_detail(roster),
        )
    rows = [
        [
            s["last_name"],
            s["first_name"],
            "Boy" if s["gender"] == "boy" else "Girl",
            s["school_name"],
            s["cabin"],
            s["hiking_group"],
            s["dietary_needs"],
        ]
        for s in roster.students
    ]
    header = ["Last name", "First name", "Gender", "School", "Cabin", "Hiking group", "Dietary needs"]
    return CsvFile(f"sly-park-week-{roster.week['starts_on'].isoformat()}-roster.csv", to_csv(header, rows))
