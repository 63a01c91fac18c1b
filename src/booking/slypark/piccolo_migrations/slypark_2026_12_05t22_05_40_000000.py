from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T22:05:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "Sly Park scholarships: the fund pays an award once; a booking has at most one request waiting for staff"

# Backstops for the use cases (slypark.scholarships), which give the clear messages. A separate migration
# because a migration's raw steps run before its add_table steps.
INDEXES = (
    "CREATE UNIQUE INDEX slypark_scholarship_charge_one_live ON slypark_scholarship_charge (request) "
    "WHERE status <> 'cancelled'",
    "CREATE UNIQUE INDEX slypark_scholarship_request_one_asked ON slypark_scholarship_request (booking) "
    "WHERE status = 'asked'",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="slypark", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
