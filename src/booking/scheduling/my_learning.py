"""A person's own registrations, as "My learning" and the workshop page show them (read-only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from booking.accounts.actor import Actor
from booking.catalog.offerings import sessions_of
from booking.clock import utc_now
from booking.errors import NotFound
from booking.scheduling.capacity import hold_is_live
from booking.scheduling.registration import overlap_warnings
from booking.scheduling.registration_lifecycle import SEAT_STATUSES, S, what_the_attendee_may_do
from booking.scheduling.rows import LearningRow
from booking.scheduling.tables import Registration
from booking.scheduling.visibility import get_visible_registration
from booking.scheduling.waitlist import waitlist_position

# Who to ask once the attendee can no longer cancel online. TO CONFIRM with SCOE before launch.
STAFF_CONTACT = {"name": "SCOE Professional Learning", "email": "pd@scoe.net", "phone": "(916) 228-2500"}

REGISTRATION_COLUMNS = (
    Registration.all_columns(),
    Registration.offering.title.as_alias("offering_title"),
    Registration.offering.status.as_alias("offering_status"),
    Registration.offering.kind.as_alias("offering_kind"),
    Registration.offering.format.as_alias("offering_format"),
    Registration.offering.pd_hours_tenths.as_alias("pd_hours_tenths"),
    Registration.offering.cancellation_deadline.as_alias("cancellation_deadline"),
    Registration.attendee.name.as_alias("attendee_name"),
    Registration.attendee.email.as_alias("attendee_email"),
)


@dataclass
class MyLearning:
    upcoming: list[LearningRow] = field(default_factory=list)  # confirmed and live holds
    waiting: list[LearningRow] = field(default_factory=list)
    ended: list[LearningRow] = field(default_factory=list)  # cancelled, declined, holds that ran out
    finished: int = 0  # confirmed registrations whose workshop is over (they live on the transcript)


def _decorate(row: dict[str, Any], sessions: list[dict], now: dt.datetime) -> LearningRow:
    row["sessions"] = sessions
    row["hold_live"] = hold_is_live(row, now)
    # The status's label and what it allows (is_confirmed, awaits_payment, on_calendar, can_pay, ...): templates
    # read these instead of comparing status strings.
    row.update(what_the_attendee_may_do(row, now))
    deadline = row["cancellation_deadline"]
    row["deadline_passed"] = deadline is not None and now > deadline
    # Leaving a waiting list frees nobody's seat, so its deadline does not apply.
    row["can_cancel"] = row["status"] == S.WAITLISTED or (
        row["status"] in SEAT_STATUSES and not row["hold_expired"] and not row["deadline_passed"]
    )
    row["is_over"] = bool(sessions) and sessions[-1]["ends_at"] <= now
    row["offering_path"] = f"/{'cohorts' if row['offering_kind'] == 'cohort' else 'workshops'}/{row['offering']}"
    if row["offering_kind"] == "cohort":
        row["can_cancel"] = False  # a cohort place ends by withdrawing the application, which refills it from the list
    return cast(LearningRow, row)


async def my_learning(actor: Actor, now: dt.datetime | None = None) -> MyLearning:
    now = now or utc_now()
    rows = (
        await Registration.select(*REGISTRATION_COLUMNS)
        .where(Registration.attendee == actor.id)
        .order_by(Registration.created_at, ascending=False)
    )
    sessions = await sessions_of(list({row["offering"] for row in rows}))
    by_offering: dict[int, list[dict]] = {}
    for session in sessions:
        by_offering.setdefault(session["offering"], []).append(session)
    result = MyLearning()
    for selected in rows:
        row = _decorate(selected, by_offering.get(selected["offering"], []), now)
        if actor.role == "finance":
            row["can_cancel"] = False  # finance reads registrations but does not cancel them
        if row["has_ended"]:
            result.ended.append(row)
        elif row["status"] == S.WAITLISTED:
            row["waitlist_position"] = await waitlist_position(row)
            result.waiting.append(row)
        elif row["is_over"]:
            result.finished += 1
        else:
            result.upcoming.append(row)
    first_start = lambda row: row["sessions"][0]["starts_at"] if row["sessions"] else now  # noqa: E731 - a one-line sort key, read where it is used
    result.upcoming.sort(key=first_start)
    result.waiting.sort(key=first_start)
    return result


async def current_registration(
    actor: Actor | None, offering_id: int, now: dt.datetime | None = None
) -> LearningRow | None:
    """The person's live registration for this offering (an expired hold no longer counts), or None."""
    if actor is None:
        return None
    now = now or utc_now()
    rows = await Registration.select(*REGISTRATION_COLUMNS).where(
        (Registration.attendee == actor.id)
        & (Registration.offering == offering_id)
        & (Registration.status != S.CANCELLED.value)
    )
    for selected in rows:
        row = _decorate(selected, [], now)
        if row["hold_expired"]:
            continue
        row["waitlist_position"] = await waitlist_position(row)
        return row
    return None


async def registration_details(actor: Actor, registration_id: int, now: dt.datetime | None = None) -> LearningRow:
    """One registration the actor may see (404 otherwise), with its sessions, position and overlaps."""
    now = now or utc_now()
    await get_visible_registration(actor, registration_id)
    selected = await Registration.select(*REGISTRATION_COLUMNS).where(Registration.id == registration_id).first()
    if selected is None:
        raise NotFound("No such registration.")
    row = _decorate(selected, await sessions_of([selected["offering"]]), now)
    row["waitlist_position"] = await waitlist_position(row)
    row["is_self"] = row["attendee"] == actor.id
    if actor.role == "finance":
        row["can_cancel"] = False  # finance reads registrations but does not cancel them
    elif (
        actor.is_staff
        and row["offering_kind"] != "cohort"
        and row["status"] in SEAT_STATUSES
        and not row["hold_expired"]
    ):
        row["can_cancel"] = True  # staff may cancel after the deadline
    row["warnings"] = [] if row["status"] == S.CANCELLED else await overlap_warnings(row["attendee"], row["offering"])
    return row
