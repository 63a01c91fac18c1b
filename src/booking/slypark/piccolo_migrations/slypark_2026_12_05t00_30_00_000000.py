from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Sly Park: the database refuses a week that shares a night with another week (of any season)"

# A backstop for the use case (slypark.seasons.check_calendar_free, under its calendar lock), which gives the
# clear message. The trigger judges only the row being written: weeks that already overlap in an existing
# database (the old demo data had the week of Jan 11, 2027 in two seasons) are left as they are, so this
# migration never fails on them; moving such a week's dates, or adding another overlapping week, is refused.
# Changing only a week's beds or closing it is not affected ("UPDATE OF starts_on, ends_on").
POSTGRES_FUNCTION = """
CREATE FUNCTION refuse_overlapping_slypark_week() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE other_season text;
BEGIN
  SELECT s.name INTO other_season FROM slypark_week w JOIN slypark_season s ON s.id = w.season
  WHERE w.id <> NEW.id AND w.starts_on <= NEW.ends_on AND w.ends_on >= NEW.starts_on LIMIT 1;
  IF other_season IS NOT NULL THEN
    RAISE EXCEPTION 'Sly Park weeks cannot overlap: the week of % overlaps a week of %', NEW.starts_on, other_season;
  END IF;
  RETURN NEW;
END; $$
"""
SQLITE_CHECK = ("WHEN EXISTS (SELECT 1 FROM slypark_week w WHERE w.id <> NEW.id "
                "AND w.starts_on <= NEW.ends_on AND w.ends_on >= NEW.starts_on) "
                "BEGIN SELECT RAISE(ABORT, 'Sly Park weeks cannot overlap'); END")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="slypark", description=DESCRIPTION)

    async def create_triggers():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            await engine.run_ddl(POSTGRES_FUNCTION)
            await engine.run_ddl(
                "CREATE TRIGGER slypark_week_no_overlap BEFORE INSERT OR UPDATE OF starts_on, ends_on ON slypark_week "
                "FOR EACH ROW EXECUTE FUNCTION refuse_overlapping_slypark_week()")
        else:
            # NEW.id is NULL before an INSERT picks its rowid; "w.id <> NULL" would hide every clash, hence two triggers.
            await engine.run_ddl(
                "CREATE TRIGGER slypark_week_no_overlap_insert BEFORE INSERT ON slypark_week "
                "WHEN EXISTS (SELECT 1 FROM slypark_week w WHERE w.starts_on <= NEW.ends_on AND w.ends_on >= NEW.starts_on) "
                "BEGIN SELECT RAISE(ABORT, 'Sly Park weeks cannot overlap'); END")
            await engine.run_ddl(
                "CREATE TRIGGER slypark_week_no_overlap_update BEFORE UPDATE OF starts_on, ends_on ON slypark_week "
                + SQLITE_CHECK)

    manager.add_raw(create_triggers)
    return manager
