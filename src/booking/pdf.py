"""PDFs: HTML templates rendered by xhtml2pdf, and the response that carries one.

The PDFs embed DejaVu Serif (static/fonts, passed to templates as `font_dir`), so names such as
"Nguyễn Thị Hồng" print as written. Rendering is CPU work: call `html_to_pdf` in a thread
(`await asyncio.to_thread(html_to_pdf, html)`). The renderer may read nothing but the font
directory and reach no network (xhtml2pdf's resource policy), whatever the text of a title or a name.
"""

from __future__ import annotations

import io
import re

from litestar import Response
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from booking.templating import STATIC_DIR

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


def file_slug(text: str) -> str:
    """A title as a file name part: "Math & Science 101" -> "math-science-101"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "workshop"


def pdf_response(
    filename: str, content: bytes, *, disposition: str = "inline", cache_control: str = "private, no-store"
) -> Response[bytes]:
    """A PDF for the browser to show (`inline`) or save (`attachment`), never cached by a shared cache."""
    return Response(
        content=content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"', "Cache-Control": cache_control},
    )
