from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:32:23:000000"
VERSION = "1.38.0"
DESCRIPTION = "Payments: the database enforces unique numbering, one live charge per source, and immutable issued documents"

# Piccolo's columns cannot express partial or composite unique indexes; both engines support them.
INDEXES = (
    "CREATE UNIQUE INDEX document_counter_kind_year ON document_counter (kind, fiscal_year)",
    "CREATE UNIQUE INDEX invoice_year_sequence ON invoice (fiscal_year, sequence)",
    "CREATE UNIQUE INDEX credit_note_year_sequence ON credit_note (fiscal_year, sequence)",
    "CREATE UNIQUE INDEX charge_line_one_live_per_source ON charge_line (source_kind, source_id) "
    "WHERE status IN ('open', 'invoiced')",
    "CREATE UNIQUE INDEX purchase_order_number_per_district ON purchase_order (district, number)",
    "CREATE UNIQUE INDEX payment_received_reference_once ON payment_received (district, method, reference) "
    "WHERE method IN ('check', 'ach')",
)
IMMUTABLE_TABLES = ("invoice", "invoice_line", "credit_note", "credit_note_line")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_indexes_and_triggers():
        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)
        if engine.engine_type == "postgres":
            await engine.run_ddl(
                "CREATE FUNCTION refuse_issued_document_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'issued documents are immutable: %', TG_TABLE_NAME; END; $$"
            )
            for table in IMMUTABLE_TABLES:
                await engine.run_ddl(
                    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_issued_document_change()"
                )
        else:
            for table in IMMUTABLE_TABLES:
                await engine.run_ddl(
                    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'issued documents are immutable: {table}'); END"
                )

    manager.add_raw(create_indexes_and_triggers)
    return manager
