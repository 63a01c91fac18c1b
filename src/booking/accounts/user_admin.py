"""Administrators manage people and their roles."""

from __future__ import annotations

from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.district_change import record_district_change
from booking.accounts.districts import check_school_in_district
from booking.accounts.rows import PersonAccessRow, PersonListRow
from booking.accounts.sessions import end_all_sessions
from booking.accounts.tables import User
from booking.accounts.users import validate_role, validate_role_district
from booking.audit.trail import record_by
from booking.clock import utc_now
from booking.db import contains_text, lock_rows_for_update, write_transaction
from booking.errors import InvalidInput, NotFound

PAGE_SIZE = 50


def _require_admin(actor: Actor) -> None:
    actor.require("admin", "Only administrators manage people and roles.")


async def search_users(
    actor: Actor, *, text: str = "", role: str = "", page: int = 1
) -> tuple[list[PersonListRow], int]:
    _require_admin(actor)
    query = User.select(
        User.id,
        User.name,
        User.email,
        User.role,
        User.job_title,
        User.is_active,
        User.district.name.as_alias("district_name"),
    )
    count = User.count()
    conditions = []
    text = text.strip()
    if text:
        conditions.append(contains_text(User.name, text) | contains_text(User.email, text))
    if role:
        validate_role(role)
        conditions.append(User.role == role)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    page = max(1, page)
    rows = await query.order_by(User.name).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return cast(list[PersonListRow], rows), await count


async def admin_update_user(
    actor: Actor, user_id: int, *, role: str, district_id: int | None, school_id: int | None, is_active: bool
) -> None:
    _require_admin(actor)
    validate_role(role)
    await validate_role_district(role, district_id)
    await check_school_in_district(school_id, district_id)
    if user_id == actor.id and (role != "admin" or not is_active):
        raise InvalidInput({"role": "You cannot remove your own administrator role or deactivate yourself."})
    async with write_transaction():
        # Lock every admin row too: two admins demoting each other at once must not leave none.
        await lock_rows_for_update(User, (User.id == user_id) | (User.role == "admin"))
        user = cast(
            "PersonAccessRow | None",
            await User.select(User.id, User.name, User.email, User.role, User.district, User.school, User.is_active)
            .where(User.id == user_id)
            .first(),
        )
        if user is None:
            raise NotFound("No such person.")
        if user["role"] == "admin" and (role != "admin" or not is_active):
            admins = await User.count().where((User.role == "admin") & (User.is_active == True))
            if admins <= 1:
                raise InvalidInput({"role": "The platform must keep at least one active administrator."})
        # A district change is recorded (billing keeps earlier seats with the old district) and both districts told.
        await record_district_change(user, district_id, via="admin", changed_by=actor.id, now=utc_now())
        await User.update({User.role: role, User.school: school_id, User.is_active: is_active}).where(
            User.id == user_id
        )
        before = {
            "role": user["role"],
            "district": user["district"],
            "school": user["school"],
            "active": user["is_active"],
        }
        after = {"role": role, "district": district_id, "school": school_id, "active": is_active}
        if before != after:
            await record_by(
                actor,
                "user.role_changed",
                subject=f"person {user_id} ({user['email']})",
                district_id=district_id if district_id is not None else user["district"],
                detail={name: [before[name], after[name]] for name in before if before[name] != after[name]},
            )
        if not is_active:
            # Roles are read on every request; a deactivated person is also signed out everywhere.
            await end_all_sessions(user_id)
