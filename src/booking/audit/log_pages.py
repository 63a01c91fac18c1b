"""/admin/audit: the audit trail for administrators, filtered, paginated, and as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from booking.accounts.districts import list_districts
from booking.audit import log_view
from booking.audit.trail import KINDS
from booking.csv_files import csv_response
from booking.errors import InvalidInput
from booking.web.guards import SignedInActor, admin_only
from booking.web.pages import page, page_or_fragment

FILTER_FIELDS = ("person", "district", "kind", "from", "to")


def _query(request: Request) -> dict[str, str]:
    return {name: str(request.query_params.get(name) or "")[:300] for name in (*FILTER_FIELDS, "page")}


class AuditLogController(Controller):
    path = "/admin/audit"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="audit.log")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        query = _query(request)
        context = {
            "query": query,
            "kinds": KINDS,
            "districts": await list_districts(),
            "errors": {},
            "entries": [],
            "total": 0,
            "page_number": 1,
            "page_size": log_view.PAGE_SIZE,
            "filter_string": "",
        }
        try:
            selection = log_view.parse_filter(query)
        except InvalidInput as error:
            return page(request, "audit/log.html", status=422, **{**context, "errors": error.field_errors})
        rows, total = await log_view.entries(actor, selection)
        filter_string = urlencode({name: query[name] for name in FILTER_FIELDS if query[name]})
        return page_or_fragment(
            request,
            "audit/log.html",
            "audit/_entries.html",
            **{
                **context,
                "entries": rows,
                "total": total,
                "page_number": selection.page,
                "filter_string": filter_string,
            },
        )

    @get("/export.csv", name="audit.export")
    async def export(self, request: Request, actor: SignedInActor) -> object:
        try:
            selection = log_view.parse_filter(_query(request))
        except InvalidInput as error:
            return Response(
                content="; ".join(error.field_errors.values()).encode(), status_code=422, media_type="text/plain"
            )
        return csv_response(*await log_view.export_csv(actor, selection))
