"""The one lifecycle of a charge line, the stored state behind invoices and credit notes: its statuses, their
words, the moves allowed, and the one function that moves lines. No other module writes `ChargeLine.status`.

  open ──issued on an invoice──> invoiced ──credited in full by a credit note──> credited
  open ──its source cancelled before invoicing──> withdrawn
Withdrawn and credited are final: a charge owed again (a re-opened void) is a new open line.

Invoices and credit notes themselves are immutable documents with no stored status: an invoice's state
(open, partly paid, paid, cancelled by credit note) is derived from the payments and credit notes added to
it (payments.balances.STATE_LABELS).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from piccolo.columns import Column

from booking.payments.tables import ChargeLine
from booking.status_table import StatusTable


class ChargeLineStatus(StrEnum):
    # The stored strings, unchanged (payments.tables.CHARGE_LINE_STATUSES).
    OPEN = "open"
    INVOICED = "invoiced"
    WITHDRAWN = "withdrawn"
    CREDITED = "credited"


S = ChargeLineStatus
LABELS = {
    S.OPEN: "Waiting to be invoiced",
    S.INVOICED: "Invoiced",
    S.WITHDRAWN: "Withdrawn before invoicing",
    S.CREDITED: "Credited",
}
ALLOWED: dict[ChargeLineStatus, frozenset[ChargeLineStatus]] = {
    S.OPEN: frozenset({S.INVOICED, S.WITHDRAWN}),
    S.INVOICED: frozenset({S.CREDITED}),
    S.WITHDRAWN: frozenset(),
    S.CREDITED: frozenset(),
}
# What each move stamps.
CLOSING = {S.WITHDRAWN, S.CREDITED}


TABLE = StatusTable(ChargeLineStatus, LABELS, ALLOWED, thing="A charge", code="charge_transition_not_allowed")
may_move = TABLE.may_move


async def move_charge_lines(
    ids: list[int], from_status: ChargeLineStatus, to_status: ChargeLineStatus, now: dt.datetime, **columns: Any
) -> list[int]:
    """Move the lines among `ids` that are still `from_status` to `to_status`; returns the ids moved.

    A move the table forbids is refused (Conflict). Lines no longer in `from_status` are left as they are: the
    caller compares what comes back with what it asked for, where that matters."""
    TABLE.refuse_unless_allowed(from_status, to_status)
    if not ids:
        return []
    values: dict[Column | str, Any] = {ChargeLine.status: to_status.value}
    if to_status in CLOSING:
        values[ChargeLine.closed_at] = now
    values.update({getattr(ChargeLine, name): value for name, value in columns.items()})
    moved = (
        await ChargeLine.update(values)
        .where(ChargeLine.id.is_in(list(ids)) & (ChargeLine.status == from_status.value))
        .returning(ChargeLine.id)
    )
    return [row["id"] for row in moved]
