"""Browser tests: a live server, real Chromium driven by Playwright, and an accessibility audit.

* Chromium is looked up on the PATH (`chromium`, `chromium-browser`) and at /usr/bin/chromium.
  Missing: the browser tests skip, unless BOOKING_REQUIRE_BROWSER=1, when they fail.
* The live server is the real `booking serve` in a subprocess, on a fresh, migrated SQLite
  file; tests create their data in that file with the async factories (`make_person`).
* Every page a browser test visits is audited with axe-core (WCAG 2.0/2.1 A and AA rules);
  a serious or critical violation fails the test (see AxeAuditor). axe-core is added to every
  document by an init script; a context-wide route holds each navigation and each XHR/fetch
  (htmx) request until the document being left, or the state htmx is about to change, has
  been audited; the pages a test ends on are audited after its body. A test that fulfils
  requests with its own `page.route()` should `route.fallback()` the ones it does not
  answer, or they bypass the audit.
* Set BOOKING_E2E_SCREENSHOTS=/some/dir to keep the screenshots tests take with `screenshot`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET, free_port, run_cli

REQUIRE_BROWSER = os.environ.get("BOOKING_REQUIRE_BROWSER") == "1"
REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")
# Root on a machine with no outside network: no sandbox, no GPU, nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
SERVER_START_SECONDS = 30


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        path = shutil.which(candidate)
        if path:
            return path
    return None


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"BOOKING_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --- Chromium ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("Chromium was not found (looked for chromium, chromium-browser, /usr/bin/chromium)")
    try:
        import playwright.sync_api  # noqa: F401 - imported only to learn whether Playwright is installed
    except ImportError as error:
        _unavailable(f"Playwright is not installed ({error})")
    if not AXE_PATH.is_file():
        # Chromium is here, so the browser tests must run, and they may not run unaudited.
        pytest.fail(f"axe-core is missing at {AXE_PATH}: run `npm ci` (`make test` does)", pytrace=False)
    return path


@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        pytest.fail(f"Chromium at {chromium_path} did not start: {error}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


# --- The live server ---------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    database_url: str
    var_dir: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_healthy(server: LiveServer) -> str | None:
    """None once GET /healthz answers 200; otherwise why the server is not up."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return f"the server exited with status {server.process.returncode}"
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return None
                last_error = f"/healthz answered {response.status}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = str(error)
        time.sleep(0.1)
    return f"/healthz did not answer 200 within {SERVER_START_SECONDS} s ({last_error})"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="package")
def live_server(chromium_path, tmp_path_factory) -> LiveServer:
    """`booking serve` on a fresh SQLite file migrated by `booking migrate`; one per run of tests/e2e."""
    root = tmp_path_factory.mktemp("e2e")
    var_dir = root / "var"
    database_url = f"sqlite:///{root / 'e2e.db'}"  # absolute path: four slashes
    run_cli("migrate", database_url=database_url, var_dir=var_dir, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BOOKING_")}
    env.update(
        BOOKING_DATABASE_URL=database_url,
        BOOKING_VAR_DIR=str(var_dir),
        BOOKING_SECRET_KEY=TEST_SECRET,
        BOOKING_BASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "booking.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    server = LiveServer(url=url, database_url=database_url, var_dir=var_dir, log_path=log_path, process=process)
    problem = _wait_until_healthy(server)
    if problem:
        _stop(process)
        pytest.fail(f"The live server did not start: {problem}\n--- server log ---\n{server.log()}", pytrace=False)
    yield server
    _stop(process)
    from tests.log_scan import leaks, student_notes

    leaked = leaks(server.log().splitlines(), student_notes(database_url))
    if leaked:
        pytest.fail("secret data in the live server's log:\n" + "\n".join(leaked[:10]), pytrace=False)


class LiveData:
    """Runs async code (the factories) against the live server's database, from the test process."""

    def __init__(self, server: LiveServer):
        from booking.db import engine_from_url
        from booking.settings import Settings

        self.settings = Settings(
            database_url=server.database_url,
            secret_key=TEST_SECRET,
            base_url=server.url,
            var_dir=server.var_dir,
            run_worker_in_process=False,
        )
        self.engine = engine_from_url(server.database_url)

    def run(self, function, *args, **kwargs):
        import booking.db
        import booking.settings

        previous_settings, previous_engine = booking.settings._current, booking.db._engine
        booking.settings.use_settings(self.settings)
        booking.db.bind_engine(self.engine)
        try:
            # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(asyncio.run, function(*args, **kwargs)).result(timeout=60)
        finally:
            booking.settings._current = previous_settings
            if previous_engine is not None:
                booking.db.bind_engine(previous_engine)


@pytest.fixture(scope="package")
def live_data(live_server) -> LiveData:
    return LiveData(live_server)


@pytest.fixture
def make_person(live_data):
    """make_person(role, district=None, **fields) -> the user's dict plus its "password"."""
    from tests.factories import DEFAULT_PASSWORD, make_user

    def make(role: str = "attendee", *, district: str | None = None, **fields) -> dict:
        fields.setdefault("email", f"{role}-{uuid.uuid4().hex[:12]}@example.org")
        fields.setdefault("password", DEFAULT_PASSWORD)
        user = live_data.run(make_user, role, district=district, **fields)
        return {**user, "password": fields["password"]}

    return make


@pytest.fixture
def sign_in_as(live_data, live_server, context):
    """A shortcut for tests that are not about signing in: a real server-side session as a cookie."""
    from booking.accounts.sessions import start_session
    from booking.web.auth import SESSION_COOKIE

    def sign_in(user: dict) -> dict:
        token = live_data.run(start_session, user["id"], "e2e")
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url}])
        return user

    return sign_in


# --- The accessibility audit -------------------------------------------------------------

# Added to every document after axe-core. `__e2eAudit()` audits the document as it is now.
# On `beforeunload` (which Chromium fires for every kind of navigation: goto, link, form,
# script, back, reload) the document reports that it is leaving and audits itself; both
# messages go out on the console, which keeps flowing while the navigation is held.
AUDIT_INIT_SCRIPT = """
(() => {
  if (window.__e2eAudit) return;
  const PREFIX = '%(prefix)s';
  const TAGS = %(tags)s;
  const DOC = Math.random().toString(36).slice(2);
  let chain = Promise.resolve();
  let leaving = 0;
  const send = (message) => console.debug(PREFIX + JSON.stringify(message));
  window.__e2eAudit = async () => {
    if (!/^https?:$/.test(location.protocol)) return {skipped: location.href};
    if (document.contentType !== 'text/html') return {skipped: document.contentType};
    if (typeof window.axe === 'undefined') return {error: 'axe-core is not loaded in ' + location.href};
    if (document.readyState !== 'complete') {
      await new Promise((resolve) => { window.addEventListener('load', resolve, {once: true}); setTimeout(resolve, 5000); });
    }
    // axe refuses to run twice at once: chain this document's runs.
    const run = chain.catch(() => null).then(() =>
      axe.run(document, {runOnly: {type: 'tag', values: TAGS}, resultTypes: ['violations']}));
    chain = run;
    const results = await run;
    return {
      url: location.href,
      violations: results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        targets: v.nodes.map((node) => node.target.join(' ')),
      })),
    };
  };
  window.addEventListener('beforeunload', () => {
    if (window !== window.top || !/^https?:$/.test(location.protocol)) return;
    const id = DOC + '-' + (++leaving);
    send({kind: 'leaving', id, url: location.href});
    window.__e2eAudit().then(
      (result) => send({kind: 'audited', id, result}),
      (error) => send({kind: 'audited', id, result: {error: 'axe-core failed on ' + location.href + ': ' + error}}));
  });
})();
"""
CONSOLE_PREFIX = "__e2e_axe__ "
AUDITED_REQUESTS = ("document", "xhr", "fetch")
LEAVING_SIGNAL_SECONDS = 5
AUDIT_SECONDS = 20
# The document went away under the audit (a closed page, an unrouted navigation): nothing to audit.
GONE = (
    "Execution context was destroyed",
    "Target page, context or browser has been closed",
    "Target closed",
    "frame was detached",
)


@dataclass
class Violation:
    id: str
    impact: str | None
    help: str
    help_url: str
    targets: list[str]
    url: str
    moment: str

    def describe(self) -> str:
        shown = ", ".join(self.targets[:5]) + (f" and {len(self.targets) - 5} more" if len(self.targets) > 5 else "")
        return (
            f"- [{self.impact}] {self.id}: {self.help}\n    page: {self.url} ({self.moment})\n"
            f"    elements: {shown}\n    {self.help_url}"
        )


class AxeAuditor:
    """Audits every document and every htmx state of a browser context before it goes away.

    A context-wide route holds each request that would end the current page state:
    * XHR/fetch (htmx): the current document is audited with `page.evaluate` first.
    * a navigation: Chromium does not run DevTools commands in a frame while a navigation
      of that frame is pending (they wait until it commits, so `page.evaluate` would hang
      here); so the route waits instead for the leaving document's own audit, started by its
      `beforeunload` and reported on the console, and only then lets the navigation go on.
    `check()`, after the test body, audits the pages left open and fails the test.
    """

    def __init__(self, context):
        self.context = context
        self.violations: list[Violation] = []
        self.errors: list[str] = []
        self.audits = 0
        self._seen: set[tuple] = set()
        self._leaving: dict[object, list[dict]] = {}
        self._audited: dict[str, dict] = {}

    def attach(self) -> None:
        self.context.add_init_script(path=str(AXE_PATH))
        self.context.add_init_script(
            script=AUDIT_INIT_SCRIPT % {"prefix": CONSOLE_PREFIX, "tags": json.dumps(AXE_TAGS)}
        )
        self.context.on("console", self._on_console)
        self.context.route("**/*", self._on_request)

    def _on_console(self, message) -> None:
        text = message.text
        if not text.startswith(CONSOLE_PREFIX):
            return
        data = json.loads(text[len(CONSOLE_PREFIX) :])
        if data["kind"] == "leaving":
            self._leaving.setdefault(message.page, []).append(data)
        else:
            self._audited[data["id"]] = data["result"]

    def _on_request(self, route) -> None:
        request = route.request
        try:
            if request.resource_type in AUDITED_REQUESTS:
                try:
                    frame = request.frame
                    page = frame.page
                except Exception:  # a service worker's request has no frame
                    page = None
                if page is not None and not page.is_closed():
                    moment = f"before {request.method} {request.url}"
                    if request.resource_type != "document":
                        self.audit(page, moment)
                    elif frame == page.main_frame:
                        self._await_leaving_audit(page, moment)
        finally:
            route.fallback()

    def _wait_for(self, page, condition, seconds: float):
        deadline = time.monotonic() + seconds
        while True:
            value = condition()
            if value or page.is_closed() or time.monotonic() > deadline:
                return value
            try:
                page.wait_for_timeout(20)  # lets Playwright deliver the console messages meanwhile
            except Exception:
                return condition()

    def _await_leaving_audit(self, page, moment: str) -> None:
        url = page.url
        if not url.startswith(("http://", "https://")):
            return  # about:blank, an error page: nothing of ours to audit
        if not self._wait_for(page, lambda: self._leaving.get(page), LEAVING_SIGNAL_SECONDS):
            if not page.is_closed():
                self.errors.append(f"{url} did not report leaving ({moment}); it was not audited")
            return
        signal = self._leaving.pop(page)[-1]
        result = self._wait_for(page, lambda: self._audited.pop(signal["id"], None), AUDIT_SECONDS)
        if result is None:
            if not page.is_closed():
                self.errors.append(f"the audit of {signal['url']} did not finish within {AUDIT_SECONDS} s ({moment})")
            return
        self._record(result, moment)

    def audit(self, page, moment: str) -> None:
        """Audit the page's current document now (not while a navigation of it is pending)."""
        try:
            result = page.evaluate("() => window.__e2eAudit()")
        except Exception as error:
            if not any(text in str(error) for text in GONE):
                self.errors.append(f"audit of {page.url} ({moment}) failed: {error}")
            return
        self._record(result, moment)

    def _record(self, result: dict, moment: str) -> None:
        if "skipped" in result:
            return
        if "error" in result:
            self.errors.append(f"{result['error']} ({moment})")
            return
        self.audits += 1
        for item in result["violations"]:
            key = (result["url"], item["id"], tuple(item["targets"]))
            if key in self._seen:
                continue
            self._seen.add(key)
            self.violations.append(
                Violation(
                    id=item["id"],
                    impact=item["impact"],
                    help=item["help"],
                    help_url=item["helpUrl"],
                    targets=item["targets"],
                    url=result["url"],
                    moment=moment,
                )
            )

    def audit_open_pages(self, moment: str = "where the test ended") -> None:
        for page in self.context.pages:
            if page.is_closed():
                continue
            try:
                page.wait_for_load_state("load", timeout=5_000)
            except Exception:
                pass
            self.audit(page, moment)

    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.impact in FAILING_IMPACTS]

    def take(self) -> list[Violation]:
        """Hand over what was found and forget it (for tests of the auditor itself)."""
        found, self.violations, self._seen = self.violations, [], set()
        return found

    def report(self) -> str | None:
        failing = self.failing()
        if not failing and not self.errors:
            return None
        lines = []
        if failing:
            lines.append(
                f"Accessibility audit (axe-core; {', '.join(AXE_TAGS)}) found "
                f"{len(failing)} serious or critical violation(s):"
            )
            lines.extend(v.describe() for v in failing)
        if self.errors:
            lines.append("The accessibility audit could not run everywhere:")
            lines.extend(f"- {error}" for error in self.errors)
        return "\n".join(lines)

    def check(self) -> None:
        """Audit the pages still open, then fail on serious/critical violations or audit errors."""
        self.audit_open_pages()
        report = self.report()
        if report:
            pytest.fail(report, pytrace=False)


AUDITOR = pytest.StashKey[AxeAuditor]()


@pytest.fixture
def context(browser, live_server, request):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="en-US",
        timezone_id="America/Los_Angeles",
    )
    context.set_default_timeout(10_000)
    auditor = AxeAuditor(context)
    auditor.attach()
    request.node.stash[AUDITOR] = auditor
    yield context
    context.close()


@pytest.fixture
def axe_auditor(context, request) -> AxeAuditor:
    return request.node.stash[AUDITOR]


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # After the test body, while its pages are still open: the last audit, and the verdict.
    result = yield
    auditor = item.stash.get(AUDITOR, None)
    if auditor is not None:
        auditor.check()
    return result


@pytest.fixture
def screenshot(request):
    """screenshot(page, name): kept under $BOOKING_E2E_SCREENSHOTS when set, else not taken."""
    target = os.environ.get("BOOKING_E2E_SCREENSHOTS")

    def take(page, name: str) -> Path | None:
        if not target:
            return None
        path = Path(target) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
