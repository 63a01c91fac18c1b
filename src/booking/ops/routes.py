"""The ops package's URLs: operations: readiness, metrics, backups.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.ops.pages import OperationsController

router = Router(
    path="/",
    route_handlers=[
        OperationsController,
    ],
)

PREFIXES = {
    "/readyz": "booking.ops.pages",
    "/metrics": "booking.ops.pages",
}
