"""The one lifecycle of a scholarship request: its statuses, their words, the moves allowed, and the one function
that decides a request. No other module writes `ScholarshipRequest.status`.

  asked ──staff award all or part──> awarded
  asked ──staff award none──> declined
Both decisions are final: a coordinator who needs more asks again (a new request).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from booking.slypark.scholarship_tables import ScholarshipRequest
from booking.status_table import StatusTable


class ScholarshipStatus(StrEnum):
    # The stored strings (slypark.scholarship_tables.SCHOLARSHIP_REQUEST_STATUSES).
    ASKED = "asked"
    AWARDED = "awarded"
    DECLINED = "declined"


S = ScholarshipStatus
LABELS = {S.ASKED: "Waiting for SCOE's decision", S.AWARDED: "Awarded", S.DECLINED: "Not awarded"}
ALLOWED: dict[ScholarshipStatus, frozenset[ScholarshipStatus]] = {
    S.ASKED: frozenset({S.AWARDED, S.DECLINED}),
    S.AWARDED: frozenset(),
    S.DECLINED: frozenset(),
}
TABLE = StatusTable(
    ScholarshipStatus, LABELS, ALLOWED, thing="A scholarship request", code="scholarship_transition_not_allowed"
)
may_move = TABLE.may_move


async def decide_request(
    request: dict[str, Any], *, students: int, each_cents: int, note: str, decided_by: int | None, now: dt.datetime
) -> ScholarshipStatus:
    """Award `students` × `each_cents` (none: declined), on a row the caller holds locked."""
    to_status = S.AWARDED if students * each_cents > 0 else S.DECLINED
    TABLE.refuse_unless_allowed(request["status"], to_status)
    awarded = to_status == S.AWARDED
    await ScholarshipRequest.update(
        {
            ScholarshipRequest.status: to_status.value,
            ScholarshipRequest.awarded_students: students if awarded else 0,
            ScholarshipRequest.awarded_each_cents: each_cents if awarded else 0,
            ScholarshipRequest.awarded_cents: students * each_cents if awarded else 0,
            ScholarshipRequest.decision_note: note,
            ScholarshipRequest.decided_by: decided_by,
            ScholarshipRequest.decided_at: now,
        }
    ).where((ScholarshipRequest.id == request["id"]) & (ScholarshipRequest.status == S.ASKED.value))
    return to_status
