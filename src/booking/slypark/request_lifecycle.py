"""The one lifecycle of a Sly Park week request: its statuses, their words, the moves allowed, and the one
function that moves it. No other module writes `WeekRequest.status` (a request is filed as submitted).

  submitted ──allocation published──> offered | unplaced;   submitted ──coordinator withdraws──> withdrawn
  offered ──accept / decline / deadline passes──> accepted | declined | expired
  offered, accepted ──its week closed, moved to another week──> offered (a new offer)
Unplaced, declined, expired and withdrawn are final: a school that still wants a week books remaining beds.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from booking.errors import Conflict
from booking.slypark.tables import WeekRequest
from booking.status_table import StatusTable


class RequestStatus(StrEnum):
    # The stored strings, unchanged (slypark.tables.REQUEST_STATUSES).
    SUBMITTED = "submitted"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    UNPLACED = "unplaced"
    WITHDRAWN = "withdrawn"


S = RequestStatus
LABELS = {
    S.SUBMITTED: "Waiting for allocation",
    S.OFFERED: "Offered",
    S.ACCEPTED: "Accepted",
    S.DECLINED: "Declined",
    S.EXPIRED: "Offer expired",
    S.UNPLACED: "No week found",
    S.WITHDRAWN: "Withdrawn",
}
ALLOWED: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.SUBMITTED: frozenset({S.OFFERED, S.UNPLACED, S.WITHDRAWN}),
    S.OFFERED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.OFFERED}),
    S.ACCEPTED: frozenset({S.OFFERED}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.UNPLACED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


TABLE = StatusTable(RequestStatus, LABELS, ALLOWED, thing="A week request", code="request_transition_not_allowed")
may_move = TABLE.may_move


async def current_request(request_id: int) -> dict[str, Any] | None:
    """The request's id and status as stored now (inside the caller's locked transaction)."""
    return await WeekRequest.select(WeekRequest.id, WeekRequest.status).where(WeekRequest.id == request_id).first()


async def move_request(request: dict[str, Any], to_status: RequestStatus, now: dt.datetime) -> None:
    """Move a request from the status the caller read to `to_status`. Refused with a Conflict when the table does
    not allow it, or when the stored status changed since it was read (nothing is changed then)."""
    from_status = request["status"]
    TABLE.refuse_unless_allowed(from_status, to_status)
    moved = (
        await WeekRequest.update({WeekRequest.status: to_status.value, WeekRequest.updated_at: now})
        .where((WeekRequest.id == request["id"]) & (WeekRequest.status == from_status))
        .returning(WeekRequest.id)
    )
    if not moved:
        raise Conflict("This request changed meanwhile; reload the page.", code="request_changed")
