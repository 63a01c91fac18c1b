"""Invoice and credit-note PDFs, rendered from the issued snapshot, and the emails that carry them.

The PDF is built from the immutable rows only (never from live balances), so the same invoice
always prints the same document.
"""

from __future__ import annotations

import asyncio
from typing import cast

from booking.accounts.actor import Actor
from booking.db import json_column
from booking.errors import NotFound
from booking.notifications.outbox import Attachment, enqueue_email
from booking.payments.rows import InvoiceLineRecord, InvoiceRecord
from booking.payments.tables import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from booking.pdf import FONT_DIR, html_to_pdf
from booking.settings import current_settings
from booking.templating import render

# Where districts send checks and ACH: data, shown on every invoice and on the coordinator's pay page.
REMIT_TO = {
    "payee": "Sacramento County Office of Education",
    "attention": "Attn: Fiscal Services, Accounts Receivable",
    "address": ["10474 Mather Boulevard", "Mather, CA 95655"],
    "phone": "(916) 228-2500",
    "email": "accountsreceivable@scoe.example",
    "ach": "ACH: request SCOE's bank details from Fiscal Services by phone; we never send them by email.",
}


def _bill_to(invoice: InvoiceRecord) -> dict:
    return json_column(invoice["bill_to"])


async def invoice_document(invoice_id: int) -> dict:
    invoice = cast(InvoiceRecord | None, await Invoice.select().where(Invoice.id == invoice_id).first())
    if invoice is None:
        raise NotFound("No such invoice.")
    lines = cast(
        list[InvoiceLineRecord],
        await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).order_by(InvoiceLine.position),
    )
    return {
        "invoice": invoice,
        "lines": lines,
        "bill_to": _bill_to(invoice),
        "remit_to": REMIT_TO,
        "font_dir": FONT_DIR.as_posix(),
        "base_url": current_settings().base_url,
    }


def _pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render(template, **context))


async def invoice_pdf(invoice_id: int) -> tuple[str, bytes]:
    context = await invoice_document(invoice_id)
    data = await asyncio.to_thread(_pdf, "payments/invoice_pdf.html", context)
    return f"{context['invoice']['number']}.pdf", data


async def credit_note_document(credit_note_id: int) -> dict:
    note = await CreditNote.select().where(CreditNote.id == credit_note_id).first()
    if note is None:
        raise NotFound("No such credit note.")
    invoice = cast(InvoiceRecord, await Invoice.select().where(Invoice.id == note["invoice"]).first())
    lines = (
        await CreditNoteLine.select().where(CreditNoteLine.credit_note == credit_note_id).order_by(CreditNoteLine.id)
    )
    return {
        "note": note,
        "invoice": invoice,
        "lines": lines,
        "bill_to": _bill_to(invoice),
        "remit_to": REMIT_TO,
        "font_dir": FONT_DIR.as_posix(),
        "base_url": current_settings().base_url,
    }


async def credit_note_pdf(credit_note_id: int) -> tuple[str, bytes]:
    context = await credit_note_document(credit_note_id)
    data = await asyncio.to_thread(_pdf, "payments/credit_note_pdf.html", context)
    return f"{context['note']['number']}.pdf", data


async def email_invoice(invoice: InvoiceRecord) -> None:
    """Queue the invoice PDF to the district's billing contact, inside the issuing transaction."""
    bill_to = _bill_to(invoice)
    if not bill_to.get("email"):
        return
    filename, data = await invoice_pdf(invoice["id"])
    await enqueue_email(
        bill_to["email"],
        "invoice_issued",
        {
            "invoice": invoice,
            "bill_to": bill_to,
            "remit_to": REMIT_TO,
        },
        attachments=(Attachment(filename, "application/pdf", data),),
    )


async def email_credit_note(note: dict, invoice: InvoiceRecord) -> None:
    bill_to = _bill_to(invoice)
    if not bill_to.get("email"):
        return
    filename, data = await credit_note_pdf(note["id"])
    await enqueue_email(
        bill_to["email"],
        "credit_note_issued",
        {"note": note, "invoice": invoice, "bill_to": bill_to},
        attachments=(Attachment(filename, "application/pdf", data),),
    )


async def visible_invoice(actor: Actor, invoice_id: int) -> InvoiceRecord:
    """The invoice if this person may see it: finance, staff, or a coordinator of its district; else 404."""
    invoice = await Invoice.select().where(Invoice.id == invoice_id).first()
    if invoice is None or not _may_see(actor, invoice["district"]):
        raise NotFound("No such invoice.")
    return cast(InvoiceRecord, invoice)


def _may_see(actor: Actor, district_id: int) -> bool:
    if actor.is_finance or actor.is_staff:
        return True
    return actor.is_coordinator and actor.district_id == district_id
