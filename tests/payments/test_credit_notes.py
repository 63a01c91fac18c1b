"""Credit notes, on both engines: the invoice never changes, over-crediting and double voids are refused,
re-opened charges can be invoiced again, and credit on a paid invoice goes back to the district."""

from __future__ import annotations

import asyncio

import pytest

from booking.accounts.actor import Actor
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.payments.balances import balance_of, district_credit_cents
from booking.payments.charge_lines import gather_charge_lines
from booking.payments.credit_notes import credited_per_line, issue_credit_note
from booking.payments.fiscal import local_today
from booking.payments.invoicing import issue_invoices, set_po_on_open_lines
from booking.payments.payments_received import apply_district_credit, check_payment_form, record_payment
from booking.payments.tables import Allocation, ChargeLine, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from tests.factories import make_user
from tests.payments.money_factory import district_billed_seats, finance_actor, open_line_ids
from tests.payments.test_money_invariants import (
    assert_money_invariants,
    district_id_of,
    money_snapshot,
    money_text,
    start_pool,
)


async def invoice_with(finance, district: int, seats: int = 3, **options) -> tuple[dict, list[dict]]:
    """A new invoice for `seats` district-billed seats at $125.00, and its lines in order."""
    await district_billed_seats(seats, **options)
    [invoice] = await issue_invoices(finance, district, await open_line_ids(district), acknowledge_warnings=True)
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"]).order_by(InvoiceLine.position)
    return invoice, lines


async def pay(finance, district: int, reference: str, cents: int, invoice_id: int | None = None) -> dict:
    clean = check_payment_form(
        {"method": "check", "amount": money_text(cents), "received_on": str(local_today()), "reference": reference},
        {invoice_id: money_text(cents)} if invoice_id else {},
    )
    return await record_payment(finance, district, clean)


async def raw_rows(table: str, where: str, value: int) -> list[dict]:
    """The stored values exactly as the database hands them back, without piccolo's conversions."""
    return await Invoice.raw(f"SELECT * FROM {table} WHERE {where} = {{}} ORDER BY id", value)


async def test_issued_documents_refuse_every_update(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)
    note = await issue_credit_note(
        finance, invoice["id"], reason="One teacher did not come", amounts={lines[0]["id"]: 2_500}
    )
    note_line = await CreditNoteLine.select().where(CreditNoteLine.credit_note == note["id"]).first()
    before = await money_snapshot()

    attempts = [
        Invoice.update({Invoice.total_cents: 1}).where(Invoice.id == invoice["id"]),
        Invoice.update({Invoice.po_number: "PO-CHANGED"}).where(Invoice.id == invoice["id"]),
        InvoiceLine.update({InvoiceLine.amount_cents: 1}).where(InvoiceLine.id == lines[0]["id"]),
        CreditNote.update({CreditNote.reason: "Something else"}).where(CreditNote.id == note["id"]),
        CreditNoteLine.update({CreditNoteLine.amount_cents: 99_999}).where(CreditNoteLine.id == note_line["id"]),
        Invoice.raw("UPDATE invoice SET number = 'INV-0000' WHERE id = {}", invoice["id"]),
        Invoice.raw("UPDATE invoice_line SET invoice = invoice"),  # even a no-op change of every row
    ]
    for attempt in attempts:
        with pytest.raises(Exception, match="issued documents are immutable"):
            await attempt
    assert await money_snapshot() == before


async def test_credit_notes_leave_the_invoice_row_identical(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)
    await pay(finance, district, "4410", 20_000, invoice["id"])
    stored_invoice = await raw_rows("invoice", "id", invoice["id"])
    stored_lines = await raw_rows("invoice_line", "invoice", invoice["id"])

    await issue_credit_note(finance, invoice["id"], reason="Two hours shorter", amounts={lines[0]["id"]: 5_000})
    await issue_credit_note(finance, invoice["id"], reason="Cancelled by SCOE", void=True, reopen_charges=True)

    assert await raw_rows("invoice", "id", invoice["id"]) == stored_invoice
    assert await raw_rows("invoice_line", "invoice", invoice["id"]) == stored_lines
    # What changed is derived from the added rows only.
    balance = await balance_of(invoice["id"])
    assert (balance.total_cents, balance.credited_cents, balance.paid_cents, balance.open_cents, balance.state) == (
        37_500,
        37_500,
        0,
        0,
        "void",
    )
    await assert_money_invariants()


async def test_bad_credit_notes_are_refused_and_change_nothing(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)
    other, other_lines = await invoice_with(finance, district, 1, title="Another workshop")
    await issue_credit_note(finance, invoice["id"], reason="Shorter day", amounts={lines[0]["id"]: 10_000})
    before = await money_snapshot()

    with pytest.raises(InvalidInput) as over:  # $25.00 is left on that line
        await issue_credit_note(finance, invoice["id"], reason="Again", amounts={lines[0]["id"]: 2_501})
    assert over.value.field_errors == {f"line_{lines[0]['id']}": "Credit between $0 and $25.00 on this line."}
    with pytest.raises(InvalidInput) as over_two:  # each line within bounds is not enough: all must be
        await issue_credit_note(
            finance, invoice["id"], reason="Again", amounts={lines[1]["id"]: 12_500, lines[2]["id"]: 12_501}
        )
    assert list(over_two.value.field_errors) == [f"line_{lines[2]['id']}"]
    with pytest.raises(InvalidInput):
        await issue_credit_note(finance, invoice["id"], reason="Negative", amounts={lines[1]["id"]: -100})
    with pytest.raises(InvalidInput) as zero:
        await issue_credit_note(finance, invoice["id"], reason="Nothing", amounts={lines[1]["id"]: 0})
    assert "amounts" in zero.value.field_errors
    with pytest.raises(InvalidInput) as no_reason:
        await issue_credit_note(finance, invoice["id"], reason="   ", amounts={lines[1]["id"]: 100})
    assert "reason" in no_reason.value.field_errors
    with pytest.raises(InvalidInput):
        await issue_credit_note(finance, invoice["id"], reason="x" * 501, amounts={lines[1]["id"]: 100})
    with pytest.raises(InvalidInput):
        await issue_credit_note(finance, invoice["id"], reason="No amounts")
    with pytest.raises(NotFound):  # a line of another invoice
        await issue_credit_note(finance, invoice["id"], reason="Wrong line", amounts={other_lines[0]["id"]: 100})
    with pytest.raises(NotFound):
        await issue_credit_note(finance, 999_999, reason="No such invoice", void=True)
    for role in ("staff", "coordinator", "attendee"):
        with pytest.raises(Forbidden):
            await issue_credit_note(Actor.from_row(await make_user(role)), invoice["id"], reason="Not mine", void=True)

    assert await money_snapshot() == before  # nothing written, no credit-note number used
    note = await issue_credit_note(finance, invoice["id"], reason="Last line", amounts={lines[2]["id"]: 12_500})
    assert note["number"].endswith("-0002")
    await assert_money_invariants()


async def test_a_void_is_refused_the_second_time_and_voids_only_what_is_left(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)
    await issue_credit_note(finance, invoice["id"], reason="Shorter day", amounts={lines[0]["id"]: 4_000})
    void = await issue_credit_note(finance, invoice["id"], reason="Cancelled by SCOE", void=True)
    assert (void["kind"], void["amount_cents"]) == ("void", 37_500 - 4_000)
    assert await credited_per_line(invoice["id"]) == {line["id"]: 12_500 for line in lines}
    before = await money_snapshot()
    with pytest.raises(Conflict) as again:
        await issue_credit_note(finance, invoice["id"], reason="Cancelled by SCOE", void=True)
    assert again.value.code == "already_credited"
    with pytest.raises(InvalidInput):  # nor a correction on a fully credited line
        await issue_credit_note(finance, invoice["id"], reason="More", amounts={lines[0]["id"]: 1})
    assert await money_snapshot() == before
    await assert_money_invariants()


async def test_a_void_with_reopen_makes_the_charges_invoiceable_again(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district, 2, po_number="PO-OLD")
    old_charges = await ChargeLine.select().where(ChargeLine.invoice == invoice["id"]).order_by(ChargeLine.id)

    await issue_credit_note(finance, invoice["id"], reason="Wrong PO number", void=True, reopen_charges=True)

    assert [c["status"] for c in await ChargeLine.select().where(ChargeLine.invoice == invoice["id"])] == [
        "credited"
    ] * 2
    reopened = await ChargeLine.select().where(ChargeLine.status == "open").order_by(ChargeLine.id)
    assert [(c["source_kind"], c["source_id"], c["amount_cents"], c["po_number"]) for c in reopened] == [
        (c["source_kind"], c["source_id"], c["amount_cents"], c["po_number"]) for c in old_charges
    ]
    assert not {c["id"] for c in reopened} & {
        c["id"] for c in old_charges
    }  # new lines, the old ones keep their history
    assert await gather_charge_lines() == 0  # gathering neither duplicates nor withdraws them

    await set_po_on_open_lines(finance, district, [c["id"] for c in reopened], "PO-NEW")
    [corrected] = await issue_invoices(finance, district, [c["id"] for c in reopened], acknowledge_warnings=True)
    assert corrected["number"].endswith("-0002") and corrected["po_number"] == "PO-NEW"
    assert corrected["total_cents"] == invoice["total_cents"]
    assert [row["po_number"] for row in await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])] == [
        "PO-OLD"
    ] * 2
    await assert_money_invariants()


async def test_a_void_without_reopen_closes_the_charges_for_good(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, _ = await invoice_with(finance, district, 2)
    await issue_credit_note(finance, invoice["id"], reason="Workshop cancelled", void=True)
    assert await open_line_ids(district) == []
    assert await gather_charge_lines() == 0  # the seats are still confirmed, but their charge was credited
    assert await open_line_ids(district) == []
    await assert_money_invariants()


async def test_credit_on_a_paid_invoice_goes_back_to_the_district_and_pays_another(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    paid, paid_lines = await invoice_with(finance, district)  # $375.00
    await pay(finance, district, "7001", 37_500, paid["id"])
    later, _ = await invoice_with(finance, district, 1, title="Later workshop")  # $125.00

    await issue_credit_note(
        finance, paid["id"], reason="One teacher did not come", amounts={paid_lines[1]["id"]: 12_500}
    )

    returned = await Allocation.select().where(Allocation.amount_cents < 0)
    assert [(row["invoice"], row["amount_cents"]) for row in returned] == [(paid["id"], -12_500)]
    balance = await balance_of(paid["id"])
    assert (balance.paid_cents, balance.credited_cents, balance.open_cents, balance.state) == (
        25_000,
        12_500,
        0,
        "paid",
    )
    assert await district_credit_cents(district) == 12_500
    await assert_money_invariants()

    assert await apply_district_credit(finance, later["id"]) == 12_500
    assert (await balance_of(later["id"])).state == "paid"
    assert await district_credit_cents(district) == 0
    await assert_money_invariants()


async def test_credit_on_a_partly_paid_invoice_returns_only_the_excess(db):
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)  # $375.00
    await pay(finance, district, "7002", 20_000, invoice["id"])
    await issue_credit_note(
        finance, invoice["id"], reason="Two did not come", amounts={lines[0]["id"]: 12_500, lines[1]["id"]: 12_500}
    )
    balance = await balance_of(invoice["id"])
    assert (balance.paid_cents, balance.credited_cents, balance.open_cents) == (12_500, 25_000, 0)
    assert await district_credit_cents(district) == 7_500
    with pytest.raises(InvalidInput):  # a zero or negative amount of credit is refused, not taken as "all"
        await apply_district_credit(finance, invoice["id"], 0)
    with pytest.raises(Conflict) as nothing:
        await apply_district_credit(finance, invoice["id"])
    assert nothing.value.code == "nothing_open"
    await assert_money_invariants()


async def test_two_credit_notes_at_once_never_credit_more_than_the_invoice(db):
    await start_pool(db)
    finance = await finance_actor()
    district = await district_id_of("EGUSD")
    invoice, lines = await invoice_with(finance, district)

    voids = await asyncio.gather(
        *[issue_credit_note(finance, invoice["id"], reason="Cancelled", void=True) for _ in range(4)],
        return_exceptions=True,
    )
    errors = [v for v in voids if isinstance(v, BaseException)]
    assert len(errors) == 3 and {getattr(e, "code", e) for e in errors} == {"already_credited"}

    second, second_lines = await invoice_with(finance, district, 1, title="Second")
    corrections = await asyncio.gather(
        *[
            issue_credit_note(finance, second["id"], reason="Shorter", amounts={second_lines[0]["id"]: 8_000})
            for _ in range(2)
        ],
        return_exceptions=True,
    )
    errors = [c for c in corrections if isinstance(c, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], InvalidInput)
    assert (await balance_of(second["id"])).credited_cents == 8_000
    assert await CreditNote.count() == 2
    await assert_money_invariants()
