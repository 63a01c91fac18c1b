"""A week's roster, its cabins and hiking groups: the rule, storing it, the page, the CSV, who may see it."""

from __future__ import annotations

import csv
import io
import random

from booking.slypark.charges import charges_of
from booking.slypark.rosters import assign_cabins, plan_assignment, week_roster
from booking.slypark.tables import Student, Week
from tests.factories import make_user, post_form, signed_in
from tests.slypark.slypark_factory import coordinator, make_school, make_season
from tests.slypark.test_week_closure import book, open_first_come
from tests.workshop_factory import staff_actor


def fake_students(counts: dict[int, tuple[int, int]]) -> list[dict]:
    students, next_id = [], 1
    for booking_id, (boys, girls) in counts.items():
        for gender, count in (("boy", boys), ("girl", girls)):
            for n in range(count):
                students.append(
                    {
                        "id": next_id,
                        "booking": booking_id,
                        "gender": gender,
                        "first_name": f"F{n}",
                        "last_name": f"L{(n * 7) % 13}",
                    }
                )
                next_id += 1
    return students


def test_the_rule_makes_single_gender_cabins_within_size_that_mix_schools_and_is_deterministic():
    bookings = [{"id": 1, "school_name": "Alder"}, {"id": 2, "school_name": "Birch"}, {"id": 3, "school_name": "Cedar"}]
    students = fake_students({1: (14, 9), 2: (6, 12), 3: (9, 3)})
    plan = plan_assignment(bookings, students, cabin_size=8)
    by_id = {s["id"]: s for s in students}
    assert set(plan) == set(by_id)
    cabins: dict[str, list[dict]] = {}
    groups: dict[str, list[dict]] = {}
    for student_id, (cabin, group) in plan.items():
        cabins.setdefault(cabin, []).append(by_id[student_id])
        groups.setdefault(group, []).append(by_id[student_id])
    assert sorted(cabins) == [
        "Boys 1",
        "Boys 2",
        "Boys 3",
        "Boys 4",
        "Girls 1",
        "Girls 2",
        "Girls 3",
    ]  # 29 boys, 24 girls
    for name, people in cabins.items():
        assert {p["gender"] for p in people} == {"boy" if name.startswith("Boys") else "girl"}
        assert len(people) <= 8
        assert len({p["booking"] for p in people}) >= 2, name  # every cabin mixes schools
    for gender in ("Boys", "Girls"):
        sizes = [len(people) for name, people in cabins.items() if name.startswith(gender)]
        assert max(sizes) - min(sizes) <= 1
    assert sorted(groups) == ["Group 1", "Group 2", "Group 3", "Group 4", "Group 5"]  # 53 students, groups of 10-11
    for people in groups.values():
        assert 10 <= len(people) <= 12
        assert {p["gender"] for p in people} == {"boy", "girl"} and len({p["booking"] for p in people}) >= 2
    shuffled = students[:]
    random.Random(5).shuffle(shuffled)
    assert plan_assignment(list(reversed(bookings)), shuffled, cabin_size=8) == plan


async def test_staff_see_the_roster_assign_cabins_print_and_export_without_medical_notes(client):
    staff_user = await make_user("staff")
    staff = await staff_actor()
    season = await make_season(staff, weeks=1, boys_beds=60, girls_beds=60)
    week_id = season["weeks"][0]
    await Week.update({Week.cabin_size: 4}).where(Week.id == week_id)
    egusd, sanjuan = await coordinator("EGUSD"), await coordinator("SJUSD")
    alder, birch = await make_school("EGUSD", "Alder Elementary"), await make_school("SJUSD", "Birch Elementary")
    await open_first_come(staff, season)
    a = await book(egusd, week_id, alder, 5, 4)
    b = await book(sanjuan, week_id, birch, 4, 3)
    entered = [
        ("Ava", "Zimmer", "girl", a),
        ("Ben", "Young", "boy", a),
        ("Cal", "Xu", "boy", a),
        ("Dee", "Wong", "girl", a),
        ("Eli", "Vance", "boy", a),
        ("Fay", "Uribe", "girl", b),
        ("Gus", "Tran", "boy", b),
        ("Hal", "Soto", "boy", b),
        ("Ivy", "Reyes", "girl", b),
        ("Jon", "Quinn", "boy", b),
    ]
    await Student.insert(
        *[
            Student(
                booking=booking,
                first_name=first,
                last_name=last,
                gender=gender,
                dietary_needs="Vegetarian" if first == "Ava" else "",
                medical_notes="Peanut allergy: EpiPen" if first == "Ben" else "",
            )
            for first, last, gender, booking in entered
        ]
    )
    await signed_in(client, staff_user)
    path = f"/staff/slypark/weeks/{week_id}/roster"

    response = await client.get(path)
    assert response.status_code == 200
    text = response.text
    assert "Alder Elementary" in text and "Birch Elementary" in text and "Elk Grove" in text and "San Juan" in text
    assert "2 boys and 2 girls not yet entered" in text  # Alder booked 5 boys, 4 girls; 3 boys, 2 girls entered
    assert "Peanut" not in text and "EpiPen" not in text
    assert "Assign cabins and hiking groups" in text and "@media print" not in text

    assigned = await post_form(client, f"/staff/slypark/weeks/{week_id}/assign", {}, token_from=path)
    assert assigned.status_code == 303
    rows = await Student.select(
        Student.first_name, Student.gender, Student.cabin, Student.hiking_group, Student.booking
    )
    assert all(row["cabin"] and row["hiking_group"] == "Group 1" for row in rows)
    cabins: dict[str, list[dict]] = {}
    for row in rows:
        cabins.setdefault(row["cabin"], []).append(row)
    assert sorted(cabins) == ["Boys 1", "Boys 2", "Girls 1"]  # 6 boys in cabins of 4; 4 girls
    for _name, people in cabins.items():
        assert len(people) <= 4 and len({p["gender"] for p in people}) == 1 and len({p["booking"] for p in people}) == 2
    page = (await client.get(path)).text
    assert "Boys 2" in page and "Girls 1" in page and "Assign cabins again" in page

    export = await client.get(f"/staff/slypark/weeks/{week_id}/roster.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(export.text.removeprefix("\ufeff"))))
    assert lines[0] == ["Last name", "First name", "Gender", "School", "Cabin", "Hiking group", "Dietary needs"]
    assert (
        len(lines) == 11
        and lines[-1][:4] == ["Zimmer", "Ava", "Girl", "Alder Elementary"]
        and lines[-1][6] == "Vegetarian"
    )
    assert "Peanut" not in export.text
    # Dietary needs were read and exported: each is in the audit trail, with counts, by this person.
    from booking.audit.tables import AuditEntry

    trail = (
        await AuditEntry.select(AuditEntry.kind, AuditEntry.actor_email, AuditEntry.detail)
        .where(AuditEntry.kind.is_in(["student_notes.viewed", "student_notes.exported"]))
        .order_by(AuditEntry.id)
    )
    assert [(e["kind"], e["actor_email"]) for e in trail] == [("student_notes.viewed", staff_user["email"])] * 3 + [
        ("student_notes.exported", staff_user["email"])
    ]
    assert '"with_dietary_needs": 1' in trail[-1]["detail"] and "Vegetarian" not in trail[-1]["detail"]

    billed = await post_form(client, f"/staff/slypark/weeks/{week_id}/bill-balances", {}, token_from=path)
    assert billed.status_code == 303 and "notice=slypark-balances-billed" in billed.headers["location"]
    assert [c["kind"] for c in await charges_of(a)] == [
        "deposit"
    ]  # ten weeks out: before the freeze date, no balance yet

    roster = await week_roster(staff, week_id)
    assert roster.totals["entered"] == 10 and roster.totals["missing"] == 6 and roster.unassigned == 0
    before = await Student.select(Student.id, Student.cabin, Student.hiking_group).order_by(Student.id)
    await Student.update({Student.cabin: "", Student.hiking_group: ""}, force=True)
    assert await assign_cabins(staff, week_id) == 10  # again: the same rule, the same sheet
    assert await Student.select(Student.id, Student.cabin, Student.hiking_group).order_by(Student.id) == before


async def test_coordinators_and_unknown_weeks_get_no_roster(client):
    staff = await staff_actor()
    season = await make_season(staff, weeks=1)
    await signed_in(client, await make_user("coordinator", district="EGUSD"))
    week_id = season["weeks"][0]
    assert (await client.get(f"/staff/slypark/weeks/{week_id}/roster")).status_code == 403
    assert (await client.get(f"/staff/slypark/weeks/{week_id}/roster.csv")).status_code == 403
    await signed_in(client, await make_user("staff"))
    assert (await client.get("/staff/slypark/weeks/999999/roster")).status_code == 404
