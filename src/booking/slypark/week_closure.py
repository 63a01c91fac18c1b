"""Staff close a lost week (staffing, weather): its schools are offered their best remaining weeks, in priority order.

In one write transaction under the closed week's lock: the week is marked closed; its confirmed
bookings and live offers are taken in priority order (their request's tier, then when the request
was submitted; bookings made without a request come after), and each is offered the first week
that has beds for its boys and girls: its request's choices in order, then the open weeks nearest
by date. The booking itself moves (students, cabin leaders and charges stay with it), becomes an
offer with a fresh deadline, and the coordinators are emailed. Only when no week can take it is it
released, and that is reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.clock import LOCAL_TZ, utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput
from booking.notifications.outbox import enqueue_email
from booking.slypark.beds import bed_use, holds_beds, lock_week
from booking.slypark.booking_lifecycle import BookingStatus, move_booking
from booking.slypark.bookings import BOOKING_COLUMNS
from booking.slypark.request_lifecycle import RequestStatus, current_request, move_request
from booking.slypark.seasons import STAFF_ONLY, get_season
from booking.slypark.tables import Booking, Week, WeekRequest
from booking.slypark.week_requests import choice_ids, coordinator_emails

NO_WEEK_REASON = "week closed, no other week had beds"


@dataclass(frozen=True)
class ClosureOutcome:
    booking_id: int
    school_name: str
    students: int
    moved_to: dict | None  # the week offered instead, or None when released


async def _priority_order(bookings: list[dict]) -> list[dict]:
    request_ids = [b["request"] for b in bookings if b["request"] is not None]
    requests = (
        {
            r["id"]: r
            for r in await WeekRequest.select(
                WeekRequest.id, WeekRequest.tier, WeekRequest.submitted_at, WeekRequest.choices
            ).where(WeekRequest.id.is_in(request_ids))
        }
        if request_ids
        else {}
    )
    far_future = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    for booking in bookings:
        booking["_request"] = requests.get(booking["request"])

    def key(booking: dict) -> tuple:
        request = booking["_request"]
        if request is None:
            return (1, 0, far_future, booking["id"])
        return (0, request["tier"], request["submitted_at"], booking["id"])

    return sorted(bookings, key=key)


def _candidates(booking: dict, closed_week: dict, open_weeks: list[dict]) -> list[dict]:
    """The request's choices in order, then every other open week, nearest the lost week first (earlier on a tie)."""
    by_id = {w["id"]: w for w in open_weeks}
    chosen = [by_id[i] for i in choice_ids(booking["_request"]["choices"]) if i in by_id] if booking["_request"] else []
    rest = sorted(
        (w for w in open_weeks if w not in chosen),
        key=lambda w: (abs((w["starts_on"] - closed_week["starts_on"]).days), w["starts_on"]),
    )
    return chosen + rest


async def close_week(actor: Actor, week_id: int, reason: str, now: dt.datetime | None = None) -> list[ClosureOutcome]:
    Actor.require(actor, "staff", STAFF_ONLY)
    now = now or utc_now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": "Say why the week is closed, for example: no staff, snow storm."})
    if len(reason) > 300:
        raise InvalidInput({"reason": "Use at most 300 characters."})
    outcomes: list[ClosureOutcome] = []
    async with write_transaction():
        week = await lock_week(week_id)
        if week["closed"]:
            raise Conflict("This week is already closed.", code="week_closed")
        season = await get_season(week["season"])
        await Week.update({Week.closed: True, Week.closed_reason: reason}).where(Week.id == week_id)
        affected = [
            b
            for b in await Booking.select(*BOOKING_COLUMNS).where(
                (Booking.week == week_id) & Booking.status.is_in(["confirmed", "offered"])
            )
            if holds_beds(b, now)
        ]
        today = now.astimezone(LOCAL_TZ).date()
        open_weeks = (
            await Week.select()
            .where((Week.season == season["id"]) & (Week.closed == False) & (Week.starts_on > today))
            .order_by(Week.starts_on)
        )
        deadline = now + dt.timedelta(days=season["offer_days"])
        for booking in await _priority_order(affected):
            target = None
            for candidate in _candidates(booking, week, open_weeks):
                await lock_week(candidate["id"])
                if (await bed_use([candidate["id"]], now))[candidate["id"]].fits(booking["boys"], booking["girls"]):
                    target = candidate
                    break
            if target is not None:
                await move_booking(
                    booking,
                    BookingStatus.OFFERED,
                    now,
                    event="moved",
                    actor_id=actor.id,
                    note=f"The week of {week['starts_on']:%B %-d, %Y} was closed ({reason}); "
                    f"offered the week of {target['starts_on']:%B %-d, %Y}.",
                    week=target["id"],
                    offer_expires_at=deadline,
                )
                if booking["request"] is not None:
                    await move_request(await current_request(booking["request"]), RequestStatus.OFFERED, now)
            else:
                await move_booking(
                    booking,
                    BookingStatus.RELEASED,
                    now,
                    event="released",
                    actor_id=actor.id,
                    note=f"{NO_WEEK_REASON} ({reason})",
                    release_reason=NO_WEEK_REASON,
                )
            outcome = ClosureOutcome(booking["id"], booking["school_name"], booking["boys"] + booking["girls"], target)
            outcomes.append(outcome)
            for coordinator in await coordinator_emails(booking["district"]):
                await enqueue_email(
                    coordinator["email"],
                    "slypark_week_closed",
                    {
                        "name": coordinator["name"],
                        "booking": booking,
                        "closed_week": week,
                        "reason": reason,
                        "new_week": target,
                        "deadline": deadline if target else None,
                    },
                )
    return outcomes
