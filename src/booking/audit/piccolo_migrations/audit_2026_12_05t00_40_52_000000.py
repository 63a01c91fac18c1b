from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T00:40:52:000000"
VERSION = "1.38.0"
DESCRIPTION = "The audit trail is append-only: the database refuses UPDATE and DELETE of its rows"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            await engine.run_ddl(
                "CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP; END; $$"
            )
            await engine.run_ddl("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()")
        else:
            for operation in ("UPDATE", "DELETE"):
                await engine.run_ddl(
                    f"CREATE TRIGGER audit_entry_no_{operation.lower()} BEFORE {operation} ON audit_entry "
                    f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: {operation} refused'); END"
                )

    manager.add_raw(create_triggers)
    return manager
