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

router = Router(path="/", route_handlers=[
    StaffSlyParkController,
    SlyParkController,
    SlyParkRosterController,
    ScholarshipPagesController,
    StaffScholarshipsController,
    FamilyFormController,
    FamilyLinksController,
    CabinLeaderSignUpController,
    IntakeController,
])
