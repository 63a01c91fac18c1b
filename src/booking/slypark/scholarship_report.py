"""What the scholarship fund has done in a season, for staff and finance: budget, awarded, used, remaining, by
district and by school, on the page and as CSV.

Awarded is what the fund is committed to (slypark.scholarships.committed_per_request: the award until the
balance is billed, then what the fund pays on actual numbers). Used is what is on issued district invoices
(the fund's charges invoiced or paid). Remaining is the budget less what is awarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from booking.accounts.actor import Actor
from booking.csv_files import CsvFile, csv_text, defuse
from booking.money import plain_amount
from booking.slypark.scholarship_lifecycle import ScholarshipStatus
from booking.slypark.scholarship_tables import ScholarshipCharge, ScholarshipRequest
from booking.slypark.scholarships import (
    USED_CHARGE_STATUSES,
    committed_per_request,
    fund_of_season,
    require_staff_or_finance,
)
from booking.slypark.seasons import get_season

CSV_COLUMNS = (
    "season",
    "level",
    "district",
    "school",
    "requests",
    "students",
    "budget",
    "awarded",
    "used",
    "remaining",
)


@dataclass
class FundRow:
    district: str
    school: str = ""
    requests: int = 0
    students_awarded: int = 0
    awarded_cents: int = 0
    used_cents: int = 0


@dataclass
class FundReport:
    season: dict
    budget_cents: int = 0
    awarded_cents: int = 0
    used_cents: int = 0
    waiting: int = 0
    by_district: list[FundRow] = field(default_factory=list)
    by_school: list[FundRow] = field(default_factory=list)

    @property
    def remaining_cents(self) -> int:
        return self.budget_cents - self.awarded_cents


async def fund_report(actor: Actor, season_id: int) -> FundReport:
    require_staff_or_finance(actor, "see the scholarship fund")
    season = await get_season(season_id)
    report = FundReport(season)
    fund = await fund_of_season(season_id)
    if fund is None:
        return report
    report.budget_cents = fund["budget_cents"]
    requests = await ScholarshipRequest.select(
        ScholarshipRequest.id,
        ScholarshipRequest.status,
        ScholarshipRequest.awarded_students,
        ScholarshipRequest.district.name.as_alias("district_name"),
        ScholarshipRequest.school.name.as_alias("school_name"),
    ).where(ScholarshipRequest.fund == fund["id"])
    committed = await committed_per_request(fund["id"])
    used: dict[int, int] = {}
    students_paid: dict[int, int] = {}
    if requests:
        for charge in await ScholarshipCharge.select().where(
            ScholarshipCharge.request.is_in([r["id"] for r in requests]) & (ScholarshipCharge.status != "cancelled")
        ):
            students_paid[charge["request"]] = charge["students"]
            if charge["status"] in USED_CHARGE_STATUSES:
                used[charge["request"]] = used.get(charge["request"], 0) + charge["amount_cents"]
    districts: dict[str, FundRow] = {}
    schools: dict[tuple[str, str], FundRow] = {}
    for request in requests:
        if request["status"] == ScholarshipStatus.ASKED:
            report.waiting += 1
        if request["status"] != ScholarshipStatus.AWARDED:
            continue
        rows = (
            districts.setdefault(request["district_name"], FundRow(request["district_name"])),
            schools.setdefault(
                (request["district_name"], request["school_name"]),
                FundRow(request["district_name"], request["school_name"]),
            ),
        )
        for row in rows:
            row.requests += 1
            # Once settled on actual numbers, the students the fund pays for; before, the students awarded.
            row.students_awarded += students_paid.get(request["id"], request["awarded_students"])
            row.awarded_cents += committed.get(request["id"], 0)
            row.used_cents += used.get(request["id"], 0)
    report.awarded_cents = sum(committed.values())
    report.used_cents = sum(used.values())
    report.by_district = sorted(districts.values(), key=lambda row: row.district.casefold())
    report.by_school = sorted(schools.values(), key=lambda row: (row.district.casefold(), row.school.casefold()))
    return report


def report_csv(report: FundReport) -> CsvFile:
    """(file name, text with a BOM): a total row, then one row per district and per school. Typed names are defused."""
    season = defuse(report.season["name"])
    # The fund's row first (the only one with a budget and what remains), then each district, then each school.
    lines: list[list] = [
        [
            season,
            "fund",
            "",
            "",
            sum(row.requests for row in report.by_district),
            sum(row.students_awarded for row in report.by_district),
            plain_amount(report.budget_cents),
            plain_amount(report.awarded_cents),
            plain_amount(report.used_cents),
            plain_amount(report.remaining_cents),
        ]
    ]
    for level, rows in (("district", report.by_district), ("school", report.by_school)):
        for row in rows:
            lines.append(
                [
                    season,
                    level,
                    defuse(row.district),
                    defuse(row.school),
                    row.requests,
                    row.students_awarded,
                    "",
                    plain_amount(row.awarded_cents),
                    plain_amount(row.used_cents),
                    "",
                ]
            )
    slug = "".join(ch if ch.isalnum() else "-" for ch in report.season["name"]).strip("-").lower()[:60] or "season"
    return CsvFile(f"scholarship-fund-{slug}.csv", csv_text(CSV_COLUMNS, lines, bom=True))
