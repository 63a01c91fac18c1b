"""Which migrations this release ships, and which a database has applied (piccolo's `migration` table)."""

from __future__ import annotations

import functools

MIGRATION_TABLE = "migration"  # piccolo's record of applied migrations


@functools.lru_cache(maxsize=1)
def shipped_migrations() -> frozenset[str]:
    """ "app:id" for every migration in this release."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    from booking.piccolo_conf import APP_REGISTRY  # here: importing piccolo_conf chooses the engine from the settings

    manager = BaseMigrationManager()
    shipped = set()
    for app_name, app_config in APP_REGISTRY.app_configs.items():
        for migration_id in manager.get_migration_modules(app_config.resolved_migrations_folder_path):
            shipped.add(f"{app_name}:{migration_id}")
    return frozenset(shipped)


def migration_names(rows) -> list[str]:
    """Rows of (app_name, name) -> sorted "app:id"."""
    return sorted(f"{app}:{name}" for app, name in rows)


def schema_version(migrations: list[str]) -> str:
    """The newest migration id applied (ids are timestamps), e.g. "2026-12-04T20:41:16:213851"; "" if none."""
    return max((m.split(":", 1)[1] for m in migrations), default="")
