"""The route map holds: every URL is served by the module its package's routes.py names for it, every handler
has a name, templates build URLs with url_for, and docs/ROUTES.md is the app's real list."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from booking.app import create_app
from booking.settings import Settings
from booking.templating import TEMPLATE_DIR
from booking.web import route_map

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    database = tmp_path_factory.mktemp("routes") / "routes.db"
    app = create_app(Settings(database_url=f"sqlite:///{database}", run_worker_in_process=False))
    return app, route_map.app_routes(app)


def mapped_packages() -> list[str]:
    return [package.__name__.split(".")[1] for package in route_map.PACKAGE_ROUTES]


def test_every_package_declares_its_prefixes():
    assert [package.__name__ for package in route_map.PACKAGE_ROUTES if not getattr(package, "PREFIXES", None)] == []


def test_each_prefix_is_declared_by_one_package():
    declared = Counter(prefix for package in route_map.PACKAGE_ROUTES for prefix in getattr(package, "PREFIXES", {}))
    assert [prefix for prefix, count in declared.items() if count > 1] == []


def test_each_url_is_served_by_the_module_its_prefix_names(routes):
    _, rows = routes
    prefixes = route_map.declared_prefixes()
    wrong = [
        (row.path, row.methods, row.module, route_map.module_for(row.path, prefixes))
        for row in rows
        if row.package in mapped_packages() and route_map.module_for(row.path, prefixes) != row.module
    ]
    assert wrong == []


def test_a_module_serving_under_another_modules_prefix_is_caught():
    prefixes = {
        "/finance": "booking.payments.finance_pages",
        "/finance/invoices": "booking.payments.finance_invoice_pages",
        "/workshops/{offering_id:int}/register": "booking.scheduling.pages",
    }
    assert (
        route_map.module_for("/finance/invoices/{invoice_id:int}/void", prefixes)
        == "booking.payments.finance_invoice_pages"
    )
    assert route_map.module_for("/finance/payments", prefixes) == "booking.payments.finance_pages"
    assert route_map.module_for("/workshops/{id:int}/register", prefixes) == "booking.scheduling.pages"
    assert route_map.module_for("/finance-like", prefixes) is None


def test_every_handler_is_named_for_its_package(routes):
    _, rows = routes
    unnamed = [
        (row.path, row.methods, row.module)
        for row in rows
        if row.package in mapped_packages() and not (row.name or "").startswith(f"{row.package}.")
    ]
    assert unnamed == []


def test_every_handler_is_mounted_by_its_own_package_router(routes):
    app, _ = routes
    misplaced = [
        (route.path, handler.fn.__module__, package.__name__)
        for package in route_map.PACKAGE_ROUTES
        for route in package.router.routes
        for handler in route.route_handlers
        if handler.fn.__module__.startswith("booking.")
        and handler.fn.__module__.split(".")[1] != package.__name__.split(".")[1]
    ]
    assert misplaced == []


# href, action, hx-get/post/... and formaction attributes whose value is a literal path of ours, written
# out or as a string in an expression ({{ '/account' }})
_LITERAL_URL = re.compile(
    r"""\b(?:href|action|formaction|hx-(?:get|post|put|patch|delete))="(?:\{\{\s*['"])?(/(?!static/)[^"'{]*)"""
)


def test_templates_build_urls_with_url_for():
    literal = []
    for package in mapped_packages():
        folder = TEMPLATE_DIR / package
        templates = sorted(folder.rglob("*.html")) if folder.is_dir() else []
        if package == "web":
            templates = sorted(TEMPLATE_DIR.glob("*.html"))
        for template in templates:
            for number, line in enumerate(template.read_text().splitlines(), 1):
                literal += [
                    f"{template.relative_to(TEMPLATE_DIR)}:{number}: {url}" for url in _LITERAL_URL.findall(line)
                ]
    assert literal == []


def test_the_literal_url_check_sees_literal_urls():
    assert _LITERAL_URL.findall('<a href="/finance/invoices">') == ["/finance/invoices"]
    assert _LITERAL_URL.findall('<form hx-post="/slypark/requests/3">') == ["/slypark/requests/3"]
    assert _LITERAL_URL.findall("<a href=\"{{ url_for('payments.invoices') }}\">") == []
    assert _LITERAL_URL.findall('<link href="/static/css/site.css">') == []
    assert _LITERAL_URL.findall("<a href=\"{{ '/account/calendar' }}\">") == ["/account/calendar"]


def test_docs_routes_page_is_up_to_date(routes):
    app, _ = routes
    page = ROOT / "docs" / "ROUTES.md"
    assert page.read_text() == route_map.markdown(app), "docs/ROUTES.md is out of date: run `make routes`"
