"""Coordinators see the people of their district (to register them, later to book for them)."""

from __future__ import annotations

from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.rows import VisiblePersonRow
from booking.accounts.scoping import visible_people
from booking.accounts.tables import User
from booking.errors import NotFound

PERSON_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.role,
    User.job_title,
    User.is_active,
    User.district,
    User.school,
    User.district.name.as_alias("district_name"),
    User.school.name.as_alias("school_name"),
)


async def list_people_of_my_district(actor: Actor) -> list[VisiblePersonRow]:
    query = User.select(*PERSON_COLUMNS).where(visible_people(actor)).order_by(User.name)
    if actor.district_id is not None:
        query = query.where(User.district == actor.district_id)
    return cast(list[VisiblePersonRow], await query)


async def get_visible_person(actor: Actor, user_id: int) -> VisiblePersonRow:
    """404 — not 403 — for anyone outside the actor's scope, so ids reveal nothing."""
    row = await User.select(*PERSON_COLUMNS).where((User.id == user_id) & visible_people(actor)).first()
    if row is None:
        raise NotFound("No such person.")
    return cast(VisiblePersonRow, row)
