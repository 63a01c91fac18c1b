"""Settings are read once from BOOKING_* variables and refuse nonsense at start-up."""

from __future__ import annotations

import pytest

from booking.errors import ConfigurationError
from booking.settings import load_settings

GOOD_KEY = "k" * 40


def test_defaults_are_a_development_sqlite_setup(tmp_path):
    settings = load_settings({"BOOKING_VAR_DIR": str(tmp_path)})
    assert settings.database_url == "sqlite:///var/booking.db"
    assert settings.database_kind == "sqlite"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert not settings.is_production
    assert settings.worker_in_process
    # The development key is kept under var/ so sessions survive a restart.
    assert load_settings({"BOOKING_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigurationError, match="BOOKING_SECRET_KEY is required"):
        load_settings({"BOOKING_ENV": "production", "BOOKING_VAR_DIR": str(tmp_path)})
    assert load_settings({"BOOKING_ENV": "production", "BOOKING_SECRET_KEY": GOOD_KEY}).is_production


@pytest.mark.parametrize(
    "env, message",
    [
        ({"BOOKING_DATABASE_URL": "mysql://x/y"}, "must start with"),
        ({"BOOKING_DATABASE_URL": "sqlite:///"}, "no database path"),
        ({"BOOKING_ENV": "staging"}, "BOOKING_ENV must be one of"),
        ({"BOOKING_SECRET_KEY": "short"}, "at least 32"),
        ({"BOOKING_SMTP_URL": "http://mail"}, "BOOKING_SMTP_URL"),
        ({"BOOKING_DB_POOL_SIZE": "many"}, "whole number"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"BOOKING_SECRET_KEY": GOOD_KEY, **env})


def test_postgres_url_selects_postgres_and_an_external_worker():
    settings = load_settings(
        {
            "BOOKING_SECRET_KEY": GOOD_KEY,
            "BOOKING_DATABASE_URL": "postgresql://u:p@db:5432/booking",
            "BOOKING_BASE_URL": "https://pd.scoe.net/",
        }
    )
    assert settings.database_kind == "postgresql"
    assert not settings.worker_in_process
    assert settings.base_url == "https://pd.scoe.net"


def test_operating_settings_are_read_and_checked(tmp_path):
    base = {"BOOKING_SECRET_KEY": GOOD_KEY, "BOOKING_VAR_DIR": str(tmp_path)}
    settings = load_settings(
        {
            **base,
            "BOOKING_BACKUP_DIR": "/var/backups/booking",
            "BOOKING_BACKUP_KEEP_DAILY": "3",
            "BOOKING_METRICS_TOKEN": "t" * 16,
            "BOOKING_METRICS_ALLOW": " 10.20.0.5, 10.30.0.0/16 ,::1",
        }
    )
    assert (str(settings.backup_dir), settings.backup_keep_daily, settings.backup_keep_weekly) == (
        "/var/backups/booking",
        3,
        4,
    )
    assert [str(n) for n in settings.metrics_allow] == ["10.20.0.5/32", "10.30.0.0/16", "::1/128"]
    unset = load_settings(base)
    assert (unset.backup_dir, unset.metrics_token, unset.metrics_allow) == (None, None, ())
    for env, message in (
        ({"BOOKING_METRICS_ALLOW": "10.0.0.0/8, intranet"}, "'intranet' is not an IP address"),
        ({"BOOKING_METRICS_TOKEN": "short"}, "at least 16"),
        ({"BOOKING_BACKUP_KEEP_DAILY": "0"}, "at least 1"),
        ({"BOOKING_BACKUP_KEEP_WEEKLY": "-1"}, "whole number"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            load_settings({**base, **env})
