"""Students' medical and dietary notes are kept only as long as the week needs them.

Notes of Sly Park weeks that ended more than N days ago (the setting
BOOKING_STUDENT_DATA_RETENTION_DAYS, default 60) are emptied; the students stay (names, cabins, hiking
groups: rosters and invoices still add up); the family health forms of those weeks (every version) and
their links are deleted. What was removed is left as counts, in the audit trail (one entry per booking:
how many students had medical notes, how many dietary needs, how many family forms). Run by the
worker on its timed pass and by `booking purge-student-data`; running it again removes nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from booking.audit.trail import record
from booking.clock import to_local, utc_now
from booking.db import write_transaction
from booking.errors import InvalidInput
from booking.settings import current_settings
from booking.slypark.tables import Booking, FamilyForm, FamilyLink, Student, Week

MAX_RETENTION_DAYS = 3650


@dataclass
class PurgeResult:
    older_than_days: int
    weeks: int = 0
    bookings: int = 0
    students_with_medical_notes: int = 0
    students_with_dietary_needs: int = 0
    family_forms: int = 0
    per_booking: dict[int, dict] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"Sly Park weeks that ended more than {self.older_than_days} days ago: {self.weeks}",
            f"bookings with notes removed: {self.bookings}",
            f"students whose medical notes were removed: {self.students_with_medical_notes}",
            f"students whose dietary needs were removed: {self.students_with_dietary_needs}",
            f"family health forms removed (every version): {self.family_forms}",
        ]


def retention_days(value: int | None = None) -> int:
    days = current_settings().student_data_retention_days if value is None else value
    if not 0 <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput({"older_than_days": f"Give a number of days from 0 to {MAX_RETENTION_DAYS}."})
    return days


async def purge_student_notes(
    older_than_days: int | None = None, *, now: dt.datetime | None = None, actor_id: int | None = None
) -> PurgeResult:
    days = retention_days(older_than_days)
    now = now or utc_now()
    last_day = to_local(now).date() - dt.timedelta(days=days)  # weeks that ended before this day
    result = PurgeResult(older_than_days=days)
    async with write_transaction():
        weeks = await Week.select(Week.id).where(Week.ends_on < last_day)
        result.weeks = len(weeks)
        if not weeks:
            return result
        bookings = await Booking.select(
            Booking.id, Booking.district, Booking.week.starts_on.as_alias("starts_on")
        ).where(Booking.week.is_in([w["id"] for w in weeks]))
        if not bookings:
            return result
        by_id = {b["id"]: b for b in bookings}
        students = await Student.select(
            Student.id, Student.booking, Student.medical_notes, Student.dietary_needs
        ).where(Student.booking.is_in(list(by_id)) & ((Student.medical_notes != "") | (Student.dietary_needs != "")))
        forms = await FamilyForm.select(FamilyForm.booking).where(FamilyForm.booking.is_in(list(by_id)))
        for student in students:
            counts = result.per_booking.setdefault(
                student["booking"], {"medical_notes": 0, "dietary_needs": 0, "family_forms": 0}
            )
            counts["medical_notes"] += bool(student["medical_notes"].strip())
            counts["dietary_needs"] += bool(student["dietary_needs"].strip())
        for form in forms:
            result.per_booking.setdefault(form["booking"], {"medical_notes": 0, "dietary_needs": 0, "family_forms": 0})[
                "family_forms"
            ] += 1
        if not result.per_booking:
            return result
        await Student.update({Student.medical_notes: "", Student.dietary_needs: ""}).where(
            Student.booking.is_in(list(result.per_booking))
            & ((Student.medical_notes != "") | (Student.dietary_needs != ""))
        )
        await FamilyForm.delete().where(FamilyForm.booking.is_in(list(by_id)))
        await FamilyLink.delete().where(FamilyLink.booking.is_in(list(by_id)))
        for booking_id, counts in sorted(result.per_booking.items()):
            booking = by_id[booking_id]
            await record(
                "student_notes.purged",
                actor_id=actor_id,
                subject=f"Sly Park booking {booking_id} (week of {booking['starts_on'].isoformat()})",
                district_id=booking["district"],
                detail={
                    "students_with_medical_notes": counts["medical_notes"],
                    "students_with_dietary_needs": counts["dietary_needs"],
                    "family_forms": counts["family_forms"],
                    "older_than_days": days,
                },
            )
        result.bookings = len(result.per_booking)
        result.students_with_medical_notes = sum(c["medical_notes"] for c in result.per_booking.values())
        result.students_with_dietary_needs = sum(c["dietary_needs"] for c in result.per_booking.values())
        result.family_forms = sum(c["family_forms"] for c in result.per_booking.values())
    return result
