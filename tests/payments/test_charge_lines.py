"""Charge lines gathered from their sources, on both engines: district-billed seats, cohort tuition
instalments and Sly Park deposits and balances become lines, once; cancelled sources are withdrawn
before invoicing and flagged for a credit note after; card-paid, free and cohort seats never become lines."""

from __future__ import annotations

import datetime as dt

from booking.clock import LOCAL_TZ
from booking.cohorts import review
from booking.cohorts.tables import TuitionInstalment
from booking.payments.charge_lines import gather_charge_lines, invoiced_lines_needing_credit
from booking.payments.credit_notes import issue_credit_note
from booking.payments.invoicing import LineSelection, issue_invoices, open_lines, preview_invoices
from booking.payments.tables import ChargeLine, InvoiceLine
from booking.scheduling.registration import RegistrationRequest, register
from booking.scheduling.tables import Registration
from booking.slypark import offers
from booking.slypark.bookings import Headcount, book_remaining, get_booking
from booking.slypark.charges import bill_balances, charges_of
from booking.slypark.tables import Booking, BookingCharge, Season
from booking.slypark.week_closure import close_week
from booking.workflows.cancel_registration import cancel_registration
from tests.api_helpers import bearer
from tests.cohorts.cohort_factory import make_cohort, submitted_applicant
from tests.factories import make_user
from tests.payments.money_factory import coordinator_actor, district_billed_seats, finance_actor, open_line_ids
from tests.payments.test_money_invariants import assert_money_invariants, district_id_of, money_snapshot
from tests.payments.webhook_helpers import deliver_pending, session_id_from_url
from tests.slypark.slypark_factory import coordinator, make_school, make_season
from tests.workshop_factory import make_workshop, require_approval, staff_actor


async def lines_of(source_kind: str) -> list[dict]:
    return await ChargeLine.select().where(ChargeLine.source_kind == source_kind).order_by(ChargeLine.id)


async def test_gathering_is_idempotent(db):
    district = await district_id_of("EGUSD")
    seats = await district_billed_seats(3, po_number="PO-55")  # gathers once
    first = await money_snapshot()
    assert await gather_charge_lines() == 0
    assert await gather_charge_lines() == 0
    assert await money_snapshot() == first
    lines = await ChargeLine.select().order_by(ChargeLine.id)
    assert sorted(line["source_id"] for line in lines) == sorted(seat["id"] for seat in seats)
    assert {
        (
            line["source_kind"],
            line["program"],
            line["status"],
            line["amount_cents"],
            line["po_number"],
            line["district"],
        )
        for line in lines
    } == {("registration", "workshop", "open", 12_500, "PO-55", district)}
    assert all(
        line["description"] == "Number Talks in Grades 3-5" and line["detail"].startswith("Teacher ") for line in lines
    )
    # The service date is the first session's local date.
    assert len({line["service_date"] for line in lines}) == 1
    assert lines[0]["service_date"] > dt.datetime.now(LOCAL_TZ).date()


async def test_a_seat_cancelled_before_invoicing_is_withdrawn_and_after_invoicing_needs_a_credit_note(db):
    finance, staff = await finance_actor(), await staff_actor()
    district = await district_id_of("EGUSD")
    early, late, kept = await district_billed_seats(3)
    lines = {line["source_id"]: line for line in await lines_of("registration")}

    await cancel_registration(staff, early["id"], reason="Teacher on leave")
    assert await gather_charge_lines() == 1
    assert [line["id"] for line in await open_lines(district)] == sorted(
        [lines[late["id"]]["id"], lines[kept["id"]]["id"]]
    )
    withdrawn = await ChargeLine.select().where(ChargeLine.id == lines[early["id"]]["id"]).first()
    assert (withdrawn["status"], withdrawn["close_reason"]) == ("withdrawn", "Cancelled before it was invoiced")
    assert withdrawn["closed_at"] is not None
    [draft] = await preview_invoices(finance, district)
    assert sorted(draft.line_ids) == sorted([lines[late["id"]]["id"], lines[kept["id"]]["id"]])
    [invoice] = await issue_invoices(finance, district, draft.line_ids, acknowledge_warnings=True)
    assert invoice["total_cents"] == 25_000

    await cancel_registration(staff, late["id"], reason="Changed schools")
    await gather_charge_lines()
    still = await ChargeLine.select().where(ChargeLine.id == lines[late["id"]]["id"]).first()
    assert still["status"] == "invoiced"  # an issued invoice is corrected by a credit note, never silently
    [flagged] = await invoiced_lines_needing_credit()
    assert (flagged["id"], flagged["invoice_number"], flagged["district_name"]) == (
        lines[late["id"]]["id"],
        invoice["number"],
        "Elk Grove Unified",
    )

    line = await InvoiceLine.select().where(InvoiceLine.charge_line == still["id"]).first()
    await issue_credit_note(finance, invoice["id"], reason="Changed schools", amounts={line["id"]: 12_500})
    assert await invoiced_lines_needing_credit() == []
    await assert_money_invariants()


async def test_card_paid_free_waiting_and_unapproved_seats_never_become_lines(client, stripe_double):
    district = await district_id_of("EGUSD")
    coordinator_ = await coordinator_actor("EGUSD")
    paid = await make_workshop("Restorative Circles", price_cents=4_500, capacity=1)
    free = await make_workshop("Free Webinar", price_cents=0)

    # A teacher of the district pays by card, through Stripe Checkout (the local double) and its webhook.
    teacher = await make_user("attendee", district="EGUSD")
    response = await client.post(
        f"/api/v1/offerings/{paid}/registrations", json={"payer": "card"}, headers=await bearer(teacher)
    )
    assert response.status_code == 201, response.text
    session_id = session_id_from_url(response.json()["checkout_url"])
    stripe_double.pay(session_id)
    await deliver_pending(client, stripe_double, session_id)
    card_seat = await Registration.select().where(Registration.id == response.json()["id"]).first()
    assert (card_seat["status"], card_seat["payer"], card_seat["amount_paid_cents"]) == ("confirmed", "card", 4_500)

    # A district-billed request on the full workshop waits; a free seat costs nothing.
    waiting = await register(
        coordinator_, paid, RegistrationRequest("waiting@egusd.example", "Wes Waiting", payer="district")
    )
    assert waiting.registration["status"] == "waitlisted"
    free_seat = await register(
        coordinator_, free, RegistrationRequest("free@egusd.example", "Fay Free", payer="district")
    )
    assert (free_seat.registration["status"], free_seat.registration["payer"]) == ("confirmed", "free")
    # Staff registering a teacher of a district that requires approval: pending until the supervisor says yes.
    await require_approval("EGUSD")
    other = await make_workshop("Math Coaching", price_cents=9_900)
    await make_user("attendee", district="EGUSD", email="pending@egusd.example")
    pending = await register(
        await staff_actor(), other, RegistrationRequest("pending@egusd.example", "Pat Pending", payer="district")
    )
    assert pending.registration["status"] == "pending_approval"

    assert await gather_charge_lines() == 0
    assert await ChargeLine.count() == 0
    assert await open_lines(district) == []


async def test_cohort_tuition_instalments_become_lines_but_the_cohort_seat_does_not(db):
    staff, finance = await staff_actor(), await finance_actor()
    district = await district_id_of("EGUSD")
    cohort = await make_cohort(staff, capacity=3, tuition_cents=480_001, instalment_options="1,4")
    billed_person, billed = await submitted_applicant(cohort, payer="district", instalments="4", po_number="PO-TIER1")
    _, self_paid = await submitted_applicant(cohort, payer="participant", instalments="1")
    await review.accept(staff, billed["id"])
    await review.accept(staff, self_paid["id"])
    seats = await Registration.select().where(Registration.offering == cohort["id"])
    assert {seat["payer"] for seat in seats} == {"district", "card"}  # the district-billed seat itself is no line

    assert await gather_charge_lines() == 4
    lines = await ChargeLine.select().order_by(ChargeLine.service_date)
    assert {line["source_kind"] for line in lines} == {"tuition"}
    assert [line["amount_cents"] for line in lines] == [120_001, 120_000, 120_000, 120_000]  # odd cent on the first
    assert sum(line["amount_cents"] for line in lines) == 480_001
    assert [line["description"].rsplit(": ", 1)[1] for line in lines] == [
        f"tuition payment {n} of 4" for n in range(1, 5)
    ]
    assert {(line["po_number"], line["program"], line["district"]) for line in lines} == {
        ("PO-TIER1", "cohort", district)
    }
    assert await gather_charge_lines() == 0

    # The first two are invoiced; then the participant withdraws.
    [invoice] = await issue_invoices(finance, district, [lines[0]["id"], lines[1]["id"]], acknowledge_warnings=True)
    statuses = {
        row["number"]: row["status"]
        for row in await TuitionInstalment.select().where(TuitionInstalment.district == district)
    }
    assert statuses == {1: "invoiced", 2: "invoiced", 3: "owed", 4: "owed"}
    await review.withdraw(billed_person, billed["id"], reason="Moving out of state")
    await gather_charge_lines()
    after = {line["id"]: line["status"] for line in await ChargeLine.select()}
    assert [after[line["id"]] for line in lines] == ["invoiced", "invoiced", "withdrawn", "withdrawn"]
    assert sorted(line["id"] for line in await invoiced_lines_needing_credit()) == [lines[0]["id"], lines[1]["id"]]

    # Voided without re-opening: the invoiced instalments are cancelled too, and nothing waits for credit.
    await issue_credit_note(finance, invoice["id"], reason="Withdrew before the program began", void=True)
    assert await invoiced_lines_needing_credit() == []
    statuses = {
        row["number"]: row["status"]
        for row in await TuitionInstalment.select().where(TuitionInstalment.district == district)
    }
    assert statuses == {1: "cancelled", 2: "cancelled", 3: "cancelled", 4: "cancelled"}
    assert await gather_charge_lines() == 0
    await assert_money_invariants()


async def _sly_park_booking(weeks: int = 2) -> tuple[dict, int, object]:
    staff = await staff_actor()
    season = await make_season(staff, weeks=weeks, first=6, freeze_days=21)
    await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    egusd = await coordinator("EGUSD")
    school = await make_school("EGUSD", "Elk Grove Elementary")
    booking_id = await book_remaining(
        egusd,
        season["weeks"][0],
        school,
        Headcount(22, 18, 4),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    return season, booking_id, egusd


async def test_sly_park_deposit_and_balance_become_lines(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    _, booking_id, egusd = await _sly_park_booking()
    [deposit] = await charges_of(booking_id)
    assert (deposit["kind"], deposit["amount_cents"]) == ("deposit", 40 * 5_000)

    assert await gather_charge_lines() == 1
    [line] = await lines_of("slypark")
    assert (line["source_id"], line["amount_cents"], line["program"], line["district"]) == (
        deposit["id"],
        200_000,
        "slypark",
        district,
    )
    assert line["description"].endswith(": deposit") and line["detail"] == "Elk Grove Elementary, 40 students"
    [invoice] = await issue_invoices(finance, district, [line["id"]], acknowledge_warnings=True)
    assert (await BookingCharge.select(BookingCharge.status).where(BookingCharge.id == deposit["id"]).first())[
        "status"
    ] == "invoiced"

    # After the freeze date, the balance on actual numbers (two fewer students) is owed.
    starts_on = (await get_booking(egusd, booking_id))["starts_on"]
    frozen_day = dt.datetime.combine(starts_on - dt.timedelta(days=20), dt.time(12), tzinfo=LOCAL_TZ)
    await Booking.update({Booking.boys: 21, Booking.girls: 17}).where(Booking.id == booking_id)
    assert await bill_balances(frozen_day) == 1
    assert await gather_charge_lines() == 1
    balance_line = (await lines_of("slypark"))[-1]
    assert balance_line["amount_cents"] == 38 * 42_500 - 200_000
    assert balance_line["description"].endswith(": balance on actual numbers")
    selected = await open_lines(district, LineSelection(slypark_booking_id=booking_id))
    assert [row["id"] for row in selected] == [balance_line["id"]]
    assert await open_lines(district, LineSelection(slypark_booking_id=booking_id + 1)) == []
    assert invoice["total_cents"] == 200_000
    await assert_money_invariants()


async def test_a_sly_park_booking_moved_by_a_week_closure_is_billed_again_once_accepted(db):
    staff = await staff_actor()
    season, booking_id, egusd = await _sly_park_booking(weeks=2)
    await gather_charge_lines()
    [first] = await lines_of("slypark")

    # The week is lost: the booking becomes an offer of the other week, its open deposit line is withdrawn.
    [outcome] = await close_week(staff, season["weeks"][0], reason="No staff that week")
    assert outcome.moved_to is not None
    await gather_charge_lines()
    assert [line["status"] for line in await lines_of("slypark")] == ["withdrawn"]
    assert await open_line_ids(await district_id_of("EGUSD")) == []

    # Accepted: the same deposit is owed again, and gathered again, once, for the new week.
    await offers.accept_offer(egusd, booking_id)
    assert await gather_charge_lines() == 1
    assert await gather_charge_lines() == 0
    withdrawn, again = await lines_of("slypark")
    assert (withdrawn["id"], withdrawn["status"]) == (first["id"], "withdrawn")
    assert (again["status"], again["source_id"], again["amount_cents"]) == (
        "open",
        first["source_id"],
        first["amount_cents"],
    )
    assert again["service_date"] == outcome.moved_to["starts_on"]
    await assert_money_invariants()
