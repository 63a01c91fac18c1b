"""The cohorts package's URLs: Leadership Institute cohorts, applications, progress and supervisors.

`router` is what the app mounts; `PREFIXES` names the module that serves each URL prefix (the longest
matching prefix wins), and tests/test_route_map.py holds both to the app's real routes.
"""

from __future__ import annotations

from litestar import Router

from booking.cohorts.pages import CohortPagesController, MyApplicationsController
from booking.cohorts.progress_pages import CohortProgressController, CompletionLetterController
from booking.cohorts.staff_pages import ProgramQuestionsController, StaffCohortsController
from booking.cohorts.supervisor_pages import SupervisorPagesController

router = Router(
    path="/",
    route_handlers=[
        CohortProgressController,
        CompletionLetterController,
        CohortPagesController,
        MyApplicationsController,
        SupervisorPagesController,
        ProgramQuestionsController,
        StaffCohortsController,
    ],
)

PREFIXES = {
    "/cohorts": "booking.cohorts.pages",
    "/cohorts/supervisor": "booking.cohorts.supervisor_pages",
    "/my/applications": "booking.cohorts.pages",
    "/my/applications/{application_id:int}/completion-letter.pdf": "booking.cohorts.progress_pages",
    "/staff/cohorts": "booking.cohorts.staff_pages",
    "/staff/cohorts/{cohort_id:int}/progress": "booking.cohorts.progress_pages",
    "/staff/programs": "booking.cohorts.staff_pages",
}
