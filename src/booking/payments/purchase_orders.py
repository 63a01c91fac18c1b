"""Purchase orders: coordinators keep their district's POs on file; invoices are drawn against them."""

from __future__ import annotations

import datetime as dt

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound, collect_field_errors
from booking.money import parse_amount
from booking.payments.fiscal import parse_day
from booking.payments.tables import Invoice, PurchaseOrder

PO_NUMBER_MAX = 60


def normalise_po_number(value: str | None) -> str:
    return " ".join((value or "").split())


def _district_for(actor: Actor, district_id: int | None) -> int:
    if actor.is_coordinator:
        if district_id is not None and district_id != actor.district_id:
            raise NotFound("No such district.")
        return actor.district_id
    if actor.is_finance or actor.is_staff:
        if district_id is None:
            raise InvalidInput({"district": "Choose the district."})
        return district_id
    raise Forbidden("Only a district's coordinators and SCOE finance keep purchase orders.")


def check_purchase_order(values: dict) -> dict:
    """Form values -> clean PO fields, reporting every bad field at once."""
    errors: dict[str, str] = {}
    number = normalise_po_number(values.get("number"))
    if not number:
        errors["number"] = "Enter the PO number exactly as the district issued it."
    elif len(number) > PO_NUMBER_MAX:
        errors["number"] = f"A PO number has at most {PO_NUMBER_MAX} characters."
    limit_text = (values.get("not_to_exceed") or "").strip()
    limit = collect_field_errors(errors, parse_amount, limit_text, "not_to_exceed") if limit_text else None
    valid_from = collect_field_errors(errors, parse_day, values.get("valid_from"), "valid_from", required=False)
    valid_until = collect_field_errors(errors, parse_day, values.get("valid_until"), "valid_until", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = "The PO cannot end before it starts."
    description = " ".join((values.get("description") or "").split())
    if len(description) > 300:
        errors["description"] = "Keep the description under 300 characters."
    if errors:
        raise InvalidInput(errors)
    return {
        "number": number,
        "not_to_exceed_cents": limit,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "description": description,
    }


async def add_purchase_order(actor: Actor, values: dict, district_id: int | None = None) -> dict:
    district = _district_for(actor, district_id)
    clean = check_purchase_order(values)
    async with write_transaction():
        if await PurchaseOrder.exists().where(
            (PurchaseOrder.district == district) & (PurchaseOrder.number == clean["number"])
        ):
            raise Conflict(f"PO {clean['number']} is already on file.", code="po_exists")
        rows = await PurchaseOrder.insert(PurchaseOrder(district=district, created_by=actor.id, **clean)).returning(
            *PurchaseOrder.all_columns()
        )
    return rows[0]


async def close_purchase_order(actor: Actor, po_id: int, now: dt.datetime | None = None) -> None:
    async with write_transaction():
        po = await _visible_po(actor, po_id)
        if po["closed_at"] is not None:
            raise Conflict("This PO is already closed.", code="po_closed")
        await PurchaseOrder.update({PurchaseOrder.closed_at: now or utc_now()}).where(PurchaseOrder.id == po_id)


async def correct_purchase_order(actor: Actor, po_id: int, values: dict) -> dict:
    """Correct a mistyped PO (number, amount, dates, description) while no invoice is drawn against it:
    an issued invoice is a snapshot that printed the PO as it was, so from then on the PO stays as printed."""
    clean = check_purchase_order(values)
    async with write_transaction():
        await lock_rows_for_update(PurchaseOrder, PurchaseOrder.id == po_id)
        po = await _visible_po(actor, po_id)
        if await Invoice.exists().where(Invoice.purchase_order == po_id):
            raise Conflict(
                f"PO {po['number']} is already on an invoice, so it can no longer be changed. "
                "Add the corrected PO as a new one and close this one.",
                code="po_used",
            )
        if await PurchaseOrder.exists().where(
            (PurchaseOrder.district == po["district"])
            & (PurchaseOrder.id != po_id)
            & (PurchaseOrder.number == clean["number"])
        ):
            raise InvalidInput({"number": f"PO {clean['number']} is already on file."})
        rows = (
            await PurchaseOrder.update(clean).where(PurchaseOrder.id == po_id).returning(*PurchaseOrder.all_columns())
        )
    return rows[0]


async def po_ids_on_invoices(po_ids: list[int]) -> set[int]:
    if not po_ids:
        return set()
    rows = await Invoice.select(Invoice.purchase_order).where(Invoice.purchase_order.is_in(po_ids))
    return {row["purchase_order"] for row in rows}


async def visible_purchase_order(actor: Actor, po_id: int) -> dict:
    po = await _visible_po(actor, po_id)
    po["used"] = bool(await po_ids_on_invoices([po_id]))
    return po


async def _visible_po(actor: Actor, po_id: int) -> dict:
    po = await PurchaseOrder.select().where(PurchaseOrder.id == po_id).first()
    if (
        po is None
        or (actor.is_coordinator and po["district"] != actor.district_id)
        or not (actor.is_coordinator or actor.is_finance or actor.is_staff)
    ):
        raise NotFound("No such purchase order.")
    return po


async def invoiced_against(po_ids: list[int]) -> dict[int, int]:
    """PO id -> what has been invoiced against it, net of credit notes."""
    from booking.payments.tables import CreditNote

    if not po_ids:
        return {}
    invoices = await Invoice.select(Invoice.id, Invoice.purchase_order, Invoice.total_cents).where(
        Invoice.purchase_order.is_in(po_ids)
    )
    used = {po_id: 0 for po_id in po_ids}
    for invoice in invoices:
        used[invoice["purchase_order"]] += invoice["total_cents"]
    if invoices:
        by_invoice = {invoice["id"]: invoice["purchase_order"] for invoice in invoices}
        for note in await CreditNote.select(CreditNote.invoice, CreditNote.amount_cents).where(
            CreditNote.invoice.is_in(list(by_invoice))
        ):
            used[by_invoice[note["invoice"]]] -= note["amount_cents"]
    return used


async def purchase_orders_of(actor: Actor, district_id: int | None = None) -> list[dict]:
    district = _district_for(actor, district_id)
    orders = (
        await PurchaseOrder.select()
        .where(PurchaseOrder.district == district)
        .order_by(PurchaseOrder.created_at, ascending=False)
    )
    used = await invoiced_against([po["id"] for po in orders])
    on_invoices = await po_ids_on_invoices([po["id"] for po in orders])
    for po in orders:
        po["invoiced_cents"] = used.get(po["id"], 0)
        po["used"] = po["id"] in on_invoices  # then it can no longer be corrected
        limit = po["not_to_exceed_cents"]
        po["remaining_cents"] = None if limit is None else limit - po["invoiced_cents"]
    return orders


async def find_po(district_id: int, number: str) -> dict | None:
    """The district's PO with this number (spacing and case aside), if it is on file."""
    wanted = normalise_po_number(number).casefold()
    if not wanted:
        return None
    for po in await PurchaseOrder.select().where(PurchaseOrder.district == district_id):
        if po["number"].casefold() == wanted:
            return po
    return None
