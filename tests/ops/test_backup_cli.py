"""`booking backup --to PATH` and `booking restore --from PATH`, run as the real command on both engines."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from booking.db import sqlite_path_from_url
from booking.ops.tables import BackupRun
from tests.conftest import run_cli
from tests.factories import make_user

only_sqlite = pytest.mark.parametrize("engine_kind", ["sqlite"])
only_postgres = pytest.mark.parametrize("engine_kind", ["postgresql"])


def booking(database_url: str, tmp_path: Path, *args: str, extra_env: dict | None = None):
    return run_cli(*args, database_url=database_url, var_dir=tmp_path / "var", extra_env=extra_env)


async def query(database_url: str, sql: str) -> list[dict]:
    """Read a database directly, not through our code."""
    if database_url.startswith("sqlite:"):
        with closing(sqlite3.connect(sqlite_path_from_url(database_url))) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql)]
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        return [dict(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def table_names(database_url: str, *, every_relation: bool = False) -> list[str]:
    """The tables (PostgreSQL, with every_relation: also sequences, indexes, views) of a database."""
    if database_url.startswith("sqlite:"):
        if not Path(sqlite_path_from_url(database_url)).exists():
            return []
        return [r["name"] for r in await query(database_url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        r["relname"]
        for r in await query(
            database_url,
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = 'public'" + ("" if every_relation else " AND c.relkind = 'r'"),
        )
    ]


async def _backup(settings, tmp_path) -> Path:
    await make_user("staff", email="dana@scoe.example", name="Dana Staff")
    await make_user("attendee", email="teacher@egusd.example", name="Terry Teacher")
    result = booking(settings.database_url, tmp_path, "backup", "--to", str(tmp_path / "nightly"))
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


async def test_a_backup_restores_into_an_empty_database_with_every_row(
    db, settings, tmp_path, empty_database, engine_kind
):
    path = await _backup(settings, tmp_path)

    assert path == (tmp_path / "nightly").absolute()
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["engine"] == engine_kind
    assert manifest["schema_version"] == max(m.split(":", 1)[1] for m in manifest["migrations"])
    users = await query(settings.database_url, "SELECT * FROM app_user ORDER BY id")
    assert manifest["tables"]["app_user"]["rows"] == len(users) == 2
    assert manifest["tables"]["district"]["rows"] == 13
    assert set(manifest["tables"]) == {
        t for t in await table_names(settings.database_url) if not t.startswith("sqlite_")
    }
    recorded = await BackupRun.select().where(BackupRun.kind == "manual")
    assert [(r["status"], r["path"]) for r in recorded] == [("succeeded", str(path))]

    restored = booking(empty_database, tmp_path, "restore", "--from", str(path))

    assert restored.returncode == 0, restored.stderr
    assert "every table matches the manifest" in restored.stdout
    assert await query(empty_database, "SELECT * FROM app_user ORDER BY id") == users
    assert await query(empty_database, "SELECT count(*) AS n FROM district") == [{"n": 13}]
    # The copy is a working database of this release: nothing left to migrate.
    migrate = booking(empty_database, tmp_path, "migrate")
    assert migrate.returncode == 0 and "0 migrations applied now" in migrate.stdout  # nothing left to run


async def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(db, settings, tmp_path, engine_kind):
    path = await _backup(settings, tmp_path)
    await make_user("attendee", email="after-the-backup@egusd.example")
    before = await query(settings.database_url, "SELECT * FROM app_user ORDER BY id")

    result = booking(settings.database_url, tmp_path, "restore", "--from", str(path))

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not empty" in result.stderr
    assert await query(settings.database_url, "SELECT * FROM app_user ORDER BY id") == before


async def test_a_damaged_backup_file_is_refused_and_the_target_stays_empty(db, settings, tmp_path, empty_database):
    path = await _backup(settings, tmp_path)
    data = path / json.loads((path / "manifest.json").read_text())["file"]["name"]
    content = bytearray(data.read_bytes())
    content[len(content) // 2] ^= 0xFF
    data.write_bytes(bytes(content))

    result = booking(empty_database, tmp_path, "restore", "--from", str(path))

    assert result.returncode == 2
    assert "damaged" in result.stderr and result.stderr.count("\n") == 1
    assert await table_names(empty_database, every_relation=True) == []


async def test_a_manifest_that_does_not_match_the_data_is_refused_and_the_target_stays_empty(
    db, settings, tmp_path, empty_database
):
    """The file is intact (its SHA-256 matches) but the tables are not what the manifest says."""
    path = await _backup(settings, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["app_user"]["rows"] += 1
    (path / "manifest.json").write_text(json.dumps(manifest))

    result = booking(empty_database, tmp_path, "restore", "--from", str(path))

    assert result.returncode == 2
    assert "table app_user has 2 rows, the manifest says 3" in result.stderr
    assert (
        await table_names(empty_database, every_relation=True) == []
    )  # PostgreSQL: restored, found wrong, dropped again


async def test_a_backup_of_a_newer_release_is_refused(db, settings, tmp_path, empty_database):
    path = await _backup(settings, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["migrations"].append("ops:2099-01-01T00:00:00:000000")
    (path / "manifest.json").write_text(json.dumps(manifest))

    result = booking(empty_database, tmp_path, "restore", "--from", str(path))

    assert result.returncode == 2 and "newer release" in result.stderr
    assert await table_names(empty_database, every_relation=True) == []


@only_sqlite
async def test_a_backup_never_overwrites_and_a_missing_backup_is_named(db, settings, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("keep me")

    result = booking(settings.database_url, tmp_path, "backup", "--to", str(tmp_path / "taken"))

    assert result.returncode == 2 and "already exists" in result.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "keep me"
    assert not list(tmp_path.glob("taken.partial-*"))
    missing = booking(f"sqlite:///{tmp_path / 'new.db'}", tmp_path, "restore", "--from", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "is not a backup" in missing.stderr


@only_postgres
async def test_without_pg_dump_on_the_path_the_backup_says_what_to_install(db, settings, tmp_path):
    result = booking(
        settings.database_url,
        tmp_path,
        "backup",
        "--to",
        str(tmp_path / "b"),
        extra_env={"PATH": str(tmp_path / "no-tools-here")},
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("booking: pg_dump is not on the PATH; install")
    assert not (tmp_path / "b").exists()


@only_postgres
async def test_an_sqlite_backup_is_refused_by_a_postgresql_database(db, settings, tmp_path, empty_database):
    sqlite_url = f"sqlite:///{tmp_path / 'small.db'}"
    assert booking(sqlite_url, tmp_path, "migrate").returncode == 0
    taken = booking(sqlite_url, tmp_path, "backup", "--to", str(tmp_path / "from-sqlite"))
    assert taken.returncode == 0, taken.stderr

    result = booking(empty_database, tmp_path, "restore", "--from", str(tmp_path / "from-sqlite"))

    assert result.returncode == 2 and "backup of a sqlite database" in result.stderr
    assert await table_names(empty_database, every_relation=True) == []
