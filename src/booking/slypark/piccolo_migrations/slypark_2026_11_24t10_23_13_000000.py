from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T10:23:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "At most one live week request per school and season, enforced by the database"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="slypark", description=DESCRIPTION)

    async def create_partial_unique_index():
        # Both engines support partial indexes; piccolo's columns cannot express one.
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX slypark_request_one_live_per_school "
            "ON slypark_request (season, school) WHERE status <> 'withdrawn'"
        )

    manager.add_raw(create_partial_unique_index)
    return manager
