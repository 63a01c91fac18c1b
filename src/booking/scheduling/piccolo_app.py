import os

from piccolo.conf.apps import AppConfig

from booking.scheduling.tables import Attendance, CalendarFeed, OfferingMessage, Registration, RegistrationEvent

APP_CONFIG = AppConfig(
    app_name="scheduling",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Registration, RegistrationEvent, Attendance, CalendarFeed, OfferingMessage],
    migration_dependencies=["booking.accounts.piccolo_app", "booking.catalog.piccolo_app"],
    commands=[],
)
