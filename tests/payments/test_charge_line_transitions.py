"""The charge line's one lifecycle, the stored state behind invoices and credit notes (issue 13, item 1): every
move outside the table is refused and changes nothing, lines no longer in the expected status are left alone,
and no other module writes the status. On both engines."""

from __future__ import annotations

import pathlib
import re

import pytest

from booking.clock import utc_now
from booking.errors import Conflict
from booking.payments.charge_line_lifecycle import ALLOWED, LABELS, ChargeLineStatus, move_charge_lines
from booking.payments.tables import CHARGE_LINE_STATUSES, ChargeLine
from tests.payments.money_factory import district_billed_seats

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "booking"


def test_the_enum_keeps_the_stored_strings_and_closed_lines_are_final():
    assert tuple(status.value for status in ChargeLineStatus) == CHARGE_LINE_STATUSES
    assert set(LABELS) == set(ChargeLineStatus) == set(ALLOWED)
    assert not ALLOWED[ChargeLineStatus.WITHDRAWN] and not ALLOWED[ChargeLineStatus.CREDITED]


async def test_every_move_outside_the_table_is_refused_and_lines_elsewhere_are_left_alone(db):
    await district_billed_seats(2)
    first, second = [row["id"] for row in await ChargeLine.select(ChargeLine.id).order_by(ChargeLine.id)]
    before = await ChargeLine.select().order_by(ChargeLine.id)
    for from_status in ChargeLineStatus:
        for to_status in ChargeLineStatus:
            if to_status not in ALLOWED[from_status]:
                with pytest.raises(Conflict) as refused:
                    await move_charge_lines([first, second], from_status, to_status, utc_now())
                assert refused.value.code == "charge_transition_not_allowed"
    assert await ChargeLine.select().order_by(ChargeLine.id) == before
    # An allowed move touches only the lines still in the status the caller expects.
    assert await move_charge_lines([first], ChargeLineStatus.OPEN, ChargeLineStatus.WITHDRAWN, utc_now()) == [first]
    assert await move_charge_lines([first, second], ChargeLineStatus.OPEN, ChargeLineStatus.WITHDRAWN, utc_now()) == [
        second
    ]
    rows = await ChargeLine.select().order_by(ChargeLine.id)
    assert [row["status"] for row in rows] == ["withdrawn", "withdrawn"] and all(row["closed_at"] for row in rows)


def test_only_the_lifecycle_module_writes_a_charge_lines_status():
    writers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bChargeLine\.status\s*:", path.read_text())
    )
    assert writers == ["payments/charge_line_lifecycle.py"]
