"""The printed letter for each student's family: the private link and its QR code, in English and Spanish.

One page per student (the teacher hands them out in class). The QR code is drawn by segno as a PNG and
embedded as a data: URI, so the PDF renderer reads nothing from disk or network but its fonts.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging

import segno

from booking.accounts.actor import Actor
from booking.audit.trail import record_by
from booking.db import write_transaction
from booking.i18n import long_date, translation_context
from booking.pdf import FONT_DIR, html_to_pdf
from booking.slypark.family_links import links_of
from booking.templating import render

# xhtml2pdf's DEBUG lines echo the whole document, here every family's private link: never log them.
logging.getLogger("xhtml2pdf").setLevel(logging.INFO)

LETTER_LANGUAGES = ("en", "es")  # printed on every letter; a catalog for another language makes it available online


def qr_data_uri(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=5, border=2)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


async def letters_pdf(actor: Actor, booking_id: int) -> tuple[str, bytes]:
    data = await links_of(actor, booking_id)
    letters = [
        {
            "name": f"{row.first_name} {row.last_name}",
            "url": row.url,
            "qr": qr_data_uri(row.url),
            "expires_at": row.link["expires_at"],
        }
        for row in data.rows
        if row.link
    ]
    async with write_transaction():
        await record_by(
            actor,
            "family_letters.printed",
            subject=f"Sly Park booking {booking_id}",
            district_id=data.booking["district"],
            detail={"letters": len(letters)},
        )
    versions = [translation_context(language) for language in LETTER_LANGUAGES]
    html = render(
        "slypark/family_letters_pdf.html",
        booking=data.booking,
        letters=letters,
        versions=versions,
        font_dir=FONT_DIR.as_posix(),
        long_date=long_date,
    )
    return f"slypark-booking-{booking_id}-family-letters.pdf", await asyncio.to_thread(html_to_pdf, html)
