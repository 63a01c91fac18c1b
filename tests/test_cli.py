"""The `booking` command, run as a real subprocess (`python -m booking.cli`).

SQLite: every test gets its own database file under tmp_path (a copy of one database
migrated by `booking migrate` at the start of this module, or an empty file where the
test is about migrating). PostgreSQL: the run's migrated test database, emptied down to
the reference data by the `db` fixture.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from booking.accounts.reference_data import SACRAMENTO_COUNTY_DISTRICTS
from booking.db import sqlite_path_from_url
from booking.demo import DEMO_PEOPLE
from tests.conftest import TEST_SECRET, free_port, run_cli

SACRAMENTO_CODES = {code for code, _, _ in SACRAMENTO_COUNTY_DISTRICTS}
ROLES = ["attendee", "coordinator", "staff", "finance", "admin"]
only_sqlite = pytest.mark.parametrize("engine_kind", ["sqlite"])


@pytest.fixture(scope="module")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("cli-template")
    path = directory / "template.db"
    run_cli("migrate", database_url=f"sqlite:///{path}", var_dir=directory / "var", check=True)
    return path


@pytest.fixture
def database_url(request, engine_kind, tmp_path, migrated_sqlite_template) -> str:
    """A migrated database holding only the reference districts, for this test alone."""
    if engine_kind == "sqlite":
        path = tmp_path / "booking.db"
        shutil.copyfile(migrated_sqlite_template, path)
        wal = migrated_sqlite_template.with_name(migrated_sqlite_template.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, path.with_name(path.name + "-wal"))
        return f"sqlite:///{path}"  # absolute path: four slashes
    request.getfixturevalue("db")  # empties the PostgreSQL test database, keeps the districts
    return request.getfixturevalue("settings").database_url


@pytest.fixture
def booking(database_url, tmp_path):
    """Run `booking ARGS...` against this test's database."""

    def run(*args: str, extra_env: dict | None = None):
        return run_cli(*args, database_url=database_url, var_dir=tmp_path / "var", extra_env=extra_env)

    return run


def query(database_url: str, sql: str) -> list[dict]:
    """Read the database directly, not through our code."""
    if database_url.startswith("sqlite:"):
        with closing(sqlite3.connect(sqlite_path_from_url(database_url))) as connection:
            connection.row_factory = sqlite3.Row
            rows = [dict(row) for row in connection.execute(sql)]
            connection.commit()
            return rows

    async def fetch():
        import asyncpg

        connection = await asyncpg.connect(database_url)
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def person(database_url: str, email: str) -> dict | None:
    rows = query(
        database_url,
        "SELECT u.email, u.name, u.role, d.code AS district FROM app_user u LEFT JOIN district d ON d.id = u.district "
        f"WHERE u.email = '{email}'",
    )
    return rows[0] if rows else None


def assert_ok(result) -> None:
    assert result.returncode == 0, f"status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def assert_refused(result, *fragments: str) -> str:
    """Status 2 and exactly one line on standard error; returns that line."""
    assert result.returncode == 2, f"status {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]
    return lines[0]


def district_lines(result) -> list[tuple[str, str]]:
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines, "no districts listed"
    for line in lines:
        assert re.fullmatch(r"[A-Z0-9]+\t\S[^\t]*", line), repr(line)
    return [tuple(line.split("\t")) for line in lines]


# --- migrate -------------------------------------------------------------------------


def test_migrate_on_an_empty_sqlite_database_creates_the_13_districts_and_is_idempotent(tmp_path):
    path = tmp_path / "nested" / "dir" / "fresh.db"  # the directory does not exist yet
    url = f"sqlite:///{path}"

    first = run_cli("migrate", database_url=url, var_dir=tmp_path / "var")
    assert_ok(first)
    assert "13 reference districts added" in first.stdout
    # One honest count, not piccolo's "N already complete" beside "N not yet run" for the same N.
    assert "already complete" not in first.stdout and "not yet run" not in first.stdout
    applied = int(re.search(r"(\d+) migrations applied now, 0 applied before", first.stdout).group(1))
    assert applied == len(query(url, "SELECT id FROM migration")) > 0
    rows = query(url, "SELECT code, name, county FROM district")
    assert {row["code"] for row in rows} == SACRAMENTO_CODES and len(rows) == 13
    assert {row["county"] for row in rows} == {"Sacramento"}
    assert {row["name"] for row in rows} == {name for _, name, _ in SACRAMENTO_COUNTY_DISTRICTS}
    tables = {row["name"] for row in query(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"district", "app_user", "outbox_message"} <= tables
    assert query(url, "PRAGMA journal_mode") == [{"journal_mode": "wal"}]

    second = run_cli("migrate", database_url=url, var_dir=tmp_path / "var")
    assert_ok(second)
    assert "0 reference districts added" in second.stdout
    assert len(query(url, "SELECT id FROM district")) == 13


@pytest.mark.parametrize("engine_kind", ["postgresql"])
def test_migrate_again_keeps_13_districts_and_puts_back_missing_ones(booking, database_url):
    """SQLite is covered above; on PostgreSQL the run's database is already migrated."""
    again = booking("migrate")
    assert_ok(again)
    assert "0 reference districts added" in again.stdout
    assert len(query(database_url, "SELECT id FROM district")) == 13

    query(database_url, "DELETE FROM district WHERE code IN ('EGUSD', 'TRUSD') RETURNING id")
    assert len(query(database_url, "SELECT id FROM district")) == 11
    restored = booking("migrate")
    assert_ok(restored)
    assert "2 reference districts added" in restored.stdout
    assert {row["code"] for row in query(database_url, "SELECT code FROM district")} == SACRAMENTO_CODES


# --- demo ----------------------------------------------------------------------------


def test_demo_is_idempotent_and_prints_the_sign_ins_every_time(booking, database_url):
    outputs = []
    counts = []
    for _ in range(2):
        result = booking("demo")
        assert_ok(result)
        outputs.append(result.stdout)
        counts.append(
            (
                len(query(database_url, "SELECT id FROM app_user")),
                len(query(database_url, "SELECT id FROM district")),
                len(query(database_url, "SELECT id FROM school")),
            )
        )
    assert counts[0] == counts[1], counts
    assert counts[0][0] == len(DEMO_PEOPLE)
    for stdout in outputs:
        assert "Demo sign-ins" in stdout and "demo-pass-2026" in stdout
        for email, _, role, _, _ in DEMO_PEOPLE:
            assert re.search(rf"^\s*{role}\s+{re.escape(email)}$", stdout, re.MULTILINE), (email, stdout)
    assert person(database_url, "coordinator@egusd.example")["district"] == "EGUSD"
    # No demo session on a holiday or in the winter break (Dec 25, Jan 1, ...), whatever today is.
    from booking.clock import LOCAL_TZ
    from booking.demo_calendar import is_closed

    starts = [row["starts_at"] for row in query(database_url, "SELECT starts_at FROM offering_session")]
    assert starts
    for start in starts:
        moment = start if isinstance(start, dt.datetime) else dt.datetime.fromisoformat(str(start))
        assert not is_closed(moment.astimezone(LOCAL_TZ).date()), moment


# --- district list -------------------------------------------------------------------


@only_sqlite
def test_district_list_prints_code_tab_name_one_per_line(booking):
    listed = district_lines(booking("district", "list"))
    assert len(listed) == 13
    assert ("EGUSD", "Elk Grove Unified") in listed
    assert ("SJUSD", "San Juan Unified") in listed
    assert {code for code, _ in listed} == SACRAMENTO_CODES


# --- user create ---------------------------------------------------------------------


@only_sqlite  # on PostgreSQL, coordinators and staff are created by the two tests below
def test_user_create_for_each_role(booking, database_url):
    def create(role: str):
        args = ["user", "create", "--email", f"{role}@example.org", "--name", f"{role.title()} Person", "--role", role]
        if role == "coordinator":
            args += ["--district", "EGUSD"]
        return booking(*args)

    with ThreadPoolExecutor(max_workers=len(ROLES)) as pool:  # also: several CLI writers at once
        results = dict(zip(ROLES, pool.map(create, ROLES)))

    for role, result in results.items():
        assert_ok(result)
        assert result.stderr.strip() == ""
        created = person(database_url, f"{role}@example.org")
        assert created is not None, role
        assert created["role"] == role
        assert created["name"] == f"{role.title()} Person"
        assert created["district"] == ("EGUSD" if role == "coordinator" else None)


@only_sqlite
def test_user_create_with_a_password_lets_that_person_sign_in(booking, database_url):
    result = booking(
        "user",
        "create",
        "--email",
        "Pat@Example.org",
        "--name",
        "Pat",
        "--role",
        "staff",
        "--password",
        "a long enough password",
    )
    assert_ok(result)
    stored = query(database_url, "SELECT email, password_hash FROM app_user")
    assert [row["email"] for row in stored] == ["pat@example.org"]  # stored lower-case
    from booking.accounts.passwords import verify_password

    assert verify_password(stored[0]["password_hash"], "a long enough password")
    assert_refused(
        booking("user", "create", "--email", "x@example.org", "--name", "X", "--role", "staff", "--password", "short"),
        "password",
    )


@only_sqlite
def test_coordinator_without_district_is_refused(booking, database_url):
    line = assert_refused(
        booking("user", "create", "--email", "c@example.org", "--name", "C", "--role", "coordinator"), "--district"
    )
    assert line.startswith("booking")
    assert person(database_url, "c@example.org") is None


def test_district_by_code_or_exact_name_case_insensitively(booking, database_url):
    cases = {
        "by-code@example.org": ("egusd", "EGUSD"),
        "by-name@example.org": ("  SAN JUAN unified ", "SJUSD"),
    }
    for email, (given, expected) in cases.items():
        assert_ok(
            booking(
                "user",
                "create",
                "--email",
                email,
                "--name",
                "Coordinator",
                "--role",
                "coordinator",
                "--district",
                given,
            )
        )
        assert person(database_url, email)["district"] == expected


@only_sqlite
@pytest.mark.parametrize("district", ["NOPE", "Elk Grove"])  # unknown code; a name that is not exact
def test_unknown_district_is_refused(booking, database_url, district):
    assert_refused(
        booking(
            "user", "create", "--email", "c@example.org", "--name", "C", "--role", "coordinator", "--district", district
        ),
        "district",
    )
    assert person(database_url, "c@example.org") is None


@only_sqlite
def test_duplicate_email_is_refused_whatever_its_case(booking, database_url):
    assert_ok(booking("user", "create", "--email", "dup@example.org", "--name", "First", "--role", "attendee"))
    assert_refused(
        booking("user", "create", "--email", "DUP@Example.org", "--name", "Second", "--role", "staff"),
        "dup@example.org",
    )
    assert query(database_url, "SELECT name, role FROM app_user") == [{"name": "First", "role": "attendee"}]


@only_sqlite
@pytest.mark.parametrize("email", ["not-an-email", "space in@example.org"])
def test_invalid_email_is_refused(booking, database_url, email):
    assert_refused(booking("user", "create", "--email", email, "--name", "X", "--role", "attendee"), "email")
    assert query(database_url, "SELECT id FROM app_user") == []


@only_sqlite
def test_bad_role_is_refused_in_one_line(booking, database_url):
    assert_refused(booking("user", "create", "--email", "x@example.org", "--name", "X", "--role", "wizard"), "wizard")
    assert query(database_url, "SELECT id FROM app_user") == []


# --- token create --------------------------------------------------------------------


async def test_token_create_prints_a_working_bearer_token_as_the_last_line(booking, database_url, tmp_path):
    from booking.app import create_app
    from booking.settings import Settings
    from tests.conftest import asgi_client

    assert_ok(booking("user", "create", "--email", "robot@example.org", "--name", "Robot", "--role", "staff"))
    result = booking("token", "create", "--email", "ROBOT@example.org")
    assert_ok(result)
    token = result.stdout.strip().splitlines()[-1].strip()
    assert re.fullmatch(r"bk_[A-Za-z0-9_\-]{20,}", token), result.stdout

    app = create_app(
        Settings(
            database_url=database_url,
            secret_key=TEST_SECRET,
            base_url="http://testserver.local",
            var_dir=tmp_path / "var",
            db_pool_size=0,
            run_worker_in_process=False,
        )
    )
    async with asgi_client(app) as client:
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "robot@example.org" and me.json()["role"] == "staff"
        forged = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token[:-4]}abcd"})
        assert forged.status_code == 401


@only_sqlite
def test_token_create_for_an_unknown_email_is_refused(booking, database_url):
    assert_refused(booking("token", "create", "--email", "nobody@example.org"), "nobody@example.org")
    assert query(database_url, "SELECT id FROM api_token") == []


# --- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x",
        "sqlite://",  # no path
        "postgresql://postgres@127.0.0.1:{closed_port}/nothing",  # nobody listening
    ],
)
def test_bad_database_url_is_refused_in_one_line(tmp_path, url):
    result = run_cli("migrate", database_url=url.format(closed_port=free_port()), var_dir=tmp_path / "var")
    assert_refused(result, "database")


def test_a_database_that_was_never_migrated_is_refused_in_one_line(tmp_path):
    result = run_cli("district", "list", database_url=f"sqlite:///{tmp_path / 'empty.db'}", var_dir=tmp_path / "var")
    assert_refused(result, "booking migrate")


def test_serving_on_another_port_moves_the_base_url_unless_it_is_set(monkeypatch):
    from booking.cli import base_url_for_serving, settings_for_serving
    from booking.settings import Settings

    settings = Settings(database_url="sqlite:///x.db", secret_key=TEST_SECRET)
    monkeypatch.delenv("BOOKING_BASE_URL", raising=False)
    moved = settings_for_serving(settings, "127.0.0.1", 8101)
    assert moved.base_url == "http://127.0.0.1:8101"
    import os

    assert os.environ["BOOKING_BASE_URL"] == "http://127.0.0.1:8101"  # for --workers > 1
    assert base_url_for_serving("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert base_url_for_serving("::1", 9000) == "http://[::1]:9000"

    monkeypatch.setenv("BOOKING_BASE_URL", "https://pd.scoe.net")
    assert settings_for_serving(settings, "127.0.0.1", 8101) is settings
