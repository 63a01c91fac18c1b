import os

from piccolo.conf.apps import AppConfig

from booking.cohorts.tables import (
    ApplicationDocument,
    CohortApplication,
    CohortSettings,
    FieldworkEntry,
    MakeupAssignment,
    ProgramQuestion,
    TuitionInstalment,
)

APP_CONFIG = AppConfig(
    app_name="cohorts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        CohortSettings,
        ProgramQuestion,
        CohortApplication,
        ApplicationDocument,
        MakeupAssignment,
        TuitionInstalment,
        FieldworkEntry,
    ],
    migration_dependencies=[
        "booking.accounts.piccolo_app",
        "booking.catalog.piccolo_app",
        "booking.scheduling.piccolo_app",
    ],
    commands=[],
)
