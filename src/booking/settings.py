"""Settings read once from BOOKING_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from booking.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///var/booking.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    base_url: str = DEFAULT_BASE_URL
    smtp_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    environment: str = "development"
    var_dir: Path = field(default_factory=lambda: Path("var"))
    # 0 disables the PostgreSQL pool (tests that share one engine across event loops).
    db_pool_size: int = 10
    run_worker_in_process: bool | None = None
    # Operating it: scheduled backups (taken by the worker), who may read /metrics.
    backup_dir: Path | None = None
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    metrics_token: str | None = None
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Students' medical and dietary notes are purged this many days after their Sly Park week ends.
    student_data_retention_days: int = 60

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def database_kind(self) -> str:
        return "postgresql" if self.database_url.startswith(("postgresql://", "postgres://")) else "sqlite"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def worker_in_process(self) -> bool:
        if self.run_worker_in_process is not None:
            return self.run_worker_in_process
        return self.database_kind == "sqlite"


def _dev_secret_key(var_dir: Path) -> str:
    """A development key kept under var/ so sessions survive restarts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def validate_database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if not parts.path or parts.path == "/":
            raise ConfigurationError(f"BOOKING_DATABASE_URL has no database path: {url!r}")
        return url
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname and not parts.path.strip("/"):
            raise ConfigurationError(f"BOOKING_DATABASE_URL has no host or database: {url!r}")
        return url
    raise ConfigurationError(f"BOOKING_DATABASE_URL must start with sqlite:/// or postgresql:// (got {url!r})")


def _whole_number(env, name: str, default: int) -> int:
    text = env.get(name, str(default)).strip()
    if not text.isascii() or not text.isdigit():
        raise ConfigurationError(f"{name} must be a whole number (got {text!r})")
    return int(text)


def parse_metrics_allow(text: str) -> tuple:
    """BOOKING_METRICS_ALLOW: addresses or networks, comma-separated (`127.0.0.1, 10.20.0.0/16, ::1`)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigurationError(f"BOOKING_METRICS_ALLOW: {item!r} is not an IP address or network") from None
    return tuple(networks)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    environment = env.get("BOOKING_ENV", "development").strip() or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"BOOKING_ENV must be one of {', '.join(ENVIRONMENTS)} (got {environment!r})")
    var_dir = Path(env.get("BOOKING_VAR_DIR", "var"))
    secret_key = env.get("BOOKING_SECRET_KEY", "").strip()
    if not secret_key:
        if environment == "production":
            raise ConfigurationError("BOOKING_SECRET_KEY is required when BOOKING_ENV=production")
        secret_key = _dev_secret_key(var_dir)
    if len(secret_key) < 32:
        raise ConfigurationError("BOOKING_SECRET_KEY must be at least 32 characters")
    base_url = env.get("BOOKING_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    pool = env.get("BOOKING_DB_POOL_SIZE", "10")
    if not pool.isdigit():
        raise ConfigurationError(f"BOOKING_DB_POOL_SIZE must be a whole number (got {pool!r})")
    smtp_url = env.get("BOOKING_SMTP_URL") or None
    if smtp_url and urlsplit(smtp_url).scheme not in ("smtp", "smtps"):
        raise ConfigurationError(
            f"BOOKING_SMTP_URL must be smtp://host:port or smtps://user:pw@host:port (got {smtp_url!r})"
        )
    metrics_token = env.get("BOOKING_METRICS_TOKEN", "").strip() or None
    if metrics_token is not None and len(metrics_token) < 16:
        raise ConfigurationError("BOOKING_METRICS_TOKEN must be at least 16 characters")
    backup_dir = env.get("BOOKING_BACKUP_DIR", "").strip()
    keep_daily = _whole_number(env, "BOOKING_BACKUP_KEEP_DAILY", 7)
    if keep_daily < 1:
        raise ConfigurationError("BOOKING_BACKUP_KEEP_DAILY must be at least 1 (the newest backup is always kept)")
    return Settings(
        database_url=validate_database_url(env.get("BOOKING_DATABASE_URL", DEFAULT_DATABASE_URL)),
        secret_key=secret_key,
        base_url=base_url,
        smtp_url=smtp_url,
        stripe_secret_key=env.get("BOOKING_STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=env.get("BOOKING_STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=env.get("BOOKING_STRIPE_API_BASE") or None,
        environment=environment,
        var_dir=var_dir,
        db_pool_size=int(pool),
        backup_dir=Path(backup_dir) if backup_dir else None,
        backup_keep_daily=keep_daily,
        backup_keep_weekly=_whole_number(env, "BOOKING_BACKUP_KEEP_WEEKLY", 4),
        metrics_token=metrics_token,
        metrics_allow=parse_metrics_allow(env.get("BOOKING_METRICS_ALLOW", "")),
        student_data_retention_days=_whole_number(env, "BOOKING_STUDENT_DATA_RETENTION_DAYS", 60),
    )


_current: Settings | None = None


def use_settings(settings: Settings) -> Settings:
    """Make `settings` the ones this process runs with (the app factory and the CLI call it)."""
    global _current
    _current = settings
    return settings


def current_settings() -> Settings:
    global _current
    if _current is None:
        _current = load_settings()
    return _current
