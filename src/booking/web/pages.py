"""Rendering helpers: a full page for plain, boosted and history-restore requests, a fragment for htmx."""

from __future__ import annotations

from litestar import Request, Response
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.response import Redirect, Template

from booking.web.navigation import current_flags, nav_for
from booking.web.notices import notice_text


def wants_fragment(request: Request) -> bool:
    """An htmx request that swaps part of the page; boosted and history-restore requests get the full page.

    The htmx headers are read by litestar-htmx (HTMXPlugin makes every request an HTMXRequest).
    """
    htmx = request.htmx if isinstance(request, HTMXRequest) else HTMXDetails(request)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def base_context(request: Request) -> dict:
    actor = request.scope.get("user")
    path = request.url.path
    return {
        "actor": actor,
        "nav": current_flags(nav_for(actor), path),
        "notice": notice_text(request.query_params.get("notice")),
        "current_path": path,
    }


def page(request: Request, template: str, *, status: int = 200, headers: dict | None = None, **context) -> Template:
    return Template(
        template_name=template,
        media_type="text/html",
        context={**base_context(request), **context},
        status_code=status,
        headers={"Vary": "HX-Request", **(headers or {})},
    )


def page_or_fragment(
    request: Request, page_template: str, fragment_template: str, *, status: int = 200, **context
) -> Template:
    template = fragment_template if wants_fragment(request) else page_template
    return page(request, template, status=status, **context)


def redirect(request: Request, path: str, notice: str | None = None) -> Redirect | Response:
    target = f"{path}{'&' if '?' in path else '?'}notice={notice}" if notice else path
    if wants_fragment(request):
        # A 303 would be followed inside the XHR, hiding HX-Redirect from htmx: answer 200 and let htmx navigate.
        return Response(content=b"", status_code=200, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def safe_next(path: str | None) -> str:
    """Only same-site relative paths, so a sign-in link cannot send people elsewhere."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
