"""Other packages' pages that Sly Park's templates link to.

Sly Park's templates build Sly Park's own URLs with `url_for`. The pages below belong to packages whose handlers
are being named in the same change (issue 14); until those names are on main, the URLs are built here, in one
place, instead of as literals in the templates. Each function names the handler it stands for: once that name
exists, the template calls `url_for('<that name>')` instead and the function goes.
"""

from __future__ import annotations


def staff_offerings() -> str:
    """catalog: the staff's list of offerings (`catalog.staff_offerings` on catalog's branch)."""
    return "/staff/offerings"
