"""The scholarship fund: asking, awarding within the budget, the negative line on the district's invoice after
headcount changes and credits, and the fund's report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from booking.accounts.actor import Actor
from booking.clock import LOCAL_TZ
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.notifications.tables import OutboxMessage
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.credit_notes import issue_credit_note
from booking.payments.invoicing import LineSelection, issue_invoices, open_lines
from booking.payments.tables import ChargeLine, InvoiceLine
from booking.slypark.bookings import Headcount, book_remaining, change_headcount, get_booking
from booking.slypark.charges import bill_balances
from booking.slypark.scholarship_report import fund_report, report_csv
from booking.slypark.scholarship_tables import ScholarshipCharge, ScholarshipRequest
from booking.slypark.scholarships import (
    AwardDecision,
    ScholarshipAsk,
    ask_for_scholarship,
    decide_scholarship,
    set_budget,
)
from booking.slypark.tables import Season
from tests.factories import make_user
from tests.payments.money_factory import finance_actor, set_billing_contact
from tests.payments.test_money_invariants import assert_money_invariants
from tests.slypark.slypark_factory import coordinator, make_school, make_season
from tests.workshop_factory import staff_actor

PRICE = 42_500  # the factory's season: $425 a student, $50 deposit


async def booked_week(
    staff,
    *,
    school: str = "Elk Grove Elementary",
    district: str = "EGUSD",
    boys: int = 22,
    girls: int = 18,
    season: dict | None = None,
    week: int = 0,
) -> tuple[dict, int, Actor]:
    if season is None:
        season = await make_season(staff, weeks=2, first=6, freeze_days=21)
        await Season.update({Season.status: "booking_open"}).where(Season.id == season["id"])
    who = await coordinator(district)
    school_id = await make_school(district, school)
    booking_id = await book_remaining(
        who,
        season["weeks"][week],
        school_id,
        Headcount(boys, girls, 4),
        lead_teacher_name="Dee",
        lead_teacher_email="dee@school.example",
    )
    return season, booking_id, who


def ask(
    students="10", kind="full", amount_each="", reason="Families on free and reduced-price lunch"
) -> ScholarshipAsk:
    return ScholarshipAsk(students=students, kind=kind, amount_each=amount_each, reason=reason)


async def frozen_day(actor, booking_id) -> dt.datetime:
    starts_on = (await get_booking(actor, booking_id))["starts_on"]
    return dt.datetime.combine(starts_on - dt.timedelta(days=20), dt.time(12), tzinfo=LOCAL_TZ)


async def test_asking_is_checked_field_by_field_and_scoped_to_the_district(db):
    staff = await staff_actor()
    season, booking_id, egusd = await booked_week(staff)
    with pytest.raises(Conflict, match="not open yet"):
        await ask_for_scholarship(egusd, booking_id, ask())
    await set_budget(staff, season["id"], "10,000")

    with pytest.raises(InvalidInput) as bad:
        await ask_for_scholarship(
            egusd, booking_id, ScholarshipAsk(students="41", kind="gift", amount_each="", reason="  ")
        )
    assert set(bad.value.field_errors) == {"students", "kind", "reason"}
    with pytest.raises(InvalidInput) as bad:
        await ask_for_scholarship(
            egusd, booking_id, ask(students="0", kind="each", amount_each="425.01", reason="x\x00")
        )
    assert set(bad.value.field_errors) == {"students", "amount_each", "reason"}
    assert "at most the fee" in bad.value.field_errors["amount_each"]
    with pytest.raises(InvalidInput) as bad:
        await ask_for_scholarship(
            egusd, booking_id, ask(students="1e3", kind="each", amount_each="-5", reason="y" * 1001)
        )
    assert set(bad.value.field_errors) == {"students", "amount_each", "reason"}

    # Another district's coordinator, an attendee: no such booking. Staff decide, they do not ask.
    for outsider in (await coordinator("SJUSD"), Actor.from_row(await make_user("attendee", district="EGUSD"))):
        with pytest.raises(NotFound):
            await ask_for_scholarship(outsider, booking_id, ask())
    with pytest.raises(Forbidden):
        await ask_for_scholarship(staff, booking_id, ask())
    assert await ScholarshipRequest.count() == 0

    request_id = await ask_for_scholarship(egusd, booking_id, ask(students="4", kind="each", amount_each="200"))
    with pytest.raises(Conflict, match="already has a request waiting"):
        await ask_for_scholarship(egusd, booking_id, ask())
    row = await ScholarshipRequest.select().where(ScholarshipRequest.id == request_id).first()
    assert (row["students"], row["full_fee"], row["amount_each_cents"], row["status"]) == (4, False, 20_000, "asked")


async def test_staff_award_all_part_or_none_within_the_budget_and_the_coordinator_is_told(db):
    staff = await staff_actor()
    finance = await finance_actor()
    season, first, egusd = await booked_week(staff)
    _, second, sanjuan = await booked_week(staff, school="Arden Elementary", district="SJUSD", season=season, week=1)
    await set_budget(finance, season["id"], "5000")
    full = await ask_for_scholarship(egusd, first, ask(students="10"))  # 10 × $425 = $4,250
    partial = await ask_for_scholarship(sanjuan, second, ask(students="6", kind="each", amount_each="200"))

    with pytest.raises(Forbidden):
        await decide_scholarship(finance, full, AwardDecision("10", "", ""))
    with pytest.raises(Forbidden):
        await decide_scholarship(egusd, full, AwardDecision("10", "", ""))
    with pytest.raises(InvalidInput) as bad:
        await decide_scholarship(staff, full, AwardDecision("11", "500", ""))
    assert set(bad.value.field_errors) == {"students", "amount_each"}
    with pytest.raises(InvalidInput) as bad:
        await decide_scholarship(staff, full, AwardDecision("8", "", "  "))
    assert "coordinator sees" in bad.value.field_errors["note"]

    awarded = await decide_scholarship(staff, full, AwardDecision("10", "", "Approved in full"))
    assert (awarded["status"], awarded["awarded_cents"], awarded["awarded_each_cents"]) == ("awarded", 425_000, PRICE)
    # $750 left: 6 × $200 does not fit; 3 × $200 does.
    with pytest.raises(Conflict, match=r"Only \$750.00 is left"):
        await decide_scholarship(staff, partial, AwardDecision("6", "", ""))
    part = await decide_scholarship(staff, partial, AwardDecision("3", "", "The fund is nearly spent"))
    assert (part["status"], part["awarded_cents"]) == ("awarded", 60_000)
    with pytest.raises(Conflict, match="already decided"):
        await decide_scholarship(staff, partial, AwardDecision("0", "", "No"))

    # The budget cannot go below what is awarded; the coordinators were emailed through the outbox.
    with pytest.raises(Conflict, match=r"already awarded \$4,850.00"):
        await set_budget(staff, season["id"], "4849.99")
    await set_budget(staff, season["id"], "4850")
    mails = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text)
    assert {m["to_address"] for m in mails} == {egusd.email, sanjuan.email}
    assert any("3 students" in m["body_text"] and "The fund is nearly spent" in m["body_text"] for m in mails)

    # None: declined, with the note; the fund is unchanged.
    with pytest.raises(Conflict, match="already has a scholarship"):
        await ask_for_scholarship(sanjuan, second, ask(students="2"))
    _, third, sanjuan = await booked_week(
        staff, school="Pasteur Middle", district="SJUSD", season=season, week=1, boys=5, girls=5
    )
    again = await ask_for_scholarship(sanjuan, third, ask(students="2"))
    none = await decide_scholarship(staff, again, AwardDecision("0", "", "Nothing left this season"))
    assert (none["status"], none["awarded_cents"]) == ("declined", 0)
    report = await fund_report(finance, season["id"])
    assert (report.budget_cents, report.awarded_cents, report.used_cents, report.remaining_cents) == (
        485_000,
        485_000,
        0,
        0,
    )


async def test_the_award_is_a_negative_line_settled_on_actual_numbers_and_credits_follow_it(db):
    staff = await staff_actor()
    finance = await finance_actor()
    district = await set_billing_contact("EGUSD")
    season, booking_id, egusd = await booked_week(staff)  # 40 students: deposit 40 × $50 = $2,000
    await set_budget(staff, season["id"], "20000")
    request_id = await ask_for_scholarship(egusd, booking_id, ask(students="10", kind="each", amount_each="100"))
    await decide_scholarship(staff, request_id, AwardDecision("10", "", ""))

    # The class shrinks before the freeze, then again after it (staff): 8 come, fewer than the 10 awarded.
    await change_headcount(egusd, booking_id, Headcount(20, 16, 3))
    day = await frozen_day(egusd, booking_id)
    await change_headcount(staff, booking_id, Headcount(4, 4, 1), reason="Most of the class has the flu", now=day)
    assert await bill_balances(day) == 1
    [charge] = await ScholarshipCharge.select()
    assert (charge["students"], charge["amount_cents"]) == (8, 8 * 10_000)  # the award shrinks with the class
    report = await fund_report(finance, season["id"])
    assert report.awarded_cents == charge["amount_cents"]  # the unused part went back to the fund
    assert report.remaining_cents == 2_000_000 - charge["amount_cents"]

    await gather_charge_lines()
    deposit, balance, scholarship = await open_lines(district, LineSelection(slypark_booking_id=booking_id))
    assert deposit["amount_cents"] == 200_000
    assert balance["source_kind"] == "slypark" and balance["amount_cents"] == 8 * PRICE - 200_000
    assert scholarship["source_kind"] == "scholarship" and scholarship["amount_cents"] == -charge["amount_cents"]
    assert scholarship["description"].endswith("scholarship from the foundation")
    # A scholarship line alone would make an invoice below $0.
    with pytest.raises(Conflict, match="less than"):
        await issue_invoices(finance, district, [scholarship["id"]], acknowledge_warnings=True)
    [invoice] = await issue_invoices(
        finance, district, [deposit["id"], balance["id"], scholarship["id"]], acknowledge_warnings=True
    )
    assert invoice["total_cents"] == 200_000 + 140_000 - 80_000
    invoice_lines = (
        await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    )
    assert [line["amount_cents"] for line in invoice_lines] == [200_000, 140_000, -80_000]
    assert (await fund_report(finance, season["id"])).used_cents == charge["amount_cents"]
    with pytest.raises(Conflict, match="already invoiced"):
        await ask_for_scholarship(egusd, booking_id, ask(students="2"))

    # A correction credits toward zero: the scholarship line only down to its own amount, and never alone.
    with pytest.raises(InvalidInput):
        await issue_credit_note(finance, invoice["id"], reason="Wrong", amounts={invoice_lines[2]["id"]: 5_000})
    with pytest.raises(InvalidInput):
        await issue_credit_note(finance, invoice["id"], reason="Wrong", amounts={invoice_lines[2]["id"]: -5_000})
    # Void and owe again: both lines come back open, the fund's share still counted once.
    note = await issue_credit_note(finance, invoice["id"], reason="Wrong PO", void=True, reopen_charges=True)
    assert note["amount_cents"] == invoice["total_cents"]
    reopened = await open_lines(district, LineSelection(slypark_booking_id=booking_id))
    assert [line["amount_cents"] for line in reopened] == [200_000, 140_000, -80_000]
    report = await fund_report(finance, season["id"])
    assert (report.awarded_cents, report.used_cents) == (charge["amount_cents"], 0)
    [again] = await issue_invoices(finance, district, [line["id"] for line in reopened], acknowledge_warnings=True)
    assert again["total_cents"] == invoice["total_cents"]
    # Void for good: the fund pays nothing for this booking any more, and its budget is free again.
    await issue_credit_note(finance, again["id"], reason="The school did not come", void=True)
    assert (await ScholarshipCharge.select(ScholarshipCharge.status).first())["status"] == "cancelled"
    report = await fund_report(finance, season["id"])
    assert (report.awarded_cents, report.used_cents, report.remaining_cents) == (0, 0, 2_000_000)
    assert await ChargeLine.count().where(ChargeLine.status == "open") == 0
    await assert_money_invariants()


async def test_a_late_award_reduces_a_billed_balance_and_the_report_adds_up_by_district_and_school(db):
    staff = await staff_actor()
    await finance_actor()
    season, first, egusd = await booked_week(staff, school='=HYPERLINK("http://x")')
    _, second, _ = await booked_week(staff, school="Bravo", season=season, week=1, boys=10, girls=10)
    await set_budget(staff, season["id"], "3000")
    day = await frozen_day(egusd, first)
    assert await bill_balances(day) == 1  # only the first week is frozen
    late = await ask_for_scholarship(egusd, first, ask(students="2"))
    await decide_scholarship(staff, late, AwardDecision("2", "", ""), now=day)
    [charge] = await ScholarshipCharge.select()
    assert (charge["students"], charge["amount_cents"]) == (2, 2 * PRICE)
    early = await ask_for_scholarship(egusd, second, ask(students="5", kind="each", amount_each="100"))
    await decide_scholarship(staff, early, AwardDecision("5", "", ""))

    report = await fund_report(staff, season["id"])
    assert (report.budget_cents, report.awarded_cents, report.remaining_cents) == (
        300_000,
        2 * PRICE + 50_000,
        300_000 - 135_000,
    )
    assert [(row.district, row.requests, row.students_awarded, row.awarded_cents) for row in report.by_district] == [
        ("Elk Grove Unified", 2, 7, 135_000)
    ]
    assert [(row.school, row.awarded_cents) for row in report.by_school] == [
        ('=HYPERLINK("http://x")', 85_000),
        ("Bravo", 50_000),
    ]
    name, text = report_csv(report)
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["level"] == "fund" and (rows[0]["budget"], rows[0]["awarded"], rows[0]["remaining"]) == (
        "3000.00",
        "1350.00",
        "1650.00",
    )
    schools = {row["school"]: row for row in rows if row["level"] == "school"}
    assert schools['\'=HYPERLINK("http://x")']["awarded"] == "850.00"  # defused, never a formula
    with pytest.raises(Forbidden):
        await fund_report(egusd, season["id"])


async def test_the_scholarship_follows_its_balance_onto_the_po_invoice_and_a_correction_never_credits_past_the_net(db):
    from booking.payments.invoicing import preview_invoices, set_po_on_open_lines

    staff = await staff_actor()
    finance = await finance_actor()
    district = await set_billing_contact("EGUSD")
    season, booking_id, egusd = await booked_week(staff)  # 40 students
    await set_budget(staff, season["id"], "20000")
    request_id = await ask_for_scholarship(egusd, booking_id, ask(students="10"))
    await decide_scholarship(staff, request_id, AwardDecision("10", "", ""))
    assert await bill_balances(await frozen_day(egusd, booking_id)) == 1
    await gather_charge_lines()
    deposit, balance, scholarship = await open_lines(district, LineSelection(slypark_booking_id=booking_id))
    # Finance puts the district's PO on the deposit and balance only: the scholarship still goes with them.
    await set_po_on_open_lines(finance, district, [deposit["id"], balance["id"]], "PO-2027-118")
    [draft] = await preview_invoices(finance, district, LineSelection(slypark_booking_id=booking_id))
    assert (draft.po_number, draft.line_ids) == ("PO-2027-118", [deposit["id"], balance["id"], scholarship["id"]])
    [invoice] = await issue_invoices(finance, district, draft.line_ids, acknowledge_warnings=True)
    assert invoice["po_number"] == "PO-2027-118" and invoice["total_cents"] == 40 * PRICE - 10 * PRICE
    assert {line["po_number"] for line in await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])} == {
        "PO-2027-118"
    }

    # Crediting the balance in full would credit more than the invoice owes after its scholarship.
    lines = {
        line["charge_line"]: line for line in await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    }
    with pytest.raises(InvalidInput, match="at most"):
        await issue_credit_note(
            finance,
            invoice["id"],
            reason="Fewer students",
            amounts={
                lines[deposit["id"]]["id"]: deposit["amount_cents"],
                lines[balance["id"]]["id"]: balance["amount_cents"],
            },
        )
    note = await issue_credit_note(
        finance, invoice["id"], reason="Two students did not come", amounts={lines[balance["id"]]["id"]: 2 * PRICE}
    )
    assert note["amount_cents"] == 2 * PRICE
    await assert_money_invariants()
