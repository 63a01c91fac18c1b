"""Certificate and transcript PDFs (rendered by booking.pdf, in a thread), and certificate checks."""

from __future__ import annotations

import asyncio

from booking.accounts.actor import Actor
from booking.catalog.tables import Offering
from booking.clock import to_local, utc_now
from booking.pdf import FONT_DIR, file_slug, html_to_pdf
from booking.scheduling.transcript import certificate_by_code, own_certificate, transcript_for
from booking.settings import current_settings
from booking.templating import render


def _context() -> dict:
    return {
        "font_dir": FONT_DIR.as_posix(),
        "base_url": current_settings().base_url,
        "printed_at": utc_now(),
        "to_local": to_local,
    }


async def certificate_pdf(actor: Actor, registration_id: int) -> tuple[str, bytes]:
    """The actor's own certificate for one completed workshop: (file name, PDF)."""
    entry = await own_certificate(actor, registration_id)
    html = render("scheduling/certificate_pdf.html", entry=entry, **_context())
    return f"certificate-{file_slug(entry['title'])}.pdf", await asyncio.to_thread(html_to_pdf, html)


async def transcript_pdf(actor: Actor) -> tuple[str, bytes]:
    transcript = await transcript_for(actor)
    html = render("scheduling/transcript_pdf.html", transcript=transcript, **_context())
    return "pd-transcript.pdf", await asyncio.to_thread(html_to_pdf, html)


async def verify_certificate(code: str) -> dict:
    certificate = await certificate_by_code(code)
    # A cohort's completion letter carries a code too: the page then names a program, not a workshop.
    offering = await Offering.select(Offering.kind).where(Offering.id == certificate["offering"]).first()
    certificate["kind"] = offering["kind"] if offering else "workshop"
    return certificate
