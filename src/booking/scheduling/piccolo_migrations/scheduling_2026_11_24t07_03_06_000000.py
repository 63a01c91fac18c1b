from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T07:03:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "At most one live registration per person and offering, enforced by the database"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def create_partial_unique_index():
        # Both engines support partial indexes; piccolo's columns cannot express one.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX registration_one_active_per_person "
            "ON registration (offering, attendee) WHERE status <> 'cancelled'"
        )

    manager.add_raw(create_partial_unique_index)
    return manager
