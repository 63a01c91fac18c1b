"""The money invariants, checked after every step of a seeded random sequence of finance operations.

For every invoice: its total is the sum of its lines, paid + credited + open == total, open ≥ 0, paid ≥ 0,
and no line is credited beyond its amount. For every district: what it paid == what is applied to invoices
+ its credit, and no payment is applied beyond its amount. Every charge source has at most one live
(open or invoiced) line, a charge line is on at most one invoice, and document numbers have no gap.
`assert_money_invariants` recomputes all of this from the rows themselves (not from `balances`), so a
wrong balance, a double allocation or a lost line fails it; the other money tests call it too.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from booking.accounts.districts import find_district
from booking.errors import Conflict, InvalidInput
from booking.payments.balances import balances_for, district_credit_cents, unallocated_by_payment
from booking.payments.charge_lines import gather_charge_lines, invoiced_lines_needing_credit
from booking.payments.credit_notes import credited_per_line, issue_credit_note
from booking.payments.fiscal import local_today
from booking.payments.invoicing import issue_invoices, preview_invoices
from booking.payments.payments_received import (
    allocate_payment,
    apply_district_credit,
    check_payment_form,
    record_payment,
)
from booking.payments.tables import (
    Allocation,
    ChargeLine,
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    PaymentReceived,
)
from booking.scheduling.tables import Registration
from booking.workflows.cancel_registration import cancel_registration
from tests.payments.money_factory import district_billed_seats, finance_actor, open_line_ids
from tests.workshop_factory import staff_actor

POOL_SIZE = 20


async def start_pool(engine) -> None:
    """On PostgreSQL, pooled connections: concurrent transactions really overlap, and each query is quicker.
    The `db` fixture closes the pool after the test."""
    if engine.engine_type == "postgres":
        await engine.start_connection_pool(min_size=4, max_size=POOL_SIZE)


MONEY_TABLES = (
    Invoice,
    InvoiceLine,
    CreditNote,
    CreditNoteLine,
    ChargeLine,
    PaymentReceived,
    Allocation,
    DocumentCounter,
)


async def district_id_of(code: str) -> int:
    return (await find_district(code))["id"]


def money_text(cents: int) -> str:
    """Cents as finance types them: 12345 -> "123.45"."""
    return f"{cents // 100}.{cents % 100:02d}"


async def money_snapshot() -> dict:
    """Every money row, to prove a refused operation changed nothing."""
    return {table._meta.tablename: await table.select().order_by(table._meta.primary_key) for table in MONEY_TABLES}


async def assert_money_invariants() -> None:
    invoices = await Invoice.select()
    invoice_lines = await InvoiceLine.select()
    notes = await CreditNote.select()
    note_lines = await CreditNoteLine.select()
    allocations = await Allocation.select()
    payments = await PaymentReceived.select()
    charges = await ChargeLine.select()
    balances = await balances_for(invoices)

    lines_of = defaultdict(list)
    for line in invoice_lines:
        lines_of[line["invoice"]].append(line)
    lines_of_note = defaultdict(list)
    for line in note_lines:
        lines_of_note[line["credit_note"]].append(line)
    credited_on_line: Counter = Counter()
    for note in notes:
        assert lines_of_note[note["id"]], note
        assert note["amount_cents"] == sum(line["amount_cents"] for line in lines_of_note[note["id"]]) > 0
        for line in lines_of_note[note["id"]]:
            assert line["amount_cents"] != 0
            credited_on_line[line["invoice_line"]] += line["amount_cents"]
    invoice_of_line = {line["id"]: line["invoice"] for line in invoice_lines}
    for note in notes:
        assert all(invoice_of_line[line["invoice_line"]] == note["invoice"] for line in lines_of_note[note["id"]])
    paid_on: Counter = Counter()
    for allocation in allocations:
        paid_on[allocation["invoice"]] += allocation["amount_cents"]

    for invoice in invoices:
        lines = lines_of[invoice["id"]]
        assert lines, f"{invoice['number']} has no lines"
        assert invoice["total_cents"] == sum(line["amount_cents"] for line in lines) > 0
        assert sorted(line["position"] for line in lines) == list(range(1, len(lines) + 1))
        credited = sum(note["amount_cents"] for note in notes if note["invoice"] == invoice["id"])
        for line in lines:
            # A line credits toward zero, whichever its sign (a scholarship is a negative line).
            low, high = sorted((0, line["amount_cents"]))
            assert low <= credited_on_line[line["id"]] <= high, (invoice["number"], line)
        balance = balances[invoice["id"]]
        assert (balance.total_cents, balance.paid_cents, balance.credited_cents) == (
            invoice["total_cents"],
            paid_on[invoice["id"]],
            credited,
        ), invoice["number"]
        assert balance.paid_cents + balance.credited_cents + balance.open_cents == balance.total_cents
        assert balance.open_cents >= 0 and balance.paid_cents >= 0, (invoice["number"], balance)

    district_of_invoice = {invoice["id"]: invoice["district"] for invoice in invoices}
    applied_from: Counter = Counter()
    for allocation in allocations:
        payment = next(p for p in payments if p["id"] == allocation["payment"])
        assert district_of_invoice[allocation["invoice"]] == payment["district"]  # never another district's money
        applied_from[payment["id"]] += allocation["amount_cents"]
    for payment in payments:
        assert 0 <= applied_from[payment["id"]] <= payment["amount_cents"], payment
    for district in {p["district"] for p in payments} | set(district_of_invoice.values()):
        paid_in = sum(p["amount_cents"] for p in payments if p["district"] == district)
        applied = sum(applied_from[p["id"]] for p in payments if p["district"] == district)
        assert paid_in == applied + await district_credit_cents(district)

    # Charge lines: one live line per source; invoiced lines sit on exactly their invoice, once.
    live = Counter((c["source_kind"], c["source_id"]) for c in charges if c["status"] in ("open", "invoiced"))
    assert all(count == 1 for count in live.values()), [key for key, count in live.items() if count > 1]
    on_invoice = {line["charge_line"]: line for line in invoice_lines}
    assert len(on_invoice) == len(invoice_lines)  # no charge line on two invoice lines
    for charge in charges:
        line = on_invoice.get(charge["id"])
        if charge["status"] in ("open", "withdrawn"):
            assert line is None and charge["invoice"] is None, charge
        else:
            assert line is not None and charge["invoice"] == line["invoice"], charge
            assert line["amount_cents"] == charge["amount_cents"]
            fully_credited = credited_on_line[line["id"]] == line["amount_cents"]
            assert fully_credited == (charge["status"] == "credited"), charge

    # Gapless numbers per kind and fiscal year, matching the counters.
    counters = {(c["kind"], c["fiscal_year"]): c["last_value"] for c in await DocumentCounter.select()}
    for kind, prefix, rows in (("invoice", "INV", invoices), ("credit_note", "CN", notes)):
        years = defaultdict(list)
        for row in rows:
            assert row["number"] == f"{prefix}-{row['fiscal_year']}-{row['sequence']:04d}"
            years[row["fiscal_year"]].append(row["sequence"])
        for year, sequences in years.items():
            assert sorted(sequences) == list(range(1, len(sequences) + 1)), (kind, year)
            assert counters[(kind, year)] == len(sequences)


class Ledger:
    """The random walk's view of the books, re-read from the use cases' own queries before each choice."""

    def __init__(self, rng: random.Random, finance, staff, districts: list[int], seats: list[dict]):
        self.rng, self.finance, self.staff, self.districts, self.seats = rng, finance, staff, districts, seats
        self.references = 0

    async def invoices(self, district: int | None = None) -> list[dict]:
        query = Invoice.select().order_by(Invoice.id)
        if district is not None:
            query = query.where(Invoice.district == district)
        rows = await query
        balances = await balances_for(rows)
        return [{**row, "balance": balances[row["id"]]} for row in rows]

    async def refused(self, error_type, call, code: str | None = None) -> None:
        """The call must be refused with this error and change nothing."""
        before = await money_snapshot()
        with pytest.raises(error_type) as refusal:
            await call
        if code:
            assert refusal.value.code == code
        assert await money_snapshot() == before

    def today(self) -> str:
        return str(local_today())

    async def issue(self) -> str:
        district = self.rng.choice(self.districts)
        drafts = await preview_invoices(self.finance, district)  # gathers lines first
        if not drafts:
            return "nothing to invoice"
        draft = self.rng.choice(drafts)
        chosen = self.rng.sample(draft.line_ids, self.rng.randint(1, len(draft.line_ids)))
        invoiced = [
            c["id"]
            for c in await ChargeLine.select(ChargeLine.id).where(
                (ChargeLine.status == "invoiced") & (ChargeLine.district == district)
            )
        ]
        if invoiced and self.rng.random() < 0.2:
            # A stale preview: one of the lines was invoiced meanwhile.
            await self.refused(
                Conflict,
                issue_invoices(self.finance, district, chosen + [self.rng.choice(invoiced)], acknowledge_warnings=True),
                "lines_changed",
            )
            return "stale issue refused"
        issued = await issue_invoices(self.finance, district, chosen, acknowledge_warnings=True)
        assert sum(invoice["total_cents"] for invoice in issued) == sum(
            c["amount_cents"]
            for c in await ChargeLine.select(ChargeLine.amount_cents).where(ChargeLine.id.is_in(chosen))
        )
        return f"issued {len(issued)}"

    async def pay(self) -> str:
        district = self.rng.choice(self.districts)
        open_invoices = [i for i in await self.invoices(district) if i["balance"].open_cents > 0]
        targets = self.rng.sample(open_invoices, min(len(open_invoices), self.rng.choice([0, 1, 1, 2])))
        texts = {i["id"]: self.rng.randint(1, i["balance"].open_cents) for i in targets}
        over = bool(targets) and self.rng.random() < 0.15
        if over:
            texts[targets[0]["id"]] = targets[0]["balance"].open_cents + 1
        amount = sum(texts.values()) + self.rng.choice([0, 0, self.rng.randint(1, 20_000)])
        self.references += 1
        clean = check_payment_form(
            {
                "method": self.rng.choice(["check", "ach"]),
                "amount": money_text(max(amount, 500)),
                "received_on": self.today(),
                "reference": f"R-{self.references}",
            },
            {invoice_id: money_text(cents) for invoice_id, cents in texts.items()},
        )
        if over:
            await self.refused(Conflict, record_payment(self.finance, district, clean), "over_allocation")
            return "over-allocation refused"
        before = {i["id"]: i["balance"].paid_cents for i in targets}
        credit_before = await district_credit_cents(district)
        payment = await record_payment(self.finance, district, clean)
        after = {i["id"]: i["balance"].paid_cents for i in await self.invoices(district) if i["id"] in before}
        assert {k: after[k] - before[k] for k in before} == texts
        assert await district_credit_cents(district) == credit_before + payment["amount_cents"] - sum(texts.values())
        with pytest.raises(Conflict):  # the same reference again
            await record_payment(self.finance, district, clean)
        return f"paid {len(texts)}"

    async def credit(self) -> str:
        invoices = await self.invoices()
        if not invoices:
            return "no invoice"
        invoice = self.rng.choice(invoices)
        lines = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
        credited = await credited_per_line(invoice["id"])
        left = {line["id"]: line["amount_cents"] - credited.get(line["id"], 0) for line in lines}
        candidates = [line_id for line_id, cents in left.items() if cents > 0]
        if not candidates:
            await self.refused(
                InvalidInput,
                issue_credit_note(self.finance, invoice["id"], reason="Again", amounts={lines[0]["id"]: 1}),
            )
            return "credit on a fully credited line refused"
        line_id = self.rng.choice(candidates)
        if self.rng.random() < 0.15:
            await self.refused(
                InvalidInput,
                issue_credit_note(self.finance, invoice["id"], reason="Too much", amounts={line_id: left[line_id] + 1}),
            )
            return "over-credit refused"
        cents = self.rng.choice([left[line_id], self.rng.randint(1, left[line_id])])
        credit_before = await district_credit_cents(invoice["district"])
        note = await issue_credit_note(
            self.finance,
            invoice["id"],
            reason="Attendance correction",
            amounts={line_id: cents},
            reopen_charges=self.rng.random() < 0.5,
        )
        assert note["amount_cents"] == cents and note["kind"] == "correction"
        returned = max(0, cents - invoice["balance"].open_cents)  # what was already paid goes back to credit
        assert await district_credit_cents(invoice["district"]) == credit_before + returned
        return "credited"

    async def void(self) -> str:
        invoices = await self.invoices()
        if not invoices:
            return "no invoice"
        invoice = self.rng.choice(invoices)
        total_left = invoice["total_cents"] - invoice["balance"].credited_cents
        if total_left == 0:
            await self.refused(
                Conflict, issue_credit_note(self.finance, invoice["id"], reason="Twice", void=True), "already_credited"
            )
            return "second void refused"
        reopen = self.rng.random() < 0.5
        credited = await credited_per_line(invoice["id"])
        lines_left = [
            line
            for line in await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
            if line["amount_cents"] > credited.get(line["id"], 0)
        ]
        opened_before = len(await open_line_ids(invoice["district"]))
        note = await issue_credit_note(self.finance, invoice["id"], reason="Wrong PO", void=True, reopen_charges=reopen)
        assert note["amount_cents"] == total_left and note["kind"] == "void"
        [after] = [i for i in await self.invoices() if i["id"] == invoice["id"]]
        assert (after["balance"].open_cents, after["balance"].paid_cents, after["balance"].state) == (0, 0, "void")
        # Re-opened charges come back as open lines, ready for a corrected invoice; otherwise none.
        reopened = len(await open_line_ids(invoice["district"])) - opened_before
        assert reopened == (len(lines_left) if reopen else 0)
        return f"voided{' and reopened' if reopen else ''}"

    async def apply_credit(self) -> str:
        district = self.rng.choice(self.districts)
        invoices = await self.invoices(district)
        if not invoices:
            return "no invoice"
        invoice = self.rng.choice(invoices)
        available = await district_credit_cents(district)
        if available == 0:
            await self.refused(Conflict, apply_district_credit(self.finance, invoice["id"]), "no_credit")
            return "no credit to apply"
        if self.rng.random() < 0.15:
            await self.refused(InvalidInput, apply_district_credit(self.finance, invoice["id"], available + 1))
            return "more than the credit refused"
        if invoice["balance"].open_cents == 0:
            await self.refused(Conflict, apply_district_credit(self.finance, invoice["id"]), "nothing_open")
            return "nothing open"
        wanted = self.rng.choice([None, self.rng.randint(1, available)])
        applied = await apply_district_credit(self.finance, invoice["id"], wanted)
        assert applied == min(wanted or available, invoice["balance"].open_cents)
        assert await district_credit_cents(district) == available - applied
        return "credit applied"

    async def allocate(self) -> str:
        district = self.rng.choice(self.districts)
        remainders = await unallocated_by_payment(district)
        open_invoices = [i for i in await self.invoices(district) if i["balance"].open_cents > 0]
        if not remainders or not open_invoices:
            return "nothing to allocate"
        payment_id = self.rng.choice(sorted(remainders))
        invoice = self.rng.choice(open_invoices)
        if self.rng.random() < 0.15:
            await self.refused(
                InvalidInput, allocate_payment(self.finance, payment_id, invoice["id"], remainders[payment_id] + 1)
            )
            return "more than the payment refused"
        cents = self.rng.randint(1, min(remainders[payment_id], invoice["balance"].open_cents))
        await allocate_payment(self.finance, payment_id, invoice["id"], cents)
        assert (await unallocated_by_payment(district)).get(payment_id, 0) == remainders[payment_id] - cents
        return "allocated"

    async def cancel(self) -> str:
        confirmed = [
            s
            for s in self.seats
            if (await Registration.select(Registration.status).where(Registration.id == s["id"]).first())["status"]
            == "confirmed"
        ]
        if not confirmed:
            return "nobody to cancel"
        seat = self.rng.choice(confirmed)
        await cancel_registration(self.staff, seat["id"], reason="Teacher on leave")
        await gather_charge_lines()
        lines = await ChargeLine.select().where(
            (ChargeLine.source_kind == "registration") & (ChargeLine.source_id == seat["id"])
        )
        live = [line for line in lines if line["status"] in ("open", "invoiced")]
        assert not [line for line in live if line["status"] == "open"]  # an open line is withdrawn at once
        needing_credit = {line["id"] for line in await invoiced_lines_needing_credit()}
        assert all(line["id"] in needing_credit for line in live)  # an invoiced one waits for a credit note
        return "cancelled"


OPERATIONS = {"issue": 4, "pay": 4, "credit": 3, "void": 2, "apply_credit": 3, "allocate": 3, "cancel": 2}
STEPS = 60


@pytest.mark.parametrize("seed", [20261124])
async def test_money_invariants_hold_after_every_step(db, seed):
    await start_pool(db)
    rng = random.Random(seed)
    finance, staff = await finance_actor(), await staff_actor()
    districts = [await district_id_of("EGUSD"), await district_id_of("SJUSD")]
    seats = []
    for code in ("EGUSD", "SJUSD"):
        seats += await district_billed_seats(5, district=code, price_cents=12_500, po_number="PO-A1")
        seats += await district_billed_seats(3, district=code, price_cents=8_775, title="Science Labs", days=40)
    ledger = Ledger(rng, finance, staff, districts, seats)
    await assert_money_invariants()

    done = Counter()
    names, weights = zip(*OPERATIONS.items())
    for step in range(STEPS):
        name = rng.choices(names, weights)[0]
        outcome = await getattr(ledger, name)()
        done[outcome] += 1
        try:
            await assert_money_invariants()
        except AssertionError as error:
            raise AssertionError(f"step {step} ({name}: {outcome}) broke an invariant: {error}") from error
    # The walk really went through the interesting cases (a guard against a walk that only skips).
    assert (
        done["credited"]
        and done["credit applied"] + done["allocated"]
        and sum(n for o, n in done.items() if o.startswith("issued")) >= 3
    ), done
    assert any(o.startswith("voided") for o in done) and any("refused" in o for o in done), done
