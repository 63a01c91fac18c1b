import os

from piccolo.conf.apps import AppConfig

from booking.ops.tables import BackupRun

APP_CONFIG = AppConfig(
    app_name="ops",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[BackupRun],
    migration_dependencies=[],
    commands=[],
)
