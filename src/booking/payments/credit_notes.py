"""Corrections and cancellations of issued invoices: credit notes with their own gapless numbers.

The invoice itself never changes. A credit note reduces what is open; if the invoice was already
paid, the excess goes back to the district's credit. Voiding is a credit note for everything not
yet credited; its charges may be re-opened so a corrected invoice can be issued.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from booking.accounts.actor import Actor
from booking.audit.trail import record
from booking.clock import utc_now
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.money import format_cents
from booking.payments.access import ISSUING, require_finance
from booking.payments.allocation import lock_invoices, release_overpaid
from booking.payments.balances import balances_for
from booking.payments.charge_line_lifecycle import ChargeLineStatus, move_charge_lines
from booking.payments.charge_lines import mark_charge_sources
from booking.payments.fiscal import local_today
from booking.payments.numbering import next_document_number
from booking.payments.rows import InvoiceLineRecord
from booking.payments.tables import ChargeLine, CreditNote, CreditNoteLine, InvoiceLine

REASON_MAX = 500


async def credited_per_line(invoice_id: int) -> dict[int, int]:
    notes = [row["id"] for row in await CreditNote.select(CreditNote.id).where(CreditNote.invoice == invoice_id)]
    credited: dict[int, int] = {}
    if notes:
        for row in await CreditNoteLine.select(CreditNoteLine.invoice_line, CreditNoteLine.amount_cents).where(
            CreditNoteLine.credit_note.is_in(notes)
        ):
            credited[row["invoice_line"]] = credited.get(row["invoice_line"], 0) + row["amount_cents"]
    return credited


async def issue_credit_note(
    actor: Actor,
    invoice_id: int,
    *,
    reason: str,
    void: bool = False,
    amounts: dict[int, int] | None = None,
    reopen_charges: bool = False,
    now: dt.datetime | None = None,
) -> dict:
    """`amounts`: invoice line id -> cents to credit (a correction); `void`: credit everything left."""
    require_finance(actor, ISSUING)
    return await issue_credit_note_for(
        invoice_id,
        reason=reason,
        void=void,
        amounts=amounts,
        reopen_charges=reopen_charges,
        issued_by=actor.id,
        now=now,
    )


async def issue_credit_note_for(
    invoice_id: int,
    *,
    reason: str,
    void: bool = False,
    amounts: dict[int, int] | None = None,
    reopen_charges: bool = False,
    issued_by: int | None,
    now: dt.datetime | None = None,
) -> dict:
    """The credit note itself, once the caller is known to be allowed: finance, or the platform acting on
    finance's standing instruction (`issued_by` None: a seat cancelled after invoicing, credited automatically)."""
    now = now or utc_now()
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput({"reason": "Say why: the district sees the reason on the credit note."})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Keep the reason under {REASON_MAX} characters."})
    if not void and not amounts:
        raise InvalidInput({"amounts": "Enter the amount to credit on at least one line."})
    issue_day = local_today(now)
    async with write_transaction():
        invoice = (await lock_invoices([invoice_id])).get(invoice_id)
        if invoice is None:
            raise NotFound("No such invoice.")
        lines: dict[int, InvoiceLineRecord] = {
            line["id"]: line
            for line in cast(
                list[InvoiceLineRecord], await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
            )
        }
        credited = await credited_per_line(invoice_id)
        left = {line_id: line["amount_cents"] - credited.get(line_id, 0) for line_id, line in lines.items()}
        if void:
            # Negative lines (a scholarship that reduced the invoice) are voided too, so the note credits the net owed.
            amounts = {line_id: amount for line_id, amount in left.items() if amount != 0}
            if not amounts:
                raise Conflict("This invoice is already fully credited.", code="already_credited")
        errors: dict[str, str] = {}
        for line_id, amount in amounts.items():
            if line_id not in lines:
                raise NotFound("That line is not on this invoice.")
            # A line credits toward zero: up to what is left of it, whichever its sign.
            low, high = sorted((0, left[line_id]))
            if not low <= amount <= high:
                span = (
                    f"{format_cents(low)} and $0" if low < 0 else f"$0 and {format_cents(high)}"
                )  # the words finance knows
                errors[f"line_{line_id}"] = f"Credit between {span} on this line."
        amounts = {line_id: amount for line_id, amount in amounts.items() if amount != 0}
        if errors:
            raise InvalidInput(errors)
        if not amounts:
            raise InvalidInput({"amounts": "Enter the amount to credit on at least one line."})
        total = sum(amounts.values())
        if total <= 0:
            raise InvalidInput({"amounts": "A credit note reduces what the district owes: its total must be above $0."})
        creditable = sum(left.values())  # below the lines' sum when a scholarship line (negative) reduces the invoice
        if total > creditable:
            raise InvalidInput(
                {
                    "amounts": f"Credit at most {format_cents(creditable)} on this invoice: that is all it "
                    "still owes after its scholarship. To cancel it, void the whole invoice."
                }
            )
        fiscal_year, sequence, number = await next_document_number("credit_note", issue_day)
        note = (
            await CreditNote.insert(
                CreditNote(
                    number=number,
                    fiscal_year=fiscal_year,
                    sequence=sequence,
                    invoice=invoice_id,
                    district=invoice["district"],
                    kind="void" if void else "correction",
                    reason=reason,
                    amount_cents=total,
                    issued_at=now,
                    issued_on=issue_day,
                    issued_by=issued_by,
                )
            ).returning(*CreditNote.all_columns())
        )[0]
        await CreditNoteLine.insert(
            *[
                CreditNoteLine(
                    credit_note=note["id"],
                    invoice_line=line_id,
                    description=lines[line_id]["description"],
                    amount_cents=amount,
                )
                for line_id, amount in sorted(amounts.items())
            ]
        )
        balance = (await balances_for([invoice]))[invoice_id]
        if balance.open_cents < 0:
            await release_overpaid(invoice, -balance.open_cents, issued_by)
        fully_credited = [
            lines[line_id]["charge_line"] for line_id, amount in amounts.items() if amount == left[line_id]
        ]
        await _close_charges(fully_credited, reopen_charges, now)
        from booking.payments.invoice_documents import email_credit_note

        await email_credit_note(note, invoice)
        # issued_by None: the platform, by finance's setting for seats cancelled after invoicing.
        await record(
            "credit_note.issued",
            actor_id=issued_by,
            subject=f"credit note {number} on invoice {invoice['number']}",
            district_id=invoice["district"],
            detail={
                "credit_note_id": note["id"],
                "invoice_id": invoice_id,
                "amount_cents": total,
                "kind": note["kind"],
                "reason": reason,
            },
        )
    return note


async def _close_charges(charge_line_ids: list[int], reopen: bool, now: dt.datetime) -> None:
    if not charge_line_ids:
        return
    charges = await ChargeLine.select().where(ChargeLine.id.is_in(charge_line_ids))
    await move_charge_lines(
        charge_line_ids, ChargeLineStatus.INVOICED, ChargeLineStatus.CREDITED, now, close_reason="Credited in full"
    )
    if reopen:
        # The same charge, owed again, ready for a corrected invoice.
        await ChargeLine.insert(
            *[
                ChargeLine(
                    **{
                        key: charge[key]
                        for key in (
                            "district",
                            "source_kind",
                            "source_id",
                            "program",
                            "description",
                            "detail",
                            "service_date",
                            "amount_cents",
                            "po_number",
                        )
                    },
                    status="open",
                )
                for charge in charges
            ]
        )
        await mark_charge_sources(charges, "owed")
    else:
        await mark_charge_sources(charges, "cancelled")
