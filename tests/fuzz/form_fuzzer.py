"""A form fuzzer for the HTML app: every POST route, found from the app itself, posted with hostile values.

How it works, for one role (a signed-in person, or nobody):
1. Crawl: starting at "/", follow the app's own links (GET only, same site) and read every page's
   forms: where they post, their fields and the values a browser would send. Every URL seen is
   matched against the app's route table, which also gives real ids for path parameters.
2. For every POST route of the app (its route table, not a hand-written list): take the forms
   found for it (or, when this role's pages show none, the fields other roles' forms post there,
   and ids seen anywhere for the route's parameters), and post them with one field at a time
   replaced by a hostile value (empty, huge, NUL, control characters, unicode digits, NaN,
   edge dates, script, ...), and with every field hostile at the same time (NUL, unicode digits,
   edge dates, NaN: the kinds that crashed the app). Half the posts are htmx requests, so errors
   render as fragments too. A role whose pages show no form for a route sends one hostile probe.
3. The GET forms (search, filters) and links with a query string are fetched with hostile query
   values the same way.
Any 5xx (or an exception through the transport) is a failure, reported with the app's logged
traceback. The budget is bounded (`scale` 1 in `make test`: one value per field, the first
role with the form fuzzes it in full); `make fuzz` (FUZZ_SCALE=3) triples that, and a scale of 4
or more tries every value on every field for every role.
"""

from __future__ import annotations

import html.parser
import logging
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

# Hostile values by kind. Each is what a careless user or an attacker can type or send.
HOSTILE: dict[str, list[str]] = {
    "empty": [""],
    "blank": ["   ", "\t"],
    "huge": ["x" * 60_000, "9" * 5_000],
    "nul": ["a\x00b", "\x00"],
    "control": ["\x1b[31mred\x1b[0m", "line\x0bfeed\x7f", "\u0085next"],
    "unicode_digits": ["²", "١٢٣", "５", "۱۰"],
    "not_a_number": ["NaN", "-Infinity", "1e999", "0x10", "1_000"],
    "big_number": ["99999999999999999999999999", "-99999999999999999999", "2147483648", "-1"],
    "edge_dates": ["0001-01-01", "9999-12-31", "9999-12-31T23:59", "0001-01-01T00:00", "2027-02-30", "0000-00-00"],
    "edge_times": ["24:00", "23:59:60", "-1:00"],
    "script": ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"],
    "formula": ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)"],
    "sql": ["' OR '1'='1", "1; DROP TABLE users --"],
    "unicode": ["Zoë 🌲 ∑", "\u202egnp.exe", "\ufeff\u200b"],
    "bad_utf8": ["%ED%A0%80", "%FF%FEx"],  # percent-encoded bytes that are not UTF-8, sent as they are
}
# Bodies for file inputs.
HOSTILE_FILES: dict[str, bytes] = {
    "empty_file": b"",
    "nul_file": b"first_name,last_name\nA\x00,B\n",
    "binary_file": bytes(range(256)) * 4,
    "bad_utf8_file": b"name\n\xff\xfe\xfa\n",
    "huge_lines_file": b"a," * 20_000 + b"\n",
}
SKIP_EXTENSIONS = (".ics", ".csv", ".pdf", ".png", ".jpg", ".svg", ".css", ".js", ".txt", ".json", ".xml")
CSRF_FIELD = "_csrf_token"
ALL_PAIRS = [(kind, value) for kind, values in HOSTILE.items() for value in values]
# Sent to every field of a form at once, in every form: the values that crashed the app (issue 12).
EVERY_FIELD_VALUES = [
    ("nul", "a\x00b"),
    ("unicode_digits", "²"),
    ("not_a_number", "NaN"),
    ("edge_dates", "9999-12-31T23:59"),
    ("edge_dates", "0001-01-01"),
]
PROBE_KIND = "nul"
# At scale 1 a route is fuzzed in full for the first role whose pages show its form; the
# other roles send one probe (the guards and the parsing must hold for them too).
FULL_ROLES_PER_ROUTE = 1


# --- The app's own route table -----------------------------------------------------------


@dataclass
class RouteTemplate:
    path: str  # e.g. /staff/offerings/{offering_id:int}
    methods: set[str]
    params: list[tuple[str, str]]  # (name, type) in order
    pattern: re.Pattern

    def fill(self, values: dict[str, str]) -> str:
        path = self.path
        for name, kind in self.params:
            path = path.replace("{" + f"{name}:{kind}" + "}", values[name])
        return path


def route_templates(app) -> list[RouteTemplate]:
    """Every HTTP route of the app, from its route table; static routes first so they win a match."""
    templates = []
    for route in app.routes:
        methods = set(getattr(route, "methods", ()) or ())
        if not methods or route.path.startswith("/static"):
            continue
        params = re.findall(r"\{(\w+):(\w+)\}", route.path)
        regex = "^" + re.escape(route.path) + "$"
        for name, kind in params:
            piece = "[0-9]+" if kind == "int" else "[^/]+"
            regex = regex.replace(re.escape("{" + f"{name}:{kind}" + "}"), f"(?P<{name}>{piece})")
        templates.append(RouteTemplate(route.path, methods, params, re.compile(regex)))
    return sorted(templates, key=lambda t: (len(t.params), t.path))


def post_routes(app) -> list[RouteTemplate]:
    """The HTML app's POST routes (the JSON API has its own fuzzer, schemathesis)."""
    return [t for t in route_templates(app) if "POST" in t.methods and not t.path.startswith("/api/")]


def match(templates: list[RouteTemplate], path: str) -> tuple[RouteTemplate, dict[str, str]] | None:
    for template in templates:
        found = template.pattern.match(path)
        if found:
            return template, found.groupdict()
    return None


# --- Reading pages -------------------------------------------------------------------------


@dataclass
class SeenForm:
    method: str
    action: str
    multipart: bool
    fields: list[tuple[str, str]] = field(default_factory=list)  # what a browser would send
    names: set[str] = field(default_factory=set)  # every named control, sent or not
    files: set[str] = field(default_factory=set)


class PageReader(html.parser.HTMLParser):
    """Links and forms of one page, with the values a browser would submit."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[SeenForm] = []
        self._form: SeenForm | None = None
        self._extra_actions: list[str] = []  # formaction / hx-post inside the current form
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def _resolve(self, url: str | None) -> str:
        if not url:
            return urlsplit(self.page_url).path + (
                f"?{urlsplit(self.page_url).query}" if urlsplit(self.page_url).query else ""
            )
        return url

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        hx_post = a.get("hx-post")
        if tag == "form":
            method = (a.get("method") or "get").lower()
            action = hx_post or a.get("action")
            if hx_post:
                method = "post"
            self._form = SeenForm(method, self._resolve(action), "multipart" in a.get("enctype", ""))
            self._extra_actions = []
            return
        if hx_post and tag != "form":
            if self._form is not None:
                self._extra_actions.append(hx_post)
            else:
                self.forms.append(SeenForm("post", hx_post, False))
        if self._form is None:
            return
        form = self._form
        name = a.get("name")
        if tag in ("button", "input") and a.get("formaction"):
            self._extra_actions.append(a["formaction"])
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            form.names.add(name)
            if kind == "file":
                form.files.add(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset") or not any(n == name for n, _ in form.fields):
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            form.names.add(name)
            if not any(n == name for n, _ in form.fields):
                form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            form.names.add(name)
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            form.names.add(name)
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options if v] or [""]
            self._form.fields.append((name, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            self._form.fields.append((name, "".join(parts).lstrip("\n")))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            for action in self._extra_actions:
                self.forms.append(
                    SeenForm(
                        "post",
                        action,
                        self._form.multipart,
                        list(self._form.fields),
                        set(self._form.names),
                        set(self._form.files),
                    )
                )
            self._form = None


# --- The fuzzer ----------------------------------------------------------------------------


@dataclass
class Outcome:
    role: str
    method: str
    route: str
    url: str
    mutation: str
    status: int
    detail: str = ""


@dataclass
class FuzzReport:
    requests: int = 0
    pages_crawled: int = 0
    routes: set[str] = field(default_factory=set)  # POST routes posted to
    routes_with_forms: set[str] = field(default_factory=set)  # ... of which a page showed a form
    roles: set[str] = field(default_factory=set)
    failures: list[Outcome] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    reached: dict[str, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )  # role -> routes it got past the guards of
    by_phase: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # crawl, probe, form, query

    def summary(self) -> str:
        return (
            f"{self.requests} requests, {len(self.routes)} POST routes ({len(self.routes_with_forms)} with forms found "
            f"on pages), {self.pages_crawled} pages crawled, roles {sorted(self.roles)}, "
            f"statuses {dict(sorted(self.statuses.items()))}, requests by phase {dict(self.by_phase)}, "
            f"{len(self.failures)} server errors"
        )


class ErrorLog(logging.Handler):
    """Collects the tracebacks the app logs for unexpected errors, to show with a failure."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.records.append(text)


class FormFuzzer:
    """`sign_in(role)` gives a signed-in client for a role (or an anonymous one) and may be called again
    when a post ended the session (signing out, a password change)."""

    def __init__(
        self,
        app,
        client,
        sign_in,
        *,
        scale: int = 1,
        seed: int = 12,
        max_pages_per_role: int = 160,
        start_urls: dict[str, list[str]] | None = None,
    ):
        self.client = client
        # Pages no other page links to (a link that only ever goes out by email), per role: crawled after "/".
        self.start_urls = start_urls or {}
        self.sign_in = sign_in
        self.scale = scale
        self.random = random.Random(seed)
        self.max_pages = max_pages_per_role * scale
        self.templates = route_templates(app)
        self.posts = post_routes(app)
        self.report = FuzzReport()
        self.forms_by_route: dict[str, dict[str, list[SeenForm]]] = defaultdict(
            lambda: defaultdict(list)
        )  # route -> role -> forms
        self.param_values: dict[str, list[str]] = defaultdict(list)  # path parameter name -> values seen in URLs
        self.get_forms: dict[str, list[tuple[str, list[tuple[str, str]]]]] = defaultdict(list)  # role -> (path, fields)
        self.links_with_query: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.fully_fuzzed: dict[str, int] = defaultdict(int)  # route -> roles that fuzzed it in full
        self._turn = 0
        self.error_log = ErrorLog()

    # -- crawling --

    def _note_url(self, url: str) -> None:
        found = match(self.templates, urlsplit(url).path)
        if found:
            for name, value in found[1].items():
                if value not in self.param_values[name] and len(self.param_values[name]) < 20:
                    self.param_values[name].append(value)

    async def crawl(self, role: str) -> None:
        queue, seen, per_template = ["/", *self.start_urls.get(role, [])], set(), defaultdict(int)
        while queue and len(seen) < self.max_pages:
            url = queue.pop(0)
            parts = urlsplit(url)
            if url in seen or parts.path.endswith(SKIP_EXTENSIONS) or parts.path.startswith("/static"):
                continue
            found = match(self.templates, parts.path)
            if found is None or "GET" not in found[0].methods:
                continue
            key = (found[0].path, tuple(sorted(k for k, _ in parse_qsl(parts.query))))
            if per_template[key] >= self.scale + 1:  # a few instances of each page and query shape
                continue
            per_template[key] += 1
            seen.add(url)
            response = await self._send(role, "GET", url, mutation="crawl")
            if (
                response is None
                or response.status_code != 200
                or "text/html" not in response.headers.get("content-type", "")
            ):
                continue
            reader = PageReader(url)
            reader.feed(response.text)
            self.report.pages_crawled += 1
            for link in reader.links:
                self._note_url(link)
                link_parts = urlsplit(link)
                if link_parts.query and not link_parts.path.endswith(SKIP_EXTENSIONS):
                    self.links_with_query.setdefault(
                        (link_parts.path, tuple(sorted(dict(parse_qsl(link_parts.query))))),
                        dict(parse_qsl(link_parts.query)),
                    )
                if link not in seen:
                    queue.append(link.split("#")[0])
            for form in reader.forms:
                self._note_url(form.action)
                target = match(self.templates, urlsplit(form.action).path)
                if form.method == "get":
                    self.get_forms[role].append((urlsplit(form.action).path, form.fields))
                elif target is not None:
                    self.forms_by_route[target[0].path][role].append(form)

    # -- sending --

    async def _send(
        self,
        role: str,
        method: str,
        url: str,
        *,
        mutation: str,
        data=None,
        files=None,
        raw_body: bytes | None = None,
        htmx: bool = False,
    ):
        headers = {"HX-Request": "true"} if htmx else {}
        if raw_body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            kwargs = {"content": raw_body} if raw_body is not None else {"data": data, "files": files}
            response = await self.client.request(method, url, headers=headers, **kwargs)
        except Exception as error:  # the app raised through the transport: a crash as much as a 500
            self._record(role, method, url, mutation, 599, f"{type(error).__name__}: {error}")
            return None
        self._record(role, method, url, mutation, response.status_code, response.text[:300])
        return response

    def _record(self, role, method, url, mutation, status, text) -> None:
        self.report.requests += 1
        phase = (
            "crawl"
            if mutation == "crawl"
            else "probe"
            if mutation.startswith("probe")
            else ("query" if method == "GET" else "form")
        )
        self.report.by_phase[phase] += 1
        self.report.statuses[status] += 1
        found = match(self.templates, urlsplit(url).path)
        route = found[0].path if found else urlsplit(url).path
        if status >= 500:
            detail = text
            if self.error_log.records:
                detail = self.error_log.records[-1][-1500:]
            self.report.failures.append(Outcome(role, method, route, url[:200], mutation, status, detail))
        self.error_log.records.clear()

    # -- mutations --

    def _values_for_field(self) -> list[tuple[str, str]]:
        """(kind, value) pairs tried for one field: every pair at scale >= 4, else `scale` of them, taken in turn
        from the whole list so that over a run every kind is tried on many fields."""
        if self.scale >= 4:
            return list(ALL_PAIRS)
        picked = []
        for _ in range(self.scale):
            picked.append(ALL_PAIRS[self._turn % len(ALL_PAIRS)])
            self._turn += 1
        return picked

    async def _post(
        self,
        role: str,
        url: str,
        fields: list[tuple[str, str]],
        files: dict[str, bytes],
        mutation: str,
        multipart: bool,
        htmx: bool,
    ):
        kind, _, name = mutation.partition(":")
        if multipart or files:
            upload = {key: (f"{key}.csv", body, "text/csv") for key, body in files.items()} or None
            return await self._send(
                role, "POST", url, mutation=mutation, data=_as_dict(fields), files=upload, htmx=htmx
            )
        if kind == "bad_utf8":
            # Encoded by hand: the mutated field's value goes out as raw percent-escapes of bytes that are not UTF-8.
            body = "&".join(
                f"{urlencode({k: ''})[:-1]}={v}"
                if k == name or (name == "*" and k != CSRF_FIELD)
                else urlencode({k: v})
                for k, v in fields
            )
            return await self._send(role, "POST", url, mutation=mutation, raw_body=body.encode(), htmx=htmx)
        return await self._send(role, "POST", url, mutation=mutation, data=_as_dict(fields), htmx=htmx)

    async def fuzz_route(self, role: str, template: RouteTemplate) -> None:
        forms = self.forms_by_route.get(template.path, {})
        own = forms.get(role, [])
        self.report.routes.add(template.path)
        if own:
            self.report.routes_with_forms.add(template.path)
        limit = FULL_ROLES_PER_ROUTE * self.scale if self.scale < 4 else len(forms) + 1
        if own and self.fully_fuzzed[template.path] < limit:
            self.fully_fuzzed[template.path] += 1
            for form in own[: self.scale]:
                await self._fuzz_form(role, template, form)
            return
        # This role's pages show no form for the route (or it was fuzzed in full already): one probe
        # with every field hostile, at a URL built from ids seen anywhere; in full if it got through.
        others = [form for role_forms in forms.values() for form in role_forms]
        if own:
            form = own[0]
        else:
            values = {
                name: (self.param_values.get(name) or ["1" if kind == "int" else "unknown"])[0]
                for name, kind in template.params
            }
            base = others[0] if others else SeenForm("post", "", False)
            form = SeenForm(
                "post", template.fill(values), base.multipart, list(base.fields), set(base.names), set(base.files)
            )
        response = await self._probe(role, form)
        blind = not others
        if blind and response is not None and self._got_through(role, response):
            self.report.reached[role].add(template.path)
            await self._fuzz_form(role, template, form)

    def _got_through(self, role: str, response) -> bool:
        return response.status_code not in (401, 403, 404, 405) and not self._signed_out(response)

    async def _probe(self, role: str, form: SeenForm):
        token = await self._csrf_token(role)
        names = sorted({k for k, _ in form.fields} | form.names)
        value = HOSTILE[PROBE_KIND][0]
        fields = [(CSRF_FIELD, token)] + [(name, value) for name in names if name != CSRF_FIELD]
        files = {name: HOSTILE_FILES["nul_file"] for name in form.files}
        response = await self._post(role, form.action, fields, files, f"probe-{PROBE_KIND}:*", form.multipart, True)
        if response is not None and role != "anonymous" and self._signed_out(response):
            await self.sign_in(role)
            await self._csrf_token(role, refresh=True)
        return response

    async def _fuzz_form(self, role: str, template: RouteTemplate, form: SeenForm) -> None:
        token = await self._csrf_token(role)
        base = [(k, v) for k, v in form.fields if k != CSRF_FIELD]
        names = sorted({k for k, _ in base} | (form.names - form.files - {CSRF_FIELD}))
        files = {name: b"first_name,last_name,gender,grade\nAva,Lee,F,5\n" for name in form.files}
        with_token = lambda fields: [(CSRF_FIELD, token), *fields]  # noqa: E731 - a one-line helper, read where it is used
        htmx = False
        # The form as the page would send it, then once with every field hostile at the same time.
        plan: list[tuple[str, list[tuple[str, str]], dict[str, bytes]]] = [("as-is", base, files)]
        every_field = EVERY_FIELD_VALUES if self.scale < 4 else EVERY_FIELD_VALUES + ALL_PAIRS
        for kind, value in every_field:
            plan.append((f"{kind}:*", [(name, value) for name in names], files))
        # One field at a time.
        for name in names:
            for kind, value in self._values_for_field():
                mutated = [(k, v) for k, v in base if k != name] + [(name, value)]
                plan.append((f"{kind}:{name}", mutated, files))
        for name in form.files:
            for kind, body in (
                HOSTILE_FILES.items() if self.scale >= 2 else self.random.sample(list(HOSTILE_FILES.items()), 1)
            ):
                plan.append((f"{kind}:{name}", base, {**files, name: body}))
        for mutation, fields, upload in plan:
            htmx = not htmx  # half as htmx requests: errors then render as fragments
            sent = with_token(fields)
            response = await self._post(role, form.action, sent, upload, mutation, form.multipart, htmx)
            if response is None:
                continue
            if role != "anonymous" and self._signed_out(response):
                await self.sign_in(role)  # the post ended the session (sign-out, password change): carry on signed in
                token = await self._csrf_token(role, refresh=True)
                continue
            if response.status_code == 403 and "csrf" in response.text.lower():
                token = await self._csrf_token(role, refresh=True)
                continue
            if self._got_through(role, response):
                self.report.reached[role].add(template.path)

    @staticmethod
    def _signed_out(response) -> bool:
        location = response.headers.get("location", "") or response.headers.get("hx-redirect", "")
        return location.startswith("/sign-in")

    async def _csrf_token(self, role: str, refresh: bool = False) -> str:
        if refresh or role not in self.tokens:
            response = await self.client.get("/sign-in" if role == "anonymous" else "/account")
            if role != "anonymous" and self._signed_out(response):
                # A post signed this browser out (sign-out answers with the home page, not /sign-in): CSRF tokens are
                # bound to the session, so the old one stopped working with it. Sign in again and carry on.
                await self.sign_in(role)
                response = await self.client.get("/account")
            assert response.status_code == 200, f"no page to take a CSRF token from as {role}: {response.status_code}"
            found = re.search(r'name="_csrf_token" value="([^"]+)"', response.text)
            assert found, f"no CSRF token on the page for {role}"
            self.tokens[role] = found.group(1)
        return self.tokens[role]

    async def fuzz_queries(self, role: str) -> None:
        """GET forms (search, filters) with hostile values in each query parameter."""
        seen = set()
        for path, fields in self.get_forms.get(role, []):
            names = sorted({k for k, _ in fields})
            if (path, tuple(names)) in seen:
                continue
            seen.add((path, tuple(names)))
            for name in names:
                for kind, value in self._values_for_field():
                    if kind == "huge":
                        value = value[:3000]  # a URL, not a body
                    query = urlencode([(k, v) for k, v in fields if k != name] + [(name, value)])
                    await self._send(role, "GET", f"{path}?{query}", mutation=f"{kind}:{name}")
        for (link_path, _), params in self.links_with_query.items():
            for name in params:
                kind, value = self.random.choice(self._values_for_field())
                query = urlencode({**params, name: value[:3000]})
                await self._send(role, "GET", f"{link_path}?{query}", mutation=f"{kind}:{name}")

    async def run(self, roles: list[str]) -> FuzzReport:
        logger = logging.getLogger("booking")
        logger.addHandler(self.error_log)
        quiet = logging.getLogger("httpx")
        level = quiet.level
        quiet.setLevel(logging.WARNING)  # one INFO line per request would swamp a failure's report
        try:
            for role in roles:
                await self.sign_in(role)
                await self.crawl(role)
            for role in roles:
                self.report.roles.add(role)
                await self.sign_in(role)
                self.tokens = {}
                for template in self.posts:
                    await self.fuzz_route(role, template)
                await self.fuzz_queries(role)
        finally:
            logger.removeHandler(self.error_log)
            quiet.setLevel(level)
        return self.report


def _as_dict(fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key, value in fields:
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out
