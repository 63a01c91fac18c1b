"""The audit package's URLs: the audit trail for administrators.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.audit.log_pages import AuditLogController

router = Router(
    path="/",
    route_handlers=[
        AuditLogController,
    ],
)

PREFIXES = {
    "/admin/audit": "booking.audit.log_pages",
}
