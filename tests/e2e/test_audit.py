"""The accessibility audit itself: it must catch what it is there to catch."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser

GOOD_PAGE = """<!doctype html><html lang="en"><head><title>Good</title></head>
<body><main><h1>A good page</h1><p>Plain text, plenty of contrast.</p></main></body></html>"""
# An input nobody labelled (critical) and pale grey text on white (serious, 1.6:1).
BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head>
<body><main><h1>A bad page</h1><form><input type="text" name="q"></form>
<p style="color:#d0d0d0">Pale text nobody can read.</p></main></body></html>"""
PAGES = {
    "/good": ("text/html; charset=utf-8", GOOD_PAGE),
    "/bad": ("text/html; charset=utf-8", BAD_PAGE),
    "/data.json": ("application/json", '{"not": "html"}'),
    "/ping": ("text/plain", "pong"),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        content_type, body = PAGES.get(self.path, ("text/plain", "not found"))
        data = body.encode()
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def other_site():
    """A tiny site outside the app, with a page that breaks the rules on purpose."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_is_audited_when_the_browser_navigates_away(page, axe_auditor, other_site):
    page.goto(f"{other_site}/data.json")  # not HTML: not audited, and not an error
    page.goto(f"{other_site}/bad")
    page.goto("/sign-in")  # leaving the bad page: its document is audited while the request waits

    found = axe_auditor.take()
    on_bad_page = {v.id: v for v in found if v.url == f"{other_site}/bad"}
    assert on_bad_page["label"].impact == "critical"
    assert on_bad_page["color-contrast"].impact == "serious"
    assert on_bad_page["label"].moment.startswith("before GET http://127.0.0.1:")
    assert any("input" in target for target in on_bad_page["label"].targets)
    assert axe_auditor.errors == []


def test_a_state_left_by_script_is_audited_before_the_next_fetch(page, axe_auditor, other_site):
    page.goto(f"{other_site}/good")
    audits_before = axe_auditor.audits
    # What an htmx swap does: change the document in place, without a navigation.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=\"text\" id=\"late\">')")
    assert page.evaluate("fetch('/ping').then((response) => response.status)") == 200

    assert axe_auditor.audits == audits_before + 1
    found = axe_auditor.take()
    assert [(v.id, v.impact, v.targets) for v in found] == [("label", "critical", ["#late"])]
    assert found[0].moment == f"before GET {other_site}/ping"
    page.close()  # the bad state is still on screen: leave nothing bad open for the check after the test


def test_a_test_ending_on_a_bad_page_fails_with_a_readable_report(page, axe_auditor, other_site):
    page.goto(f"{other_site}/bad")

    with pytest.raises(pytest.fail.Exception) as failure:
        axe_auditor.check()  # what runs after every browser test

    report = str(failure.value)
    assert "2 serious or critical violation(s)" in report
    assert "- [critical] label: Form elements must have labels" in report
    assert "- [serious] color-contrast: Elements must meet minimum color contrast ratio thresholds" in report
    assert f"page: {other_site}/bad (where the test ended)" in report
    assert "elements: input" in report
    assert "https://dequeuniversity.com/rules/axe/" in report
    page.close()  # leave nothing bad open for the check after the test
    axe_auditor.take()


def test_htmx_requests_of_the_app_are_audited(page, axe_auditor, make_person, sign_in_as):
    admin = sign_in_as(make_person("admin"))
    page.goto("/admin/users")
    audits_before = axe_auditor.audits
    with page.expect_response(lambda response: "/admin/users?" in response.url and "q=" in response.url) as answer:
        page.get_by_label("Name or email").fill(admin["email"])
    assert answer.value.request.resource_type == "xhr"  # htmx, not a page load
    page.get_by_text("1 person", exact=True).wait_for()
    assert axe_auditor.audits > audits_before
    assert axe_auditor.errors == []
