"""The completion letter: a formal letter on School of Education letterhead, as a PDF.

Rendered exactly as the workshops' certificates are (scheduling.certificates: xhtml2pdf with the
vendored DejaVu fonts, no network, in a thread). For the participant and for staff, and only
once completion is recorded; before that, and for anyone else, 404.
"""

from __future__ import annotations

import asyncio

from booking.accounts.actor import Actor
from booking.clock import utc_now
from booking.cohorts.progress import participant_progress
from booking.errors import NotFound
from booking.pdf import FONT_DIR, file_slug, html_to_pdf
from booking.settings import current_settings
from booking.templating import render

NOT_YET = "There is no completion letter for this application yet: completion has not been recorded."


async def completion_letter_pdf(actor: Actor, application_id: int) -> tuple[str, bytes]:
    """(file name, PDF) of the completion letter."""
    progress = await participant_progress(actor, application_id)
    if progress is None or progress.completed_on is None:
        raise NotFound(NOT_YET)
    html = render(
        "cohorts/completion_letter.html",
        progress=progress,
        application=progress.application,
        font_dir=FONT_DIR.as_posix(),
        base_url=current_settings().base_url,
        printed_at=utc_now(),
    )
    name = f"completion-letter-{file_slug(progress.program_title or progress.cohort['title'])}.pdf"
    return name, await asyncio.to_thread(html_to_pdf, html)
