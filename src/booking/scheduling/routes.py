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

router = Router(
    path="/",
    route_handlers=[
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
    ],
)

# /workshops, /staff/offerings and /api/v1/offerings themselves are catalog's; these finer prefixes are scheduling's.
PREFIXES = {
    "/workshops/{offering_id:int}/register": "booking.scheduling.pages",
    "/workshops/{offering_id:int}/register-others": "booking.scheduling.pages",
    "/my/learning": "booking.scheduling.pages",
    "/api/v1/offerings/{offering_id:int}/registrations": "booking.scheduling.api",
    "/api/v1/offerings/{offering_id:int}/roster": "booking.scheduling.api",
    "/api/v1/registrations": "booking.scheduling.api",
    "/district/approvals": "booking.scheduling.approval_pages",
    "/check-in": "booking.scheduling.check_in_pages",
    "/staff/offerings/{offering_id:int}/attendance/{session_id:int}/door": "booking.scheduling.check_in_pages",
    "/staff/offerings/{offering_id:int}/roster": "booking.scheduling.staff_pages",
    "/staff/offerings/{offering_id:int}/complete": "booking.scheduling.staff_pages",
    "/staff/offerings/{offering_id:int}/waitlist": "booking.scheduling.staff_pages",
    "/staff/offerings/{offering_id:int}/attendance": "booking.scheduling.staff_pages",
    "/staff/offerings/{offering_id:int}/email": "booking.scheduling.staff_pages",
    "/staff/offerings/{offering_id:int}/exports": "booking.scheduling.staff_pages",
    "/account/calendar": "booking.scheduling.feed_pages",
    "/calendar": "booking.scheduling.feed_file",
    "/my/transcript": "booking.scheduling.transcript_pages",
    "/my/transcript.pdf": "booking.scheduling.transcript_pages",
    "/my/certificates": "booking.scheduling.transcript_pages",
    "/certificates": "booking.scheduling.transcript_pages",
}
