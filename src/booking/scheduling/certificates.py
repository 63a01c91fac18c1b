"""Certificate and transcript PDFs: HTML templates rendered by xhtml2pdf.

The PDFs embed DejaVu Serif (static/fonts), so names such as "Nguyễn Thị Hồng" print as
written. Rendering is CPU work, so it runs in a thread; the renderer may read nothing but
the font directory and reach no network (xhtml2pdf's resource policy), whatever the text
of a title or a name.
"""

from __future__ import annotations

import asyncio
import io
import re

from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from booking.accounts.actor import Actor
from booking.clock import to_local, utc_now
from booking.scheduling.transcript import certificate_by_code, own_certificate, transcript_for
from booking.settings import current_settings
from booking.templating import STATIC_DIR, render

FONT_DIR = STATIC_DIR / "fonts"
PDF_POLICY = ResourceAccessPolicy.server(base_dir=FONT_DIR, allow_remote=False, max_render_seconds=30)


class PdfRenderError(RuntimeError):
    pass


def html_to_pdf(html: str) -> bytes:
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=PDF_POLICY)
    if result.err:
        raise PdfRenderError(f"xhtml2pdf reported {result.err} error(s)")
    return out.getvalue()


def _context() -> dict:
    return {"font_dir": FONT_DIR.as_posix(), "base_url": current_settings().base_url, "printed_at": utc_now(),
            "to_local": to_local}


def file_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "workshop"


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
    from booking.catalog.tables import Offering

    certificate = await certificate_by_code(code)
    # A cohort's completion letter carries a code too: the page then names a program, not a workshop.
    offering = await Offering.select(Offering.kind).where(Offering.id == certificate["offering"]).first()
    certificate["kind"] = offering["kind"] if offering else "workshop"
    return certificate
