"""The printable sign-in sheet of one session: names, districts, a signature column and the door QR code.

The sheet's QR code is the printed kind (see door_codes): valid for the session's whole check-in window,
since paper cannot change every few minutes.
"""

from __future__ import annotations

import asyncio

from booking.accounts.actor import Actor
from booking.clock import to_local, utc_now
from booking.pdf import FONT_DIR, file_slug, html_to_pdf
from booking.scheduling import door_codes
from booking.scheduling.attendance import attendance_sheet, session_label
from booking.templating import render


async def sign_in_sheet_pdf(actor: Actor, offering_id: int, session_id: int) -> tuple[str, bytes]:
    sheet = await attendance_sheet(actor, offering_id, session_id)  # staff only; 404 for another workshop's session
    session = sheet.session
    url = door_codes.check_in_url(session["id"], door_codes.printed_code(session["id"]))
    opens_at, closes_at = door_codes.window_of(session)
    html = render(
        "scheduling/sign_in_sheet_pdf.html",
        offering=sheet.offering,
        session=session,
        rows=sheet.rows,
        session_label=session_label(session),
        qr=door_codes.qr_png_data_uri(url),
        url=url,
        opens_at=to_local(opens_at),
        closes_at=to_local(closes_at),
        printed_at=to_local(utc_now()),
        font_dir=FONT_DIR.as_posix(),
        blank_lines=5,
    )
    day = f"{to_local(session['starts_at']):%Y-%m-%d}"
    return f"sign-in-{file_slug(sheet.offering['title'])}-{day}.pdf", await asyncio.to_thread(html_to_pdf, html)
