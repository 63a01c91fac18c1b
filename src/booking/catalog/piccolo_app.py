import os

from piccolo.conf.apps import AppConfig

from booking.catalog.tables import (
    Offering,
    OfferingFacilitator,
    OfferingSession,
    Program,
    Room,
    ScheduleOverride,
    Venue,
)

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Program, Venue, Room, Offering, OfferingFacilitator, OfferingSession, ScheduleOverride],
    migration_dependencies=["booking.accounts.piccolo_app"],
    commands=[],
)
