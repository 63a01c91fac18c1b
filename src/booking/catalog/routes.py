"""The catalog package's URLs: the workshop catalog, offerings and venues for staff, calendar files.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.catalog.api import OfferingsApi
from booking.catalog.calendar_file import CalendarFileController
from booking.catalog.pages import CatalogPagesController
from booking.catalog.staff_pages import StaffOfferingsController, StaffVenuesController

router = Router(
    path="/",
    route_handlers=[
        OfferingsApi,
        CalendarFileController,
        CatalogPagesController,
        StaffOfferingsController,
        StaffVenuesController,
    ],
)

# Scheduling serves finer URLs under two of these (/workshops/{id}/register..., /staff/offerings/{id}/roster,
# /attendance, /email, /exports..., /api/v1/offerings/{id}/registrations and /roster) and declares those prefixes
# itself: the longest matching prefix wins.
PREFIXES = {
    "/workshops": "booking.catalog.pages",
    "/staff/offerings": "booking.catalog.staff_pages",
    "/staff/venues": "booking.catalog.staff_pages",
    "/offerings/{file_name:str}": "booking.catalog.calendar_file",
    "/api/v1/offerings": "booking.catalog.api",
}
