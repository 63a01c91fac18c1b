"""The foundation's scholarship fund: a budget per season, coordinators' requests, staff's awards, and what the
fund pays per booking.

Money rules, in one place:
- The fund's row is the lock. Setting the budget and every award lock it first (PostgreSQL: SELECT ... FOR
  UPDATE; SQLite: the writer's lock), then add up what is committed and only then write: two awards at once
  can never together pass the budget, and the budget cannot be cut below what is committed.
- Committed, per award: the award as decided until the booking's balance is billed; from then on what the fund
  actually pays (a ScholarshipCharge). An award for a booking released or cancelled before billing commits nothing.
- The award is settled on actual numbers with the balance (after the freeze date): the fund pays for
  min(students awarded, students billed) at the amount per student awarded, and never more than the balance
  itself (the deposit stays with the district). Fewer students than awarded: the award shrinks and the
  difference goes back to the fund.
- The district's invoice shows what the fund pays as its own negative line (payments.charge_lines, source
  "scholarship"), so credit notes, voids and re-opened charges treat it like every other line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.audit.trail import record_by
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.fields import parse_int, text_problem
from booking.money import MAX_AMOUNT_CENTS, format_cents, parse_amount
from booking.notifications.outbox import enqueue_email
from booking.slypark.bookings import get_booking
from booking.slypark.scholarship_lifecycle import ScholarshipStatus, decide_request
from booking.slypark.scholarship_tables import ScholarshipCharge, ScholarshipFund, ScholarshipRequest
from booking.slypark.seasons import get_season
from booking.slypark.tables import Booking, BookingCharge, Season

REASON_MAX = 1000
NOTE_MAX = 1000
LIVE_BOOKING = ("offered", "confirmed")
USED_CHARGE_STATUSES = ("invoiced", "paid")
REQUEST_COLUMNS = (
    *ScholarshipRequest.all_columns(),
    ScholarshipRequest.school.name.as_alias("school_name"),
    ScholarshipRequest.district.name.as_alias("district_name"),
    ScholarshipRequest.booking.status.as_alias("booking_status"),
    ScholarshipRequest.booking.week.starts_on.as_alias("starts_on"),
    ScholarshipRequest.booking.week.ends_on.as_alias("ends_on"),
    ScholarshipRequest.fund.season.as_alias("season_id"),
    ScholarshipRequest.fund.season.price_per_student_cents.as_alias("price_cents"),
)


def require_staff_or_finance(actor: Actor, doing: str) -> None:
    actor.require(("staff", "finance"), f"Only SCOE staff and finance {doing}.")


# --- Reading what is committed -------------------------------------------------------------------


async def committed_per_request(fund_id: int) -> dict[int, int]:
    """Awarded request id -> cents the fund is committed to (see the module's rules)."""
    awards = await ScholarshipRequest.select(
        ScholarshipRequest.id,
        ScholarshipRequest.awarded_cents,
        ScholarshipRequest.booking.status.as_alias("booking_status"),
    ).where((ScholarshipRequest.fund == fund_id) & (ScholarshipRequest.status == ScholarshipStatus.AWARDED.value))
    if not awards:
        return {}
    charges: dict[int, list[dict]] = {}
    for charge in await ScholarshipCharge.select(
        ScholarshipCharge.request, ScholarshipCharge.amount_cents, ScholarshipCharge.status
    ).where(ScholarshipCharge.request.is_in([award["id"] for award in awards])):
        charges.setdefault(charge["request"], []).append(charge)
    committed: dict[int, int] = {}
    for award in awards:
        billed = charges.get(award["id"])
        if billed:
            committed[award["id"]] = sum(c["amount_cents"] for c in billed if c["status"] != "cancelled")
        else:
            committed[award["id"]] = award["awarded_cents"] if award["booking_status"] in LIVE_BOOKING else 0
    return committed


async def fund_of_season(season_id: int) -> dict | None:
    return await ScholarshipFund.select().where(ScholarshipFund.season == season_id).first()


async def _locked_fund(fund_id: int) -> dict:
    await lock_rows_for_update(ScholarshipFund, ScholarshipFund.id == fund_id)
    return await ScholarshipFund.select().where(ScholarshipFund.id == fund_id).first()


# --- The budget ------------------------------------------------------------------------------------


async def set_budget(actor: Actor, season_id: int, budget: str, now: dt.datetime | None = None) -> dict:
    """Staff or finance set (or change) the season's budget; never below what is already committed."""
    require_staff_or_finance(actor, "set the scholarship fund's budget")
    now = now or utc_now()
    budget_cents = parse_amount(budget, "budget", allow_zero=True)
    async with write_transaction():
        # The season's row queues the first budget of a season, so two at once cannot both create its fund.
        await lock_rows_for_update(Season, Season.id == season_id)
        await get_season(season_id)
        fund = await fund_of_season(season_id)
        if fund is None:
            fund = (
                await ScholarshipFund.insert(
                    ScholarshipFund(season=season_id, budget_cents=0, updated_by=actor.id, updated_at=now)
                ).returning(*ScholarshipFund.all_columns())
            )[0]
        fund = await _locked_fund(fund["id"])
        committed = sum((await committed_per_request(fund["id"])).values())
        if budget_cents < committed:
            raise Conflict(
                f"The fund has already awarded {format_cents(committed)}: the budget cannot be less than that.",
                code="budget_below_awarded",
            )
        await ScholarshipFund.update(
            {
                ScholarshipFund.budget_cents: budget_cents,
                ScholarshipFund.updated_by: actor.id,
                ScholarshipFund.updated_at: now,
            }
        ).where(ScholarshipFund.id == fund["id"])
        await record_by(
            actor,
            "scholarship.budget_set",
            subject=f"scholarship fund of season {season_id}",
            detail={"fund_id": fund["id"], "from_cents": fund["budget_cents"], "to_cents": budget_cents},
        )
    return {**fund, "budget_cents": budget_cents}


# --- Asking ----------------------------------------------------------------------------------------


@dataclass
class ScholarshipAsk:
    students: str
    kind: str  # "full": the full fee; "each": `amount_each` per student
    amount_each: str
    reason: str


def _clean_text(
    value: str, field: str, max_length: int, errors: dict[str, str], *, required_message: str | None
) -> str:
    value = value if isinstance(value, str) else ""
    problem = text_problem(value)
    if problem:
        errors[field] = problem
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors[field] = f"Use at most {max_length:,} characters."
    elif not value and required_message:
        errors[field] = required_message
    return value


async def _balance_invoiced(booking_id: int) -> bool:
    return await BookingCharge.exists().where(
        (BookingCharge.booking == booking_id)
        & (BookingCharge.kind == "balance")
        & BookingCharge.status.is_in(["invoiced", "paid"])
    )


async def ask_for_scholarship(
    actor: Actor, booking_id: int, ask: ScholarshipAsk, now: dt.datetime | None = None
) -> int:
    """A coordinator asks the fund to pay for some of a booking's students (the full fee or an amount each)."""
    now = now or utc_now()
    async with write_transaction():
        booking = await get_booking(actor, booking_id)  # another district's booking: 404
        actor.require("coordinator", "The district's coordinator asks for scholarships; SCOE staff decide them.")
        await lock_rows_for_update(Booking, Booking.id == booking_id)
        booking = await get_booking(actor, booking_id)
        season = await get_season(booking["season"])
        students_booked = booking["boys"] + booking["girls"]
        errors: dict[str, str] = {}
        students = None
        try:
            students = parse_int(
                ask.students,
                "students",
                minimum=1,
                maximum=max(1, students_booked),
                message=f"Enter how many students, from 1 to the {students_booked} booked.",
            )
        except InvalidInput as error:
            errors.update(error.field_errors)
        each_cents = 0
        if ask.kind == "full":
            full_fee = True
        elif ask.kind == "each":
            full_fee = False
            try:
                each_cents = parse_amount(ask.amount_each, "amount_each")
                if each_cents > season["price_per_student_cents"]:
                    errors["amount_each"] = (
                        "A scholarship pays at most the fee, "
                        f"{format_cents(season['price_per_student_cents'])} "
                        "per student: choose the full fee instead."
                    )
            except InvalidInput as error:
                errors.update(error.field_errors)
        else:
            full_fee = False
            errors["kind"] = "Choose the full fee or an amount for each student."
        reason = _clean_text(
            ask.reason,
            "reason",
            REASON_MAX,
            errors,
            required_message="Say why these students need a scholarship: SCOE's staff read it to decide.",
        )
        if errors:
            raise InvalidInput(errors)
        if booking["status"] != "confirmed":
            raise Conflict("Scholarships are for confirmed bookings: accept the offer first.", code="not_confirmed")
        fund = await fund_of_season(season["id"])
        if fund is None or fund["budget_cents"] <= 0:
            raise Conflict(
                "The foundation's scholarship fund for this season is not open yet. Please ask again later.",
                code="fund_not_open",
            )
        if await _balance_invoiced(booking_id):
            raise Conflict(
                "The balance for this week is already invoiced: a scholarship can no longer reduce it.",
                code="balance_invoiced",
            )
        earlier = await ScholarshipRequest.select(ScholarshipRequest.status).where(
            ScholarshipRequest.booking == booking_id
        )
        if any(row["status"] == ScholarshipStatus.ASKED for row in earlier):
            raise Conflict("This booking already has a request waiting for SCOE's decision.", code="already_asked")
        if any(row["status"] == ScholarshipStatus.AWARDED for row in earlier):
            raise Conflict(
                "This booking already has a scholarship. Please call the Sly Park office to change it.",
                code="already_awarded",
            )
        request_id = (
            await ScholarshipRequest.insert(
                ScholarshipRequest(
                    fund=fund["id"],
                    booking=booking_id,
                    district=booking["district"],
                    school=booking["school"],
                    asked_by=actor.id,
                    students=students,
                    full_fee=full_fee,
                    amount_each_cents=each_cents,
                    reason=reason,
                    asked_at=now,
                )
            ).returning(ScholarshipRequest.id)
        )[0]["id"]
    return request_id


# --- Deciding --------------------------------------------------------------------------------------


@dataclass
class AwardDecision:
    students: str  # how many of the students asked for; 0 awards none
    amount_each: str  # per student; blank: what was asked (the season's fee for a full-fee request)
    note: str


async def get_request(actor: Actor, request_id: int) -> dict:
    """Staff and finance see every request; a coordinator their district's; anyone else none (404)."""
    query = ScholarshipRequest.select(*REQUEST_COLUMNS).where(ScholarshipRequest.id == request_id)
    if not (actor.is_staff or actor.is_finance):
        if not actor.is_coordinator or actor.district_id is None:
            raise NotFound("No such scholarship request.")
        query = query.where(ScholarshipRequest.district == actor.district_id)
    row = await query.first()
    if row is None:
        raise NotFound("No such scholarship request.")
    return row


def asked_each_cents(request: dict) -> int:
    return request["price_cents"] if request["full_fee"] else request["amount_each_cents"]


async def decide_scholarship(
    actor: Actor, request_id: int, decision: AwardDecision, now: dt.datetime | None = None
) -> dict:
    """Staff award all, part or none of a request; the award never passes what is left in the fund."""

    now = now or utc_now()
    actor.require("staff", "Only SCOE's program staff award scholarships.")
    async with write_transaction():
        request = await get_request(actor, request_id)
        # The fund's row first: every award of the season queues here, so what is left is read by one at a time.
        fund = await _locked_fund(request["fund"])
        request = await get_request(actor, request_id)
        asked_each = asked_each_cents(request)
        errors: dict[str, str] = {}
        students = 0
        try:
            students = parse_int(
                decision.students,
                "students",
                minimum=0,
                maximum=request["students"],
                message=f"Enter how many students, from 0 (none) to the {request['students']} asked for.",
            )
        except InvalidInput as error:
            errors.update(error.field_errors)
        each = asked_each
        if (decision.amount_each or "").strip():
            try:
                each = parse_amount(decision.amount_each, "amount_each")
                if each > asked_each:
                    errors["amount_each"] = f"Award at most what was asked: {format_cents(asked_each)} per student."
            except InvalidInput as error:
                errors.update(error.field_errors)
        # Less than asked needs a reason; while the numbers themselves are wrong, they are what to fix first.
        partial = not errors and (students < request["students"] or each < asked_each)
        note = _clean_text(
            decision.note,
            "note",
            NOTE_MAX,
            errors,
            required_message=("Say why it is less than asked: the coordinator sees this note." if partial else None),
        )
        if errors:
            raise InvalidInput(errors)
        if request["status"] != ScholarshipStatus.ASKED:
            raise Conflict("This request is already decided.", code="already_decided")
        award = students * each
        if award > MAX_AMOUNT_CENTS:
            raise InvalidInput({"students": "That award is more than $1,000,000. Check the numbers."})
        if award > 0:
            if request["booking_status"] != "confirmed":
                raise Conflict("This booking is no longer confirmed: award none instead.", code="not_confirmed")
            if await _balance_invoiced(request["booking"]):
                raise Conflict(
                    "The balance for this week is already invoiced: a scholarship can no longer reduce it.",
                    code="balance_invoiced",
                )
            committed = sum((await committed_per_request(fund["id"])).values())
            left = fund["budget_cents"] - committed
            if award > left:
                raise Conflict(
                    f"Only {format_cents(max(0, left))} is left in the fund: this award is {format_cents(award)}. "
                    "Award fewer students or less each.",
                    code="fund_exhausted",
                )
        status = await decide_request(
            request, students=students, each_cents=each, note=note, decided_by=actor.id, now=now
        )
        await record_by(
            actor,
            "scholarship.decided",
            subject=f"scholarship request {request_id}",
            district_id=request["district"],
            detail={
                "request_id": request_id,
                "booking_id": request["booking"],
                "status": status.value,
                "students": students,
                "each_cents": each,
                "awarded_cents": award,
            },
        )
        # A balance billed before the decision (a late award) is reduced now, before it is invoiced.
        await bill_scholarships([request["booking"]], now)
        decided = await get_request(actor, request_id)
        await _notify_coordinators(decided)
    return decided


async def _notify_coordinators(request: dict) -> None:
    from booking.slypark.week_requests import coordinator_emails

    for coordinator in await coordinator_emails(request["district"]):
        await enqueue_email(
            coordinator["email"],
            "slypark_scholarship_decided",
            {"name": coordinator["name"], "request": request, "asked_each_cents": asked_each_cents(request)},
        )


# --- What the fund pays ----------------------------------------------------------------------------


async def bill_scholarships(booking_ids: list[int], now: dt.datetime) -> int:
    """Inside the billing transaction: settle each awarded scholarship of these bookings on their billed balance, once.

    Returns how many the fund now pays for. A booking without a balance yet waits for it."""
    if not booking_ids:
        return 0
    awards = await ScholarshipRequest.select().where(
        ScholarshipRequest.booking.is_in(list(booking_ids))
        & (ScholarshipRequest.status == ScholarshipStatus.AWARDED.value)
    )
    if not awards:
        return 0
    settled = {
        row["request"]
        for row in await ScholarshipCharge.select(ScholarshipCharge.request).where(
            ScholarshipCharge.request.is_in([award["id"] for award in awards])
        )
    }
    balances = {
        row["booking"]: row
        for row in await BookingCharge.select().where(
            BookingCharge.booking.is_in(list(booking_ids))
            & (BookingCharge.kind == "balance")
            & (BookingCharge.status == "owed")
        )
    }
    made = 0
    for award in awards:
        balance = balances.get(award["booking"])
        if award["id"] in settled or balance is None:
            continue
        students = min(award["awarded_students"], balance["students"])
        amount = min(students * award["awarded_each_cents"], balance["amount_cents"])
        await ScholarshipCharge.insert(
            ScholarshipCharge(
                request=award["id"], booking=award["booking"], students=students, amount_cents=amount, created_at=now
            )
        )
        made += 1
    return made


# --- Reading requests ------------------------------------------------------------------------------


async def requests_of_booking(actor: Actor, booking_id: int) -> list[dict]:
    await get_booking(actor, booking_id)  # scoped: 404 for another district
    rows = (
        await ScholarshipRequest.select(*REQUEST_COLUMNS)
        .where(ScholarshipRequest.booking == booking_id)
        .order_by(ScholarshipRequest.id)
    )
    return await _with_charges(rows)


async def requests_of_season(actor: Actor, season_id: int) -> list[dict]:
    require_staff_or_finance(actor, "see every scholarship request")
    fund = await fund_of_season(season_id)
    if fund is None:
        return []
    rows = (
        await ScholarshipRequest.select(*REQUEST_COLUMNS)
        .where(ScholarshipRequest.fund == fund["id"])
        .order_by(ScholarshipRequest.id)
    )
    return await _with_charges(rows)


async def _with_charges(rows: list[dict]) -> list[dict]:
    charges = {}
    if rows:
        for charge in await ScholarshipCharge.select().where(
            ScholarshipCharge.request.is_in([row["id"] for row in rows]) & (ScholarshipCharge.status != "cancelled")
        ):
            charges[charge["request"]] = charge
    for row in rows:
        row["charge"] = charges.get(row["id"])
        row["asked_each_cents"] = asked_each_cents(row)
        row["asked_cents"] = row["students"] * row["asked_each_cents"]
    return rows
