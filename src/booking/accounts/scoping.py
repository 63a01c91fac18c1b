"""Authorization as data scoping: which people an actor may see, expressed in the query itself."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.tables import User


def visible_people(actor: Actor):
    """A where-clause for User rows `actor` may read.

    SCOE staff, finance and admin see everyone; a coordinator sees the people of their own
    district; anyone else sees only themself.
    """
    if actor.sees_all_districts:
        return User.id.is_not_null()
    if actor.is_coordinator and actor.district_id is not None:
        return User.district == actor.district_id
    return User.id == actor.id
