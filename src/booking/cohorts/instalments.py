"""Tuition split into payments on a monthly schedule: the lines payments and invoicing take up later."""

from __future__ import annotations

import datetime as dt

from booking.cohorts.tables import TuitionInstalment
from booking.fields import is_ascii_digits


def allowed_counts(options: str) -> list[int]:
    parts = [part.strip() for part in (options or "1").split(",")]
    counts = sorted({int(part) for part in parts if is_ascii_digits(part) and len(part) < 3 and 1 <= int(part) <= 12})
    return counts or [1]


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # The 31st falls back to the month's last day.
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def schedule(total_cents: int, count: int, first_due: dt.date) -> list[tuple[dt.date, int]]:
    """`count` monthly payments adding up exactly to the total; odd cents go on the first."""
    count = max(1, count)
    base, remainder = divmod(total_cents, count)
    return [(add_months(first_due, index), base + (remainder if index == 0 else 0)) for index in range(count)]


async def create_instalments(
    application: dict, registration_id: int, total_cents: int, first_due: dt.date
) -> list[int]:
    """Inside the accepting transaction: what is owed and when, so nothing has to be entered again."""
    if total_cents <= 0:
        return []
    plan = schedule(total_cents, application["instalments"], first_due)
    rows = await TuitionInstalment.insert(
        *[
            TuitionInstalment(
                application=application["id"],
                registration=registration_id,
                number=number,
                of_count=len(plan),
                due_on=due_on,
                amount_cents=amount,
                payer=application["payer"],
                payer_user=application["applicant"] if application["payer"] == "participant" else None,
                district=application["district"] if application["payer"] == "district" else None,
                po_number=application["po_number"],
            )
            for number, (due_on, amount) in enumerate(plan, start=1)
        ]
    ).returning(TuitionInstalment.id)
    return [row["id"] for row in rows]


async def cancel_owed_instalments(application_id: int) -> int:
    rows = (
        await TuitionInstalment.update({TuitionInstalment.status: "cancelled"})
        .where((TuitionInstalment.application == application_id) & (TuitionInstalment.status == "owed"))
        .returning(TuitionInstalment.id)
    )
    return len(rows)


async def instalments_of(application_id: int) -> list[dict]:
    return (
        await TuitionInstalment.select()
        .where(TuitionInstalment.application == application_id)
        .order_by(TuitionInstalment.number)
    )
