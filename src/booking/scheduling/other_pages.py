"""Other packages' pages that scheduling's templates link to, until their handler names are on main.

Scheduling's templates build scheduling's own URLs with `url_for`. The pages below belong to packages
whose handlers are being named in the same change (issue 14). Until those names are on main, the
templates call `other_page(name, ...)` with the very name and path parameters `url_for` will take,
and the path is built here, in one place, instead of as a literal in a template. Once the names
land, `other_page(` becomes `url_for(` in the templates and this module goes.
"""

from __future__ import annotations

OTHER_PAGES = {
    "cohorts.my_applications": "/my/applications",
}


def other_page(name: str, **parameters: object) -> str:
    return OTHER_PAGES[name].format(**parameters)
