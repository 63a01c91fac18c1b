"""The scheduling package's URLs: registrations, rosters, approvals, check-in, transcripts and calendar feeds.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.scheduling.api import RegistrationsApi
from booking.scheduling.approval_pages import ApprovalsController
from booking.scheduling.check_in_pages import CheckInController, DoorScreenController
from booking.scheduling.feed_file import CalendarFeedController
from booking.scheduling.feed_pages import CalendarFeedPagesController
from booking.scheduling.pages import MyLearningController, RegistrationPagesController
from booking.scheduling.staff_pages import StaffRosterController
from booking.scheduling.transcript_pages import CertificateVerifyController, TranscriptController

router = Router(path="/", route_handlers=[
    CalendarFeedController,
    CalendarFeedPagesController,
    ApprovalsController,
    MyLearningController,
    RegistrationPagesController,
    RegistrationsApi,
    StaffRosterController,
    CheckInController,
    DoorScreenController,
    CertificateVerifyController,
    TranscriptController,
])
