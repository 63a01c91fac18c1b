"""The slypark package's URLs: Sly Park weeks, requests, bookings, rosters, families and scholarships.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.slypark.family_pages import FamilyFormController, FamilyLinksController
from booking.slypark.intake_pages import CabinLeaderSignUpController, IntakeController
from booking.slypark.pages import SlyParkController
from booking.slypark.roster_pages import SlyParkRosterController
from booking.slypark.scholarship_pages import ScholarshipPagesController, StaffScholarshipsController
from booking.slypark.staff_pages import StaffSlyParkController

router = Router(
    path="/",
    route_handlers=[
        StaffSlyParkController,
        SlyParkController,
        SlyParkRosterController,
        ScholarshipPagesController,
        StaffScholarshipsController,
        FamilyFormController,
        FamilyLinksController,
        CabinLeaderSignUpController,
        IntakeController,
    ],
)

# /slypark/bookings/{id}/... is served by four modules, /staff/slypark/... by three: the finer prefixes name them.
PREFIXES = {
    "/slypark": "booking.slypark.pages",
    "/slypark/bookings/{booking_id:int}/students": "booking.slypark.intake_pages",
    "/slypark/bookings/{booking_id:int}/cabin-leaders": "booking.slypark.intake_pages",
    "/slypark/cabin-leaders": "booking.slypark.intake_pages",
    "/slypark/bookings/{booking_id:int}/families": "booking.slypark.family_pages",
    "/families/{token:str}": "booking.slypark.family_pages",
    "/slypark/bookings/{booking_id:int}/scholarships": "booking.slypark.scholarship_pages",
    "/staff/slypark": "booking.slypark.staff_pages",
    "/staff/slypark/scholarships": "booking.slypark.scholarship_pages",
    "/staff/slypark/weeks": "booking.slypark.roster_pages",
}
