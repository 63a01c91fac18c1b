"""The web package's URLs: the home pages and /healthz.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.web.home import HomeController

router = Router(
    path="/",
    route_handlers=[
        HomeController,
    ],
)

PREFIXES = {
    "/": "booking.web.home",
    "/healthz": "booking.web.home",
}
