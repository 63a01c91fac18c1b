"""Other packages' pages that catalog's templates link to.

Catalog's templates build catalog's own URLs with `url_for`. The pages below belong to packages whose handlers are
being named in the same change (issue 14); until those names are on main, the URLs are built here, in one place,
instead of as literals in the templates. Each function names the handler it stands for: once that name exists,
the template calls `url_for('<that name>', ...)` instead and the function goes.
"""

from __future__ import annotations


def registration(registration_id: int) -> str:
    """scheduling: MyLearningController.show."""
    return f"/my/learning/{registration_id}"


def registration_cancel_form(registration_id: int) -> str:
    """scheduling: MyLearningController.confirm_cancel."""
    return f"/my/learning/{registration_id}/cancel"


def register(offering_id: int) -> str:
    """scheduling: RegistrationPagesController.register."""
    return f"/workshops/{offering_id}/register"


def roster(offering_id: int) -> str:
    """scheduling: StaffRosterController.roster_page."""
    return f"/staff/offerings/{offering_id}/roster"


def calendar_feeds() -> str:
    """scheduling: CalendarFeedPagesController.show."""
    return "/account/calendar"


def cohort(offering_id: int) -> str:
    """cohorts: a cohort's public page."""
    return f"/cohorts/{offering_id}"


def staff_cohorts() -> str:
    """cohorts: the staff's list of cohort programs."""
    return "/staff/cohorts"
