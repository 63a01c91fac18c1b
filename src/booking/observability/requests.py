"""One JSON log line and one set of metrics per HTTP request, with a request id that follows the work.

Wraps the whole app (outside routing), so a 404 for an unknown address or a 405 is logged and
counted too. The id comes from the proxy's X-Request-ID when it is well-formed, otherwise it is
new; it is sent back in X-Request-ID, kept in a context variable for the log lines and outbox rows
written while the request runs.
"""

from __future__ import annotations

import logging
import time

from booking.observability.context import accepted_request_id, client_address_set, new_request_id, request_id_set
from booking.observability.metrics import observe_request

log = logging.getLogger("booking.requests")

UNMATCHED = "unmatched"
# Probes hit these every few seconds; their lines would drown the rest, so they are DEBUG when answered 2xx/3xx.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


class RequestObserver:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(_header(scope, b"x-request-id")) or new_request_id()
        response = {"status": 500}
        started = time.perf_counter()

        async def send_with_request_id(message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", request_id.encode())]}
            await send(message)

        client = scope.get("client")
        with request_id_set(request_id), client_address_set(client[0] if client else ""):
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                self._record(scope, request_id, response["status"], time.perf_counter() - started)

    @staticmethod
    def _record(scope, request_id: str, status: int, seconds: float) -> None:
        route = scope.get("path_template") or UNMATCHED
        observe_request(scope.get("method", ""), route, status, seconds)
        actor = scope.get("user")
        client = scope.get("client")
        level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
        log.log(
            level,
            "%s %s %s",
            scope.get("method"),
            route,
            status,
            extra={
                "request_id": request_id,
                "method": scope.get("method"),
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "person_id": getattr(actor, "id", None),
                "client": client[0] if client else None,
            },
        )
