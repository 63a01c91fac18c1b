import os

from piccolo.conf.apps import AppConfig

from booking.accounts.tables import (
    ApiToken,
    AttemptThrottle,
    District,
    DistrictChange,
    DistrictSignInAttempt,
    DistrictSignInDomain,
    DistrictSignInIdentity,
    DistrictSignInProvider,
    EmailChange,
    OneTimeToken,
    School,
    User,
    UserSession,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        District,
        School,
        User,
        UserSession,
        ApiToken,
        OneTimeToken,
        AttemptThrottle,
        DistrictChange,
        DistrictSignInProvider,
        DistrictSignInDomain,
        DistrictSignInAttempt,
        DistrictSignInIdentity,
        EmailChange,
    ],
    migration_dependencies=[],
    commands=[],
)
