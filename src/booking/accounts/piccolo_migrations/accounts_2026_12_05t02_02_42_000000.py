from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T02:02:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "One account per identity at a provider: (issuer, subject) is unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_index():
        # Piccolo runs raw steps before its table changes, hence a migration of its own (after the table's).
        await engine_finder().run_ddl("CREATE UNIQUE INDEX district_sign_in_identity_issuer_subject "
                                      "ON district_sign_in_identity (issuer, subject)")

    manager.add_raw(create_index)
    return manager
