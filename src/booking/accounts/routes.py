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

router = Router(path="/", route_handlers=[
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
])
