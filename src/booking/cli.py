"""The `booking` command. Exit 0 on success; bad input: one line on stderr and status 2.

Part of the composition root (it may import every package). Each command imports what it uses inside
its function, so `booking --help` or a backup does not load the whole app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import os
import sys
import time
import warnings
from pathlib import Path

from booking.errors import ConfigurationError, DomainError
from booking.settings import Settings, load_settings, use_settings


class CommandError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse prints its usage and the error on several lines; the contract wants one."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _database_problem(error: BaseException) -> str | None:
    """A one-line reason when the database named by BOOKING_DATABASE_URL cannot be used."""
    import sqlite3

    import asyncpg

    if isinstance(error, (OSError, asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError)):
        return f"cannot connect to the database in BOOKING_DATABASE_URL ({type(error).__name__}: {error})"
    if isinstance(error, (sqlite3.OperationalError, asyncpg.UndefinedTableError)) and (
        "no such table" in str(error) or "does not exist" in str(error)
    ):
        return f"the database is not migrated; run `booking migrate` first ({error})"
    if isinstance(error, sqlite3.OperationalError) and "unable to open" in str(error):
        return f"cannot open the SQLite database in BOOKING_DATABASE_URL ({error})"
    return None


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.database_kind == "sqlite":
        from booking.db import sqlite_path_from_url

        Path(sqlite_path_from_url(settings.database_url)).parent.mkdir(parents=True, exist_ok=True)


def _connect(settings: Settings) -> None:
    from booking.db import bind_engine, engine_from_url

    _ensure_sqlite_dir(settings)
    bind_engine(engine_from_url(settings.database_url))


async def migrate(settings: Settings) -> None:
    os.environ["PICCOLO_CONF"] = "booking.piccolo_conf"
    os.environ["BOOKING_DATABASE_URL"] = settings.database_url
    _connect(settings)
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from booking.accounts.reference_data import ensure_reference_districts
    from booking.db import current_engine, prepare_sqlite

    await prepare_sqlite(current_engine())
    before = await _applied_migrations()
    # piccolo's own report counts every migration as "already complete" and again as "not yet run"
    # on a new database; it is kept for a failure and replaced by our count otherwise.
    piccolo_output = io.StringIO()
    with contextlib.redirect_stdout(piccolo_output):
        result = await run_forwards(app_name="all")
    if not result.success:
        sys.stderr.write(piccolo_output.getvalue())
        raise CommandError(f"migration failed: {result.message}")
    after = await _applied_migrations()
    for app_name in sorted(after):
        applied_now = after[app_name] - before.get(app_name, 0)
        if applied_now:
            print(f"  {app_name}: {_count(applied_now, 'migration')} applied")
    applied = sum(after.values()) - sum(before.values())
    added = await ensure_reference_districts()
    print(
        f"Database is up to date ({settings.database_kind}): {_count(applied, 'migration')} applied now, "
        f"{sum(before.values())} applied before; {added} reference districts added."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


async def _applied_migrations() -> dict[str, int]:
    """How many migrations each app has recorded as applied (none before the first migrate)."""
    from piccolo.apps.migrations.tables import Migration

    if not await Migration.table_exists().run():
        return {}
    counts: dict[str, int] = {}
    for row in await Migration.select(Migration.app_name).run():
        counts[row["app_name"]] = counts.get(row["app_name"], 0) + 1
    return counts


async def demo(settings: Settings) -> None:
    _connect(settings)
    from booking.demo import DEMO_PASSWORD, load_demo_data

    sign_ins = await load_demo_data()
    print(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in sign_ins:
        print(f"  {role:<12} {email}")


async def user_create(settings: Settings, args: argparse.Namespace) -> None:
    _connect(settings)
    from booking.accounts.districts import find_district
    from booking.accounts.users import create_user

    if args.role == "coordinator" and not args.district:
        raise CommandError("--district is required for a coordinator")
    district_id = None
    if args.district:
        try:
            district_id = (await find_district(args.district))["id"]
        except DomainError as error:
            raise CommandError(error.message) from error
    user = await create_user(
        email=args.email, name=args.name, role=args.role, district_id=district_id, password=args.password
    )
    print(f"Created {user['role']} {user['email']} (id {user['id']})")


async def district_list(settings: Settings) -> None:
    _connect(settings)
    from booking.accounts.districts import list_districts

    for district in await list_districts():
        print(f"{district['code']}\t{district['name']}")


async def token_create(settings: Settings, args: argparse.Namespace) -> None:
    _connect(settings)
    from booking.accounts.api_tokens import create_api_token, user_id_for_email

    try:
        user_id = await user_id_for_email(args.email)
    except DomainError as error:
        raise CommandError(error.message) from error
    token = await create_api_token(user_id, args.label)
    print(f"API token for {args.email.strip().lower()} (shown once):")
    print(token)


async def sso(settings: Settings, args: argparse.Namespace) -> None:
    """`booking sso set|list|remove`: a district's OpenID Connect provider (CONTRACT.md, "District sign-in")."""
    _connect(settings)
    from booking.accounts.sign_in_providers import list_providers, remove_provider, set_provider

    if args.sso_command == "set":
        result = await set_provider(args.district, args.issuer, args.client_id, args.client_secret, args.domains)
        print(f"District {result['district']} signs in with {result['issuer']} for {', '.join(result['domains'])}.")
    elif args.sso_command == "list":
        for provider in await list_providers():
            print(f"{provider['code']}\t{provider['issuer']}\t{','.join(provider['domains'])}")
    elif args.sso_command == "remove":
        removed = await remove_provider(args.district)
        print(f"District sign-in {'removed' if removed else 'was not set'} for {args.district}.")


async def purge_student_data(settings: Settings, args: argparse.Namespace) -> None:
    _connect(settings)
    from booking.slypark.student_data_purge import purge_student_notes

    try:
        result = await purge_student_notes(args.older_than_days)
    except DomainError as error:
        raise CommandError(error.message) from error
    for line in result.lines():
        print(line)


async def worker(settings: Settings) -> None:
    _connect(settings)
    import signal

    import booking.periodic_jobs  # noqa: F401  (registers every package's periodic jobs for the worker)
    from booking.notifications.delivery import transport_from_settings
    from booking.notifications.worker import run_forever

    print("Worker delivering the outbox; Ctrl-C to stop.", flush=True)
    # systemd stops a service with SIGTERM: finish the pass and remove the heartbeat, as on Ctrl-C.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_forever(transport_from_settings(settings), stop=stop)


async def backup(settings: Settings, args: argparse.Namespace) -> None:
    from booking.ops.errors import BackupError
    from booking.ops.manual_backup import take_manual_backup

    try:
        result = await take_manual_backup(settings, Path(args.to))
    except BackupError as error:
        raise CommandError(str(error)) from error
    manifest = result.manifest
    print(
        f"Backed up the {manifest['engine']} database: {len(manifest['tables'])} tables, {result.rows} rows, "
        f"{result.size_bytes / 1_000_000:.1f} MB in {manifest['took_seconds']:.1f} s (schema {manifest['schema_version']})."
    )
    print(result.path)


async def restore(settings: Settings, args: argparse.Namespace) -> None:
    from booking.ops.errors import BackupError
    from booking.ops.restore import restore_backup

    _ensure_sqlite_dir(settings)
    started = time.monotonic()
    try:
        result = await restore_backup(settings.database_url, Path(args.source))
    except BackupError as error:
        raise CommandError(str(error)) from error
    print(
        f"Restored {result.tables} tables, {result.rows} rows, taken {result.manifest.get('created_at', '?')}; "
        f"every table matches the manifest ({time.monotonic() - started:.1f} s)."
    )
    if result.migrations_to_apply:
        print(
            f"This backup predates {len(result.migrations_to_apply)} migrations of this release: run `booking migrate` next."
        )


def base_url_for_serving(host: str, port: int) -> str:
    """The address a browser on this machine uses to reach `booking serve --host host --port port`."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # listening everywhere: this machine reaches it on the loopback
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


def settings_for_serving(settings: Settings, host: str, port: int) -> Settings:
    """Without BOOKING_BASE_URL, links in emails and the card-payment return address follow the port
    served (`make run PORT=8101`), rather than the default :8000 where nothing listens."""
    if os.environ.get("BOOKING_BASE_URL", "").strip():
        return settings
    base_url = base_url_for_serving(host, port)
    # Worker processes (--workers > 1) build their settings from the environment.
    os.environ["BOOKING_BASE_URL"] = base_url
    return dataclasses.replace(settings, base_url=base_url)


def serve(settings: Settings, args: argparse.Namespace) -> None:
    import shutil

    import uvicorn

    from booking.observability.logs import logging_config

    _ensure_sqlite_dir(settings)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several server processes: each keeps its counters in files here and /metrics adds them up.
        # Emptied at each start, as prometheus_client requires.
        metrics_dir = (settings.var_dir / "prometheus").absolute()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    uvicorn.run(
        "booking.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
        log_config=logging_config(),  # JSON lines; booking.requests replaces the access log
        access_log=False,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="booking", description="SCOE booking platform")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply all migrations and the reference data")
    commands.add_parser("demo", help="load the demo data if absent and print the demo sign-ins")
    serve_parser = commands.add_parser("serve", help="serve the app")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1)
    commands.add_parser("worker", help="deliver the outbox and timed notices")
    user = commands.add_parser("user", help="manage people").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["attendee", "coordinator", "staff", "finance", "admin"])
    create.add_argument("--district")
    create.add_argument("--password")
    district = commands.add_parser("district", help="districts").add_subparsers(dest="district_command", required=True)
    district.add_parser("list", help="one district a line: code, tab, name")
    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    token_create_parser = token.add_parser("create", help="print a new API token as the last line")
    token_create_parser.add_argument("--email", required=True)
    token_create_parser.add_argument("--label", default="Created from the command line")
    sso_commands = commands.add_parser("sso", help="district sign-in (OpenID Connect)").add_subparsers(
        dest="sso_command", required=True
    )
    sso_set = sso_commands.add_parser("set", help="connect a district to its provider (replaces its settings)")
    sso_set.add_argument("--district", required=True, metavar="CODE")
    sso_set.add_argument(
        "--issuer", required=True, metavar="URL", help="read by discovery: URL/.well-known/openid-configuration"
    )
    sso_set.add_argument("--client-id", required=True, metavar="ID")
    sso_set.add_argument("--client-secret", required=True, metavar="SECRET")
    sso_set.add_argument("--domains", required=True, metavar="D1[,D2...]", help="the email domains of the district")
    sso_commands.add_parser("list", help="one district a line: code, tab, issuer, tab, domains")
    sso_remove = sso_commands.add_parser("remove", help="disconnect a district")
    sso_remove.add_argument("--district", required=True, metavar="CODE")
    backup_parser = commands.add_parser("backup", help="a consistent backup with its manifest, while the app serves")
    backup_parser.add_argument("--to", required=True, metavar="PATH", help="a new directory for the backup")
    purge_parser = commands.add_parser(
        "purge-student-data", help="remove students' medical and dietary notes of Sly Park weeks that ended long ago"
    )
    purge_parser.add_argument(
        "--older-than-days",
        type=int,
        default=None,
        metavar="N",
        help="weeks that ended more than N days ago (default: BOOKING_STUDENT_DATA_RETENTION_DAYS, 60)",
    )
    restore_parser = commands.add_parser("restore", help="restore a backup into an empty database and verify it")
    restore_parser.add_argument("--from", dest="source", required=True, metavar="PATH", help="a backup directory")
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # piccolo warns on stderr when it cannot reach the database; we say it in one line below.
    warnings.filterwarnings("ignore", message=r".*Unable to (connect to database|fetch server version)")
    from booking.observability.logs import configure_logging

    # Long-running and operating commands log what they do; the others only what goes wrong.
    configure_logging("INFO" if args.command in ("worker", "backup", "restore") else "WARNING")
    try:
        settings = use_settings(load_settings())
        if args.command == "serve":
            if args.workers < 1 or not (0 < args.port < 65536):
                raise CommandError("--workers must be at least 1 and --port between 1 and 65535")
            settings = use_settings(settings_for_serving(settings, args.host, args.port))
            serve(settings, args)
            return 0
        if args.command == "migrate":
            asyncio.run(migrate(settings))
        elif args.command == "demo":
            asyncio.run(demo(settings))
        elif args.command == "worker":
            asyncio.run(worker(settings))
        elif args.command == "user":
            asyncio.run(user_create(settings, args))
        elif args.command == "district":
            asyncio.run(district_list(settings))
        elif args.command == "token":
            asyncio.run(token_create(settings, args))
        elif args.command == "sso":
            asyncio.run(sso(settings, args))
        elif args.command == "backup":
            asyncio.run(backup(settings, args))
        elif args.command == "restore":
            asyncio.run(restore(settings, args))
        elif args.command == "purge-student-data":
            asyncio.run(purge_student_data(settings, args))
    except (CommandError, ConfigurationError) as error:
        print(f"booking: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"booking: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        problem = _database_problem(error)
        if problem is None:
            raise
        print(f"booking: {problem}", file=sys.stderr)
        return 2
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
