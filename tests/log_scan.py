"""The log scan: no secret, token, password or medical note in any log line of the test run.

Every record logged in the test process is formatted by the production JSON formatter and kept per
test; after each test its lines are scanned (conftest.py), as are the standard error of every
`booking` command the tests run and the log of the browser tests' live server. A line fails the
test that produced it when it holds:
- a secret the tests configure (BOOKING_SECRET_KEY, Stripe's keys, the webhook secret) or a password
  people type (the factories' and the demo's);
- something shaped like a token we hand out: an API token (bk_...), 32 random bytes in URL-safe base64
  (sessions, sign-in and password links, calendar feed addresses), a bearer credential, a cookie;
- a Sly Park student's medical note or dietary need that is in the test's database.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from contextlib import closing

from booking.db import sqlite_path_from_url
from booking.demo import DEMO_PASSWORD
from booking.observability.logs import JsonLogFormatter
from tests.conftest import TEST_SECRET, TEST_WEBHOOK_SECRET
from tests.factories import DEFAULT_PASSWORD

STRIPE_TEST_KEY = "sk_test_pytest_local_double"
KNOWN_SECRETS = (TEST_SECRET, TEST_WEBHOOK_SECRET, STRIPE_TEST_KEY, DEFAULT_PASSWORD, DEMO_PASSWORD)
_URLSAFE_43 = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
TOKEN_SHAPES = (
    ("API token", re.compile(r"\bbk_[A-Za-z0-9_-]{20,}")),
    ("bearer credential", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{12,}")),
    ("cookie", re.compile(r"\b(?:booking_session|booking_csrf)=")),
    ("Stripe secret", re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9]{8,}")),
)


def _looks_random(candidate: str) -> bool:
    """32 random bytes in base64url: mixed case and digits (names and words in a log line are not)."""
    return bool(re.search(r"[A-Z]", candidate) and re.search(r"[a-z]", candidate) and re.search(r"\d", candidate))


def leaks(lines: list[str], sensitive_values: tuple[str, ...] = ()) -> list[str]:
    """One description per offending line: what kind of thing leaked, and where."""
    found = []
    for number, line in enumerate(lines):
        reasons = [name for name, pattern in TOKEN_SHAPES if pattern.search(line)]
        reasons += ["a random token" for match in _URLSAFE_43.finditer(line) if _looks_random(match.group())]
        reasons += ["a configured secret or password" for secret in KNOWN_SECRETS if secret in line]
        reasons += ["a student's medical or dietary note" for value in sensitive_values if value in line]
        if reasons:
            found.append(f"line {number}: {', '.join(sorted(set(reasons)))}: {line[:300]}")
    return found


class LineCollector(logging.Handler):
    """Formats every record the way production does and keeps the lines until the test's scan."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonLogFormatter())
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            return
        with self._lock:
            self.lines.append(line)

    def take(self) -> list[str]:
        with self._lock:
            lines, self.lines = self.lines, []
        return lines


STUDENT_NOTES_SQL = (
    "SELECT medical_notes, dietary_needs FROM slypark_student WHERE medical_notes <> '' OR dietary_needs <> ''"
)


def student_notes(database_url: str) -> tuple[str, ...]:
    """Medical notes and dietary needs in the database now (the values no log line may hold)."""
    if database_url.startswith("sqlite:"):
        try:
            with closing(sqlite3.connect(sqlite_path_from_url(database_url))) as connection:
                rows = connection.execute(STUDENT_NOTES_SQL).fetchall()
        except sqlite3.Error:
            return ()
    else:

        async def fetch():
            import asyncpg

            connection = await asyncpg.connect(database_url)
            try:
                return [tuple(row) for row in await connection.fetch(STUDENT_NOTES_SQL)]
            finally:
                await connection.close()

        result: list = []
        thread = threading.Thread(target=lambda: result.extend(asyncio.run(fetch())))
        thread.start()
        thread.join(30)
        rows = result
    return tuple({value.strip() for row in rows for value in row if value and len(value.strip()) >= 4})
