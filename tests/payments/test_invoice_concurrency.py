"""Invoice numbers, invoice lines and payments under concurrency, on both engines, through the use cases.

Each call below opens its own write transaction. On PostgreSQL the calls run on separate pooled
connections (`start_pool`: one connection per concurrent call), so `asyncio.gather` makes their READ
COMMITTED transactions really overlap, and only the locks keep them apart:
- numbering: the UPDATE of the counter row queues issuers; with a `SELECT max(sequence) + 1` instead,
  the concurrent issues read the same number and all but one die on the unique index (not Conflict);
- one line on one invoice: `issue_invoices` locks the charge lines, then re-reads their status; without
  the lock, every caller reads "open" and all but one die on invoice_line's unique charge_line (an
  IntegrityError, not the Conflict "lines_changed" the tests expect);
- payments: `lock_invoices` makes the second check see the first one's allocation; without it both
  allocate the full amount and the invoice is paid twice over (the invariants fail);
- district credit: `apply_district_credit` and `allocate_payment` lock the district's payments (after the
  invoice), so two uses of one credit at once are decided one after the other. Without that lock (checked
  by hand, PostgreSQL) both calls read the same $100 as available; the second then found it spent and
  failed with a wrong "nothing open" message, and with a slightly different timing both allocate it;
- gathering: two gatherers at once both see a source without a line; without the advisory lock in
  `gather_charge_lines` the second dies on the one-live-line unique index (an IntegrityError);
- a gatherer withdrawing a line that was invoiced meanwhile: the withdrawal re-checks `status = 'open'`
  on the locked row; without it the invoiced line was set to "withdrawn" (checked by hand, PostgreSQL).
On SQLite, write_transaction() (BEGIN IMMEDIATE, one writer at a time) is the lock, so these tests
pass trivially there; they are kept for both engines because the code paths are the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from booking.accounts.tables import District
from booking.clock import LOCAL_TZ
from booking.db import write_transaction
from booking.errors import Conflict
from booking.payments.balances import balance_of, district_credit_cents
from booking.payments.charge_lines import (
    gather_charge_lines,
    invoiced_lines_needing_credit,
)
from booking.payments.credit_notes import issue_credit_note
from booking.payments.fiscal import fiscal_year_of, local_today
from booking.payments.invoicing import issue_invoices
from booking.payments.payments_received import (
    allocate_payment,
    apply_district_credit,
    check_payment_form,
    record_payment,
)
from booking.payments.tables import (
    Allocation,
    ChargeLine,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    PaymentReceived,
)
from booking.workflows.cancel_registration import cancel_registration
from tests.payments.money_factory import (
    coordinator_actor,
    district_billed_seats,
    finance_actor,
    open_line_ids,
)
from tests.payments.test_money_invariants import (
    POOL_SIZE,
    assert_money_invariants,
    district_id_of,
    money_text,
    start_pool,
)
from tests.workshop_factory import staff_actor

CROWD = 16
assert CROWD <= POOL_SIZE  # every concurrent transaction has its own connection


def outcomes(results: list) -> tuple[list, list]:
    """(successes, errors); anything but a Conflict is re-raised, so what would be a 500 fails the test loudly."""
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        if not isinstance(error, Conflict):
            raise error
    return [r for r in results if not isinstance(r, BaseException)], errors


async def test_concurrent_invoices_get_gapless_numbers(db):
    await start_pool(db)
    finance = await finance_actor()
    egusd, sanjuan = await district_id_of("EGUSD"), await district_id_of("SJUSD")
    await district_billed_seats(CROWD // 2, district="EGUSD")
    await district_billed_seats(CROWD // 2, district="SJUSD", title="Writing Workshop K-2")
    calls = [(district, line) for district in (egusd, sanjuan) for line in await open_line_ids(district)]
    assert len(calls) == CROWD

    results = await asyncio.gather(
        *[issue_invoices(finance, district, [line], acknowledge_warnings=True) for district, line in calls],
        return_exceptions=True,
    )

    issued, errors = outcomes(results)
    assert errors == []
    fiscal_year = fiscal_year_of(local_today())
    numbers = sorted(invoice["number"] for [invoice] in issued)
    assert numbers == [f"INV-{fiscal_year}-{n:04d}" for n in range(1, CROWD + 1)]
    assert sorted(row["sequence"] for row in await Invoice.select(Invoice.sequence)) == list(range(1, CROWD + 1))
    counter = await DocumentCounter.select().where(DocumentCounter.kind == "invoice").first()
    assert (counter["fiscal_year"], counter["last_value"]) == (fiscal_year, CROWD)
    await assert_money_invariants()

    # The credit notes of all of them, at once: CN-...-0001..0016, no gap, no duplicate.
    notes = await asyncio.gather(
        *[
            issue_credit_note(finance, invoice["id"], reason="Workshop cancelled by SCOE", void=True)
            for [invoice] in issued
        ],
        return_exceptions=True,
    )
    notes, errors = outcomes(notes)
    assert errors == []
    assert sorted(note["number"] for note in notes) == [f"CN-{fiscal_year}-{n:04d}" for n in range(1, CROWD + 1)]
    await assert_money_invariants()


async def test_a_rolled_back_issue_gives_its_number_back(db):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    await district_billed_seats(4)
    first, second, third, fourth = await open_line_ids(district)
    [one] = await issue_invoices(finance, district, [first], acknowledge_warnings=True)
    assert one["number"].endswith("-0001")

    # Refused before numbering: one of the lines is already invoiced.
    with pytest.raises(Conflict) as stale:
        await issue_invoices(finance, district, [first, second], acknowledge_warnings=True)
    assert stale.value.code == "lines_changed"

    # Refused after numbering: the issue joined a larger transaction that then failed (the invoice,
    # its number and its lines were written, then rolled back together).
    class LaterStepFailed(Exception):
        pass

    with pytest.raises(LaterStepFailed):
        async with write_transaction():
            [doomed] = await issue_invoices(finance, district, [second], acknowledge_warnings=True)
            assert doomed["number"].endswith("-0002")
            raise LaterStepFailed
    assert await Invoice.count() == 1
    assert (await ChargeLine.select(ChargeLine.status).where(ChargeLine.id == second).first())["status"] == "open"

    # Two more at once after the failures: they take 0002 and 0003.
    results = await asyncio.gather(
        *[issue_invoices(finance, district, [line], acknowledge_warnings=True) for line in (third, second)]
    )
    assert sorted(invoice["number"][-4:] for [invoice] in results) == ["0002", "0003"]
    assert (await DocumentCounter.select(DocumentCounter.last_value).where(DocumentCounter.kind == "invoice").first())[
        "last_value"
    ] == 3
    await assert_money_invariants()


async def test_numbers_restart_with_each_fiscal_year_in_local_time(db):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    await district_billed_seats(4)
    lines = await open_line_ids(district)
    # 11:30 pm on June 30 in Sacramento is already July 1 in UTC: still fiscal year 2025-26.
    june_30_late = dt.datetime(2026, 6, 30, 23, 30, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    july_1_early = dt.datetime(2026, 7, 1, 0, 30, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    assert june_30_late.date() == dt.date(2026, 7, 1)

    [a] = await issue_invoices(finance, district, [lines[0]], acknowledge_warnings=True, now=june_30_late)
    [b] = await issue_invoices(finance, district, [lines[1]], acknowledge_warnings=True, now=july_1_early)
    [c] = await issue_invoices(finance, district, [lines[2]], acknowledge_warnings=True, now=june_30_late)
    [d] = await issue_invoices(finance, district, [lines[3]], acknowledge_warnings=True, now=july_1_early)
    assert [x["number"] for x in (a, b, c, d)] == [
        "INV-2025-26-0001",
        "INV-2026-27-0001",
        "INV-2025-26-0002",
        "INV-2026-27-0002",
    ]
    assert (a["issued_on"], b["issued_on"]) == (dt.date(2026, 6, 30), dt.date(2026, 7, 1))
    assert a["due_on"] == dt.date(2026, 7, 30)
    note = await issue_credit_note(finance, a["id"], reason="Duplicate registration", void=True, now=july_1_early)
    assert note["number"] == "CN-2026-27-0001"  # a credit note is numbered in the year it is issued
    await assert_money_invariants()


async def test_ten_finance_staff_issuing_the_same_lines_make_one_invoice(db):
    await start_pool(db)
    finance = [await finance_actor() for _ in range(10)]
    district = await district_id_of("EGUSD")
    await district_billed_seats(3, po_number="PO-1001")
    await district_billed_seats(2, po_number="PO-2002", title="Science of Reading")
    lines = await open_line_ids(district)

    results = await asyncio.gather(
        *[issue_invoices(person, district, lines, acknowledge_warnings=True) for person in finance],
        return_exceptions=True,
    )

    issued, errors = outcomes(results)
    assert len(issued) == 1 and len(errors) == 9
    assert {error.code for error in errors} == {"lines_changed"}
    assert sorted(invoice["po_number"] for invoice in issued[0]) == ["PO-1001", "PO-2002"]  # one invoice per PO
    assert await Invoice.count() == 2
    on_invoices = [row["charge_line"] for row in await InvoiceLine.select(InvoiceLine.charge_line)]
    assert sorted(on_invoices) == sorted(lines)  # every line once, none twice
    assert (await DocumentCounter.select(DocumentCounter.last_value).first())["last_value"] == 2  # no number lost
    await assert_money_invariants()


async def _invoice_of(finance, district: int, seats: int, title: str) -> dict:
    await district_billed_seats(seats, title=title)
    [invoice] = await issue_invoices(finance, district, await open_line_ids(district), acknowledge_warnings=True)
    return invoice


async def test_two_checks_paying_the_same_invoice_at_once_apply_one(db):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice = await _invoice_of(finance, district, 3, "Number Talks")
    full = money_text(invoice["total_cents"])
    today = str(local_today())
    checks = [
        check_payment_form(
            {"method": "check", "amount": full, "received_on": today, "reference": f"10{n}"}, {invoice["id"]: full}
        )
        for n in range(2)
    ]

    results = await asyncio.gather(
        *[record_payment(finance, district, clean) for clean in checks], return_exceptions=True
    )

    recorded, errors = outcomes(results)
    assert len(recorded) == 1 and [error.code for error in errors] == ["over_allocation"]
    # Nothing half-written: the refused check is not recorded at all, not even as credit.
    assert [row["reference"] for row in await PaymentReceived.select(PaymentReceived.reference)] == [
        recorded[0]["reference"]
    ]
    assert await Allocation.count() == 1
    balance = await balance_of(invoice["id"])
    assert (balance.paid_cents, balance.open_cents) == (invoice["total_cents"], 0)
    assert await district_credit_cents(district) == 0
    await assert_money_invariants()


@pytest.mark.parametrize("applied", [False, True], ids=["as-credit", "applied"])
async def test_the_same_check_entered_twice_at_once_is_recorded_once(db, applied):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice = await _invoice_of(finance, district, 2, "Number Talks")
    clean = check_payment_form(
        {"method": "check", "amount": "100.00", "received_on": str(local_today()), "reference": "5521"},
        {invoice["id"]: "100.00"} if applied else {},
    )

    results = await asyncio.gather(
        *[record_payment(finance, district, clean) for _ in range(CROWD)], return_exceptions=True
    )

    recorded, errors = outcomes(results)
    assert len(recorded) == 1 and {error.code for error in errors} == {"duplicate_payment"}
    assert await PaymentReceived.count() == 1
    assert await Allocation.count() == (1 if applied else 0)
    assert await district_credit_cents(district) == (0 if applied else 10_000)
    await assert_money_invariants()


async def test_one_credit_used_for_two_invoices_at_once_is_spent_once(db):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    first = await _invoice_of(finance, district, 1, "Number Talks")  # $125.00 each
    second = await _invoice_of(finance, district, 1, "Writing Workshop")
    payment = await record_payment(
        finance,
        district,
        check_payment_form(
            {"method": "ach", "amount": "100.00", "received_on": str(local_today()), "reference": "ACH-77"}, {}
        ),
    )

    # Finance applies the credit to both invoices at the same moment.
    results = await asyncio.gather(
        *[apply_district_credit(finance, invoice["id"]) for invoice in (first, second)], return_exceptions=True
    )
    applied, errors = outcomes(results)
    assert applied == [10_000] and [error.code for error in errors] == ["no_credit"]
    await assert_money_invariants()

    # And the remainder of a payment, split by hand onto both at once: $20 + $20 from a $30 check.
    other = await record_payment(
        finance,
        district,
        check_payment_form(
            {"method": "check", "amount": "30.00", "received_on": str(local_today()), "reference": "3003"}, {}
        ),
    )
    results = await asyncio.gather(
        *[allocate_payment(finance, other["id"], invoice["id"], 2_000) for invoice in (first, second)],
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and getattr(errors[0], "field_errors", None) == {
        "amount": "That is more than is left of this payment."
    }
    assert [row["amount_cents"] for row in await Allocation.select().where(Allocation.payment == other["id"])] == [
        2_000
    ]
    assert await district_credit_cents(district) == 1_000
    assert (
        sum(row["amount_cents"] for row in await Allocation.select().where(Allocation.payment == payment["id"]))
        == 10_000
    )
    await assert_money_invariants()


async def test_concurrent_gathering_makes_each_line_once(db):
    await start_pool(db)
    district = await district_id_of("EGUSD")
    await district_billed_seats(5)  # gathered once here
    await ChargeLine.delete(force=True)  # the sources stay; their lines are made again below, all at once

    results = await asyncio.gather(*[gather_charge_lines() for _ in range(8)], return_exceptions=True)

    outcomes(results)
    assert sum(results) == 5
    rows = await ChargeLine.select(ChargeLine.source_id).where(ChargeLine.district == district)
    assert len(rows) == len({row["source_id"] for row in rows}) == 5
    await assert_money_invariants()


async def test_a_line_invoiced_while_gathering_withdraws_it_stays_invoiced(db):
    """The seat is cancelled; before anyone gathers, finance invoices its line. A gatherer that read the line as
    open (and cancelled) must not withdraw it once the invoice commits: it needs a credit note instead."""
    await start_pool(db)
    finance, staff = await finance_actor(), await staff_actor()
    district = await district_id_of("EGUSD")
    [seat] = await district_billed_seats(1)
    [line] = await open_line_ids(district)
    await cancel_registration(staff, seat["id"], reason="Teacher on leave")
    invoiced, release = asyncio.Event(), asyncio.Event()

    async def issue_and_hold() -> None:
        async with write_transaction():  # the issue joins this transaction, which stays open a moment
            await issue_invoices(finance, district, [line], acknowledge_warnings=True)
            invoiced.set()
            await release.wait()

    issuing = asyncio.create_task(issue_and_hold())
    await invoiced.wait()
    gathering = asyncio.create_task(gather_charge_lines())
    await asyncio.sleep(0.3)  # PostgreSQL: the gatherer has read the line as open and waits for its row lock
    release.set()
    await asyncio.gather(issuing, gathering)

    row = await ChargeLine.select().where(ChargeLine.id == line).first()
    assert row["status"] == "invoiced" and row["invoice"] is not None
    assert [flagged["id"] for flagged in await invoiced_lines_needing_credit()] == [line]
    await assert_money_invariants()


async def test_two_invoices_issued_at_once_against_one_po_cannot_both_miss_its_limit(db):
    """Each invoice alone stays under the PO's not-to-exceed amount; together they go over. Without the PO lock both
    would be issued without a warning; with it, the second sees the first and must be confirmed."""
    from booking.payments.purchase_orders import add_purchase_order

    await start_pool(db)
    district = await district_id_of("EGUSD")
    coordinator = await coordinator_actor("EGUSD")
    await add_purchase_order(coordinator, {"number": "PO-CAP", "not_to_exceed": "400"})
    await district_billed_seats(2, po_number="PO-CAP", price_cents=12_500)
    await district_billed_seats(2, po_number="PO-CAP", price_cents=12_500, title="Science of Reading")
    lines = await open_line_ids(district)
    first, second = [await finance_actor() for _ in range(2)]
    await District.update({District.billing_contact_email: "ap@egusd.example"}).where(District.id == district)

    results = await asyncio.gather(
        issue_invoices(first, district, lines[:2]), issue_invoices(second, district, lines[2:]), return_exceptions=True
    )

    issued, errors = outcomes(results)
    assert len(issued) == 1 and [error.code for error in errors] == ["warnings_unacknowledged"]
    assert "over its not-to-exceed amount" in errors[0].message
    assert await Invoice.count() == 1
    await assert_money_invariants()
