"""The one lifecycle of a cohort application: its statuses, their words, the moves allowed, and the one
function that moves it. No other module writes `CohortApplication.status`.

  draft ──submit──> submitted ──start review──> under_review
                       │  └───────────┬──────────────┘
                       │     accept / waitlist / decline
                       v              v
                  waitlisted ──accept / decline──> accepted | declined
  draft, submitted, under_review, waitlisted, accepted ──withdraw──> withdrawn

Declined and withdrawn are final: a person who wants another try starts a new application.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from piccolo.columns import Column

from booking.cohorts.tables import CohortApplication
from booking.errors import Conflict
from booking.status_table import StatusTable


class ApplicationStatus(StrEnum):
    # The stored strings, unchanged (cohorts.tables.APPLICATION_STATUSES).
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


S = ApplicationStatus
# Staff's words (the applicant's own words are in cohorts.pages.STATUS_WORDS).
LABELS = {
    S.DRAFT: "Started, not submitted",
    S.SUBMITTED: "Submitted",
    S.UNDER_REVIEW: "Under review",
    S.ACCEPTED: "Accepted",
    S.WAITLISTED: "Waitlisted",
    S.DECLINED: "Declined",
    S.WITHDRAWN: "Withdrawn",
}
ALLOWED: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.ACCEPTED, S.WAITLISTED, S.DECLINED, S.WITHDRAWN}),
    S.UNDER_REVIEW: frozenset({S.ACCEPTED, S.WAITLISTED, S.DECLINED, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


TABLE = StatusTable(
    ApplicationStatus, LABELS, ALLOWED, thing="An application", code="application_transition_not_allowed"
)
may_move = TABLE.may_move


async def move_application(
    application: dict[str, Any], to_status: ApplicationStatus, now: dt.datetime, **columns: Any
) -> None:
    """Move a (locked) application to `to_status`, with the columns that go with that move (decided_by, ...).

    Refused with a Conflict when the table does not allow it; the UPDATE also re-checks the stored status, so a
    move decided on a stale read changes nothing."""
    from_status = application["status"]
    TABLE.refuse_unless_allowed(from_status, to_status)
    values: dict[Column | str, Any] = {CohortApplication.status: to_status.value, CohortApplication.updated_at: now}
    values.update({getattr(CohortApplication, name): value for name, value in columns.items()})
    moved = (
        await CohortApplication.update(values)
        .where((CohortApplication.id == application["id"]) & (CohortApplication.status == from_status))
        .returning(CohortApplication.id)
    )
    if not moved:
        raise Conflict("This application changed meanwhile; reload the page.", code="application_changed")
