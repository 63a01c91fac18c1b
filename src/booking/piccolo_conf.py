"""Piccolo's configuration: the engine chosen from BOOKING_DATABASE_URL, and the apps.

Only piccolo's own commands (migrations) read this module's DB; the running app binds
its engine explicitly through `booking.db.bind_engine`.
"""

import os

from piccolo.conf.apps import AppRegistry

from booking.db import engine_from_url
from booking.settings import DEFAULT_DATABASE_URL

DB = engine_from_url(os.environ.get("BOOKING_DATABASE_URL", DEFAULT_DATABASE_URL))

APP_REGISTRY = AppRegistry(
    apps=[
        "booking.accounts.piccolo_app",
        "booking.notifications.piccolo_app",
        "booking.catalog.piccolo_app",
        "booking.scheduling.piccolo_app",
        "booking.cohorts.piccolo_app",
        "booking.slypark.piccolo_app",
        "booking.payments.piccolo_app",
        "booking.ops.piccolo_app",
        "booking.audit.piccolo_app",
    ]
)
