"""The accounts package's URLs: sign-in, accounts, people, districts and their settings, the API's accounts.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.accounts.account_pages import AccountController, EmailConfirmationController
from booking.accounts.admin_pages import PeopleAdminController
from booking.accounts.api import AccountsApi
from booking.accounts.controllers import PasswordResetController, SignInController
from booking.accounts.district_pages import DistrictPeopleController
from booking.accounts.district_settings_pages import DistrictAdminController, DistrictSettingsController
from booking.accounts.district_sign_in_pages import DistrictSignInController
from booking.accounts.sign_in_provider_pages import SignInProvidersController

router = Router(
    path="/",
    route_handlers=[
        AccountController,
        EmailConfirmationController,
        PeopleAdminController,
        AccountsApi,
        PasswordResetController,
        SignInController,
        DistrictSignInController,
        SignInProvidersController,
        DistrictPeopleController,
        DistrictAdminController,
        DistrictSettingsController,
    ],
)

# /account/calendar is the scheduling package's (its routes.py declares it); /api/v1 is shared, each package declaring
# its own resources under it.
PREFIXES = {
    "/sign-in": "booking.accounts.controllers",
    "/sign-in/sso": "booking.accounts.district_sign_in_pages",
    "/sign-out": "booking.accounts.controllers",
    "/password": "booking.accounts.controllers",
    "/account": "booking.accounts.account_pages",
    "/admin/users": "booking.accounts.admin_pages",
    "/admin/districts": "booking.accounts.district_settings_pages",
    "/admin/sign-in": "booking.accounts.sign_in_provider_pages",
    "/district/people": "booking.accounts.district_pages",
    "/district/settings": "booking.accounts.district_settings_pages",
    "/api/v1/me": "booking.accounts.api",
    "/api/v1/districts": "booking.accounts.api",
    "/api/v1/people": "booking.accounts.api",
}
