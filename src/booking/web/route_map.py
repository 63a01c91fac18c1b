"""The route map: which package and module serve which URL.

Every package mounts its handlers through one `routes.py` (`router`), and declares in `PREFIXES`
the module that serves each URL prefix. For any URL, the longest declared prefix that matches it
names the module to open; tests/test_route_map.py holds the declarations to the app's real routes,
so a module serving URLs under another module's prefix fails the suite.

`python -m booking.web.route_map > docs/ROUTES.md` (`make routes`) writes the page of every URL with
its handler's name and module; a test fails when that page is out of date.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from types import ModuleType

from litestar import Litestar

from booking.accounts import routes as accounts_routes
from booking.audit import routes as audit_routes
from booking.catalog import routes as catalog_routes
from booking.cohorts import routes as cohorts_routes
from booking.ops import routes as ops_routes
from booking.payments import routes as payments_routes
from booking.scheduling import routes as scheduling_routes
from booking.slypark import routes as slypark_routes
from booking.web import routes as web_routes

PACKAGE_ROUTES: tuple[ModuleType, ...] = (
    web_routes,
    ops_routes,
    accounts_routes,
    audit_routes,
    catalog_routes,
    scheduling_routes,
    cohorts_routes,
    slypark_routes,
    payments_routes,
)

# Mounted beside the packages' routers and not ours to map: the OpenAPI pages, static files, the Stripe double.
FOREIGN_PREFIXES = ("/schema", "/static", "/_stripe")

_PARAMETER = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Route:
    path: str
    methods: str
    name: str | None
    module: str
    handler: str

    @property
    def package(self) -> str:
        return self.module.split(".")[1]


def segments(path: str) -> list[str]:
    """A path's segments, every path parameter written `{}` so that prefixes match whatever it is named."""
    return [_PARAMETER.sub("{}", part) for part in path.strip("/").split("/") if part]


def declared_prefixes() -> dict[str, str]:
    """Every package's declared prefix -> module."""
    prefixes: dict[str, str] = {}
    for package in PACKAGE_ROUTES:
        prefixes.update(getattr(package, "PREFIXES", {}))
    return prefixes


def module_for(path: str, prefixes: dict[str, str] | None = None) -> str | None:
    """The module the longest declared prefix matching `path` names; None when none matches."""
    wanted = segments(path)
    best: tuple[int, str] | None = None
    for prefix, module in (prefixes if prefixes is not None else declared_prefixes()).items():
        parts = segments(prefix)
        if wanted[: len(parts)] == parts and (best is None or len(parts) > best[0]):
            best = (len(parts), module)
    return best[1] if best else None


def app_routes(app: Litestar) -> list[Route]:
    """Every URL of ours the app serves, one row per handler (HEAD and OPTIONS left out)."""
    rows = []
    for route in app.routes:
        if route.path.startswith(FOREIGN_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(set(getattr(handler, "http_methods", ())) - {"HEAD", "OPTIONS"})
            if not methods:
                continue
            rows.append(
                Route(
                    path=route.path,
                    methods=", ".join(methods),
                    name=handler.name,
                    module=handler.fn.__module__,
                    handler=handler.fn.__qualname__,
                )
            )
    return sorted(rows, key=lambda row: (row.path, row.methods))


def markdown(app: Litestar) -> str:
    rows = app_routes(app)
    lines = [
        "# Every URL, its handler and its module",
        "",
        "Generated from the app by `make routes` (`python -m booking.web.route_map`); tests/test_route_map.py fails",
        "when this page is out of date. Templates build these URLs with `url_for(name, ...)`. To find the code",
        "behind a URL, look it up here, or take the longest matching prefix in the packages' `routes.py`.",
        "",
        f"{len(rows)} handlers.",
        "",
        "| URL | Method | Name | Handler |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| `{row.path}` | {row.methods} | `{row.name or ''}` | `{row.module}:{row.handler}` |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from booking.app import create_app  # here: the app imports this module (PACKAGE_ROUTES)

    sys.stdout.write(markdown(create_app()))


if __name__ == "__main__":
    main()
