"""GET /readyz (for monitoring) and GET /metrics (for Prometheus: a token or an allowed address, else 404)."""

from __future__ import annotations

import hmac
import ipaddress

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException

from booking.observability.metrics import CONTENT_TYPE, process_metrics, render_families
from booking.ops.metrics_snapshot import database_metrics
from booking.ops.readiness import failing, readiness
from booking.settings import Settings, current_settings

NO_STORE = {"Cache-Control": "no-store"}


def may_read_metrics(request: Request, settings: Settings) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if (
        settings.metrics_token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode())
    ):
        return True
    if settings.metrics_allow and request.client is not None:
        try:
            address = ipaddress.ip_address(request.client.host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in settings.metrics_allow)
    return False


class OperationsController(Controller):
    include_in_schema = False  # not part of /api/v1; documented in the README

    @get("/readyz", name="ops.readyz", cache_control=None)
    async def readyz(self) -> Response:
        checks = await readiness()
        problems = failing(checks)
        body = {"status": "unready" if problems else "ready", "failing": problems, "checks": checks}
        return Response(body, status_code=503 if problems else 200, headers=NO_STORE)

    @get("/metrics", name="ops.metrics", cache_control=None)
    async def metrics(self, request: Request) -> Response:
        if not may_read_metrics(request, current_settings()):
            raise NotFoundException()  # the same answer as for an address that does not exist
        body = process_metrics() + render_families(await database_metrics())
        return Response(body, media_type=CONTENT_TYPE, headers=NO_STORE)
