"""Issuing district invoices from open charge lines: preview first, then issue under lock.

Lines are grouped by PO number, one invoice per PO, because a district's payables office matches
each invoice to one purchase order. Issuing re-reads the lines under lock, so two finance staff
pressing "Issue" at once can never put one line on two invoices; the numbers come from
`numbering`, gapless per fiscal year.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.tables import District
from booking.audit.trail import record_by
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound
from booking.money import format_cents
from booking.payments.access import ISSUING, require_finance
from booking.payments.charge_line_lifecycle import ChargeLineStatus, move_charge_lines
from booking.payments.charge_lines import gather_charge_lines, mark_charge_sources
from booking.payments.fiscal import NET_DAYS, local_today
from booking.payments.numbering import next_document_number
from booking.payments.purchase_orders import find_po, invoiced_against, normalise_po_number
from booking.payments.rows import InvoiceRecord
from booking.payments.tables import ChargeLine, Invoice, InvoiceLine, PurchaseOrder
from booking.slypark.scholarship_tables import ScholarshipCharge
from booking.slypark.tables import BookingCharge

MAX_LINES_PER_INVOICE = 500


@dataclass
class InvoiceDraft:
    district: dict
    po_number: str
    purchase_order: dict | None
    lines: list[dict]
    warnings: list[str] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line["amount_cents"] for line in self.lines)

    @property
    def line_ids(self) -> list[int]:
        return [line["id"] for line in self.lines]


@dataclass(frozen=True)
class LineSelection:
    """Which open lines to invoice: all of them, those in a billing period, one Sly Park booking, or chosen ones."""

    service_from: dt.date | None = None
    service_to: dt.date | None = None
    slypark_booking_id: int | None = None
    line_ids: tuple[int, ...] = ()


async def open_lines(district_id: int, selection: LineSelection = LineSelection()) -> list[dict]:
    query = ChargeLine.select().where((ChargeLine.district == district_id) & (ChargeLine.status == "open"))
    if selection.service_from:
        query = query.where(ChargeLine.service_date >= selection.service_from)
    if selection.service_to:
        query = query.where(ChargeLine.service_date <= selection.service_to)
    if selection.line_ids:
        query = query.where(ChargeLine.id.is_in(list(selection.line_ids)))
    lines = await query.order_by(ChargeLine.service_date).order_by(ChargeLine.id)
    if selection.slypark_booking_id is not None:
        charge_ids = {
            row["id"]
            for row in await BookingCharge.select(BookingCharge.id).where(
                BookingCharge.booking == selection.slypark_booking_id
            )
        }
        scholarship_ids = {
            row["id"]
            for row in await ScholarshipCharge.select(ScholarshipCharge.id).where(
                ScholarshipCharge.booking == selection.slypark_booking_id
            )
        }
        lines = [
            line
            for line in lines
            if (line["source_kind"] == "slypark" and line["source_id"] in charge_ids)
            or (line["source_kind"] == "scholarship" and line["source_id"] in scholarship_ids)
        ]
    return lines


async def _scholarship_pos(lines: list[dict]) -> dict[int, str]:
    """Scholarship line id -> the PO of the same booking's Sly Park line among `lines`, for scholarship lines
    without a PO of their own: a scholarship goes on the invoice of the balance it reduces (finance usually
    puts the district's PO on the balance only), never alone on an invoice below $0."""
    blank = [
        line for line in lines if line["source_kind"] == "scholarship" and not normalise_po_number(line["po_number"])
    ]
    billed = [line for line in lines if line["source_kind"] == "slypark" and normalise_po_number(line["po_number"])]
    if not blank or not billed:
        return {}

    booking_of_charge = {
        row["id"]: row["booking"]
        for row in await BookingCharge.select(BookingCharge.id, BookingCharge.booking).where(
            BookingCharge.id.is_in([line["source_id"] for line in billed])
        )
    }
    po_of_booking: dict[int, str] = {}
    for line in billed:  # in service-date order: the latest (the balance) wins
        po_of_booking[booking_of_charge[line["source_id"]]] = line["po_number"]
    booking_of_scholarship = {
        row["id"]: row["booking"]
        for row in await ScholarshipCharge.select(ScholarshipCharge.id, ScholarshipCharge.booking).where(
            ScholarshipCharge.id.is_in([line["source_id"] for line in blank])
        )
    }
    return {
        line["id"]: po_of_booking[booking_of_scholarship[line["source_id"]]]
        for line in blank
        if booking_of_scholarship.get(line["source_id"]) in po_of_booking
    }


async def _drafts(district: dict, lines: list[dict], issue_day: dt.date) -> list[InvoiceDraft]:
    groups: dict[str, list[dict]] = {}
    scholarship_pos = await _scholarship_pos(lines)
    for line in lines:
        po_number = scholarship_pos.get(line["id"], line["po_number"])
        groups.setdefault(normalise_po_number(po_number).casefold(), []).append(line)
    drafts: list[InvoiceDraft] = []
    for key in sorted(groups):
        group = groups[key]
        po_number = normalise_po_number(scholarship_pos.get(group[0]["id"], group[0]["po_number"]))
        po = await find_po(district["id"], po_number) if po_number else None
        drafts.append(InvoiceDraft(district, po["number"] if po else po_number, po, group))
    used = await invoiced_against([draft.purchase_order["id"] for draft in drafts if draft.purchase_order])
    for draft in drafts:
        draft.warnings = _warnings(draft, used, issue_day)
    return drafts


def _warnings(draft: InvoiceDraft, used: dict[int, int], issue_day: dt.date) -> list[str]:

    warnings: list[str] = []
    po = draft.purchase_order
    if not draft.po_number:
        warnings.append("No PO number: many districts' payables offices return an invoice without one.")
    elif po is None:
        warnings.append(
            f"PO {draft.po_number} is not on file for {draft.district['name']}. Check it with the district."
        )
    else:
        if po["closed_at"] is not None:
            warnings.append(f"PO {po['number']} is closed.")
        if (po["valid_from"] and issue_day < po["valid_from"]) or (po["valid_until"] and issue_day > po["valid_until"]):
            span = f"{po['valid_from'] or 'the start'} to {po['valid_until'] or 'open-ended'}"
            warnings.append(f"PO {po['number']} is valid from {span}, not on {issue_day}.")
        limit = po["not_to_exceed_cents"]
        if limit is not None:
            after = used.get(po["id"], 0) + draft.total_cents
            if after > limit:
                warnings.append(
                    f"This invoice takes PO {po['number']} to {format_cents(after)}, over its not-to-exceed "
                    f"amount of {format_cents(limit)} by {format_cents(after - limit)}."
                )
    if not draft.district["billing_contact_email"]:
        warnings.append(f"{draft.district['name']} has no billing contact email: the invoice will not be emailed.")
    return warnings


async def _district(district_id: int) -> dict:
    district = await District.select().where(District.id == district_id).first()
    if district is None:
        raise NotFound("No such district.")
    return district


async def preview_invoices(
    actor: Actor, district_id: int, selection: LineSelection = LineSelection(), now: dt.datetime | None = None
) -> list[InvoiceDraft]:
    require_finance(actor, ISSUING)
    now = now or utc_now()
    district = await _district(district_id)
    await gather_charge_lines(now)
    lines = await open_lines(district_id, selection)
    return await _drafts(district, lines, local_today(now))


def bill_to_snapshot(district: dict) -> str:
    city_line = (
        f"{district['city']}, CA {district['postal_code']}".strip() if district["city"] else district["postal_code"]
    )
    address = [part for part in (district["address_line1"], district["address_line2"], city_line) if part]
    return json.dumps(
        {
            "name": district["name"],
            "contact": district["billing_contact_name"],
            "email": district["billing_contact_email"],
            "address": address,
        }
    )


async def issue_invoices(
    actor: Actor,
    district_id: int,
    line_ids: list[int],
    *,
    acknowledge_warnings: bool = False,
    period_label: str = "",
    now: dt.datetime | None = None,
) -> list[InvoiceRecord]:
    """Issue one invoice per PO from exactly these open lines; refuses if any was invoiced meanwhile."""
    from booking.payments.invoice_documents import email_invoice

    require_finance(actor, ISSUING)
    now = now or utc_now()
    line_ids = sorted(set(line_ids))
    if not line_ids:
        raise InvalidInput({"lines": "Choose at least one charge to invoice."})
    if len(line_ids) > MAX_LINES_PER_INVOICE:
        raise InvalidInput({"lines": f"At most {MAX_LINES_PER_INVOICE} charges at a time."})
    period_label = " ".join((period_label or "").split())[:120]
    issue_day = local_today(now)
    async with write_transaction():
        district = await _district(district_id)
        await lock_rows_for_update(ChargeLine, ChargeLine.id.is_in(line_ids))
        lines = (
            await ChargeLine.select()
            .where(ChargeLine.id.is_in(line_ids))
            .order_by(ChargeLine.service_date)
            .order_by(ChargeLine.id)
        )
        if len(lines) != len(line_ids) or any(line["district"] != district_id for line in lines):
            raise NotFound("Some of these charges do not exist for this district.")
        if any(line["status"] != "open" for line in lines):
            raise Conflict(
                "Some of these charges were invoiced or withdrawn a moment ago. Refresh the preview.",
                code="lines_changed",
            )
        # The district's POs are locked too, so two invoices issued at once cannot each stay under a PO's
        # not-to-exceed amount and together go over it without a warning.
        await lock_rows_for_update(PurchaseOrder, PurchaseOrder.district == district_id)
        drafts = await _drafts(district, lines, issue_day)
        if any(draft.total_cents < 0 for draft in drafts):
            # A scholarship line (negative) alone, or on another PO than the balance it reduces.
            raise Conflict(
                "An invoice cannot total less than $0. Invoice the scholarship together with the balance it "
                "reduces, with the same PO number.",
                code="negative_invoice",
            )
        warnings = [warning for draft in drafts for warning in draft.warnings]
        if warnings and not acknowledge_warnings:
            raise Conflict(
                "Please confirm you have read the warnings: " + " ".join(warnings), code="warnings_unacknowledged"
            )
        issued: list[InvoiceRecord] = []
        for draft in drafts:
            fiscal_year, sequence, number = await next_document_number("invoice", issue_day)
            invoice = cast(
                InvoiceRecord,
                (
                    await Invoice.insert(
                        Invoice(
                            number=number,
                            fiscal_year=fiscal_year,
                            sequence=sequence,
                            district=district_id,
                            purchase_order=draft.purchase_order["id"] if draft.purchase_order else None,
                            po_number=draft.po_number,
                            bill_to=bill_to_snapshot(district),
                            period_label=period_label,
                            issued_at=now,
                            issued_on=issue_day,
                            due_on=issue_day + dt.timedelta(days=NET_DAYS),
                            total_cents=draft.total_cents,
                            issued_by=actor.id,
                        )
                    ).returning(*Invoice.all_columns())
                )[0],
            )
            await InvoiceLine.insert(
                *[
                    InvoiceLine(
                        invoice=invoice["id"],
                        charge_line=line["id"],
                        position=position,
                        program=line["program"],
                        description=line["description"],
                        detail=line["detail"],
                        service_date=line["service_date"],
                        po_number=draft.po_number,
                        amount_cents=line["amount_cents"],
                    )
                    for position, line in enumerate(draft.lines, start=1)
                ]
            )
            invoiced = await move_charge_lines(
                draft.line_ids, ChargeLineStatus.OPEN, ChargeLineStatus.INVOICED, now, invoice=invoice["id"]
            )
            if len(invoiced) != len(draft.line_ids):  # re-checked under the lock above: never expected
                raise Conflict("Some of these charges changed meanwhile; preview again.", code="lines_changed")
            await mark_charge_sources(draft.lines, "invoiced")
            await email_invoice(invoice)
            await record_by(
                actor,
                "invoice.issued",
                subject=f"invoice {number}",
                district_id=district_id,
                detail={
                    "invoice_id": invoice["id"],
                    "total_cents": invoice["total_cents"],
                    "po_number": draft.po_number,
                    "lines": len(draft.lines),
                },
            )
            issued.append(invoice)
    return issued


async def set_po_on_open_lines(actor: Actor, district_id: int, line_ids: list[int], po_number: str) -> int:
    """Finance puts the right PO on charges before invoicing them (often learnt after registration)."""
    require_finance(actor, ISSUING)
    po_number = normalise_po_number(po_number)
    if len(po_number) > 60:
        raise InvalidInput({"po_number": "A PO number has at most 60 characters."})
    if not line_ids:
        raise InvalidInput({"lines": "Choose the charges to put this PO on."})
    async with write_transaction():
        await lock_rows_for_update(ChargeLine, ChargeLine.id.is_in(line_ids))
        lines = await ChargeLine.select(ChargeLine.id, ChargeLine.status, ChargeLine.district).where(
            ChargeLine.id.is_in(line_ids)
        )
        if len(lines) != len(set(line_ids)) or any(line["district"] != district_id for line in lines):
            raise NotFound("Some of these charges do not exist for this district.")
        if any(line["status"] != "open" for line in lines):
            raise Conflict("An invoiced charge keeps its PO; issue a credit note to correct it.", code="lines_changed")
        await ChargeLine.update({ChargeLine.po_number: po_number}).where(ChargeLine.id.is_in(line_ids))
    return len(lines)
