import os

from piccolo.conf.apps import AppConfig

from booking.slypark.scholarship_tables import ScholarshipCharge, ScholarshipFund, ScholarshipRequest
from booking.slypark.tables import (
    AllocationRun,
    Booking,
    BookingCharge,
    BookingEvent,
    CabinLeader,
    FamilyForm,
    FamilyLink,
    Season,
    Student,
    Week,
    WeekRequest,
)

APP_CONFIG = AppConfig(
    app_name="slypark",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Season,
        Week,
        WeekRequest,
        AllocationRun,
        Booking,
        BookingEvent,
        CabinLeader,
        Student,
        BookingCharge,
        ScholarshipFund,
        ScholarshipRequest,
        ScholarshipCharge,
        FamilyLink,
        FamilyForm,
    ],
    migration_dependencies=["booking.accounts.piccolo_app"],
    commands=[],
)
