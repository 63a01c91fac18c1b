"""Other packages' pages that the cohorts templates link to.

The cohorts templates build the cohorts package's own URLs, and those of packages already on the route map,
with `url_for`. The pages below belong to scheduling, whose handlers are being named in the same change
(issue 14); until those names are on main, the URLs are built here, in one place, instead of as literals in the
templates. Each function names the handler it stands for: once that name exists, the template calls
`url_for('<that name>', ...)` instead and the function goes.
"""

from __future__ import annotations


def calendar_feeds() -> str:
    """scheduling: CalendarFeedPagesController.show (`scheduling.calendar_feeds` on scheduling's branch)."""
    return "/account/calendar"


def my_learning() -> str:
    """scheduling: MyLearningController.index (`scheduling.my_learning`)."""
    return "/my/learning"


def roster(offering_id: int) -> str:
    """scheduling: StaffRosterController.roster_page (`scheduling.roster`)."""
    return f"/staff/offerings/{offering_id}/roster"


def attendance(offering_id: int) -> str:
    """scheduling: StaffRosterController.sheet (`scheduling.attendance`)."""
    return f"/staff/offerings/{offering_id}/attendance"
