"""A person's district changes only by someone who answers for it.

The district is who pays what the person bills to "my district", so a person cannot move themself
(their /account shows the district read-only and says how to change it). Three ways, one function:
- an administrator moves anyone (`via="admin"`, from the people admin);
- a coordinator brings a person into their own district (`via="coordinator"`): that district then answers
  for what the person bills to it. A coordinator never moves someone out of, or into, another district;
- the district's own sign-in (accounts/district_sign_in.py) calls `join_district_from_sign_in`; a person who
  signs in that way is not moved by coordinators (their district is the provider's).

The change never moves existing charges: charge lines keep their district, and a seat confirmed before the
change is billed to the district of that time (billing reads `DistrictChange`). Both districts'
coordinators are told by email, through the outbox, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from booking.accounts.actor import Actor
from booking.accounts.rows import PersonBrief, PersonRow
from booking.accounts.tables import District, DistrictChange, DistrictSignInIdentity, User
from booking.accounts.users import validate_email
from booking.clock import utc_now
from booking.db import lock_rows_for_update, write_transaction
from booking.errors import Conflict, Forbidden, InvalidInput, NotFound
from booking.notifications.outbox import enqueue_email

VIAS = ("admin", "coordinator", "district_sign_in")
FROM_SIGN_IN = (
    "You sign in with your district's account, so your district comes from it. If it is wrong, ask "
    "SCOE's administrators."
)
HOW_TO_CHANGE = (
    "Your district decides what can be billed to it, so you cannot change it here. A coordinator of the "
    "district you are joining can add you to it, or ask SCOE's administrators."
)


async def record_district_change(
    user: PersonBrief, to_district: int | None, *, via: str, changed_by: int | None, now: dt.datetime
) -> bool:
    """Move `user` (a locked row) to `to_district` inside the caller's transaction; False when nothing changes.

    Every path that changes a district comes through here, so each change is recorded and both sides told."""
    if via not in VIAS:
        raise ValueError(f"unknown way to change a district: {via!r}")
    from_district = user["district"]
    if from_district == to_district:
        return False
    updates = {User.district: to_district}
    if to_district is not None and user.get("school") is not None:
        # A school belongs to one district: the person's school stays behind with the old district.
        updates[User.school] = None
    await User.update(updates).where(User.id == user["id"])
    await DistrictChange.insert(
        DistrictChange(
            user=user["id"],
            from_district=from_district,
            to_district=to_district,
            via=via,
            changed_by=changed_by,
            changed_at=now,
        )
    )
    await _tell_coordinators(user, from_district, to_district, via, changed_by)
    return True


async def _tell_coordinators(
    user: PersonBrief, from_district: int | None, to_district: int | None, via: str, changed_by: int | None
) -> None:
    ids = [district for district in (from_district, to_district) if district is not None]
    if not ids:
        return
    names = {
        row["id"]: row["name"]
        for row in await District.select(District.id, District.name).where(District.id.is_in(ids))
    }
    by = await User.select(User.name).where(User.id == changed_by).first() if changed_by else None
    coordinators = (
        await User.select(User.email, User.name, User.district)
        .where(
            (User.role == "coordinator") & User.district.is_in(ids) & (User.is_active == True) & (User.id != user["id"])
        )
        .order_by(User.id)
    )
    for coordinator in coordinators:
        await enqueue_email(
            coordinator["email"],
            "district_changed",
            {
                "name": coordinator["name"],
                "person": user["name"],
                "person_email": user["email"],
                "from_name": names.get(from_district, "no district"),
                "to_name": names.get(to_district, "no district"),
                "joining": coordinator["district"] == to_district,
                "via": via,
                "by": by["name"] if by else None,
            },
        )


async def signs_in_with_district(user_id: int) -> bool:
    """Whether the person signs in through their district's provider (their district then comes from it)."""
    return await DistrictSignInIdentity.exists().where(DistrictSignInIdentity.user == user_id)


async def _locked_user(user_id: int) -> PersonRow:
    await lock_rows_for_update(User, User.id == user_id)
    user = await User.select().where(User.id == user_id).first()
    if user is None:
        raise NotFound("No such person.")
    return cast(PersonRow, user)


async def bring_into_my_district(actor: Actor, email: str, now: dt.datetime | None = None) -> PersonRow:
    """A coordinator adds an existing person (found by email) to the district they coordinate."""
    if not actor.is_coordinator or actor.district_id is None:
        raise Forbidden("Only a district's coordinators add people to it.")
    email = validate_email(email)
    now = now or utc_now()
    async with write_transaction():
        found = await User.select(User.id).where(User.email == email).first()
        if found is None:
            # Saying "no account" reveals no more than the registration form does; nothing is changed.
            raise InvalidInput(
                {
                    "email": "Nobody has an account with that email address. Register them for a "
                    "workshop instead: a new person you register joins your district."
                }
            )
        user = await _locked_user(found["id"])
        if user["role"] != "attendee":
            raise Conflict(
                "Only teachers and other staff who attend workshops can be added here. Ask SCOE's "
                "administrators to move a coordinator or SCOE staff.",
                code="not_an_attendee",
            )
        if not user["is_active"]:
            raise Conflict("That account is deactivated.", code="inactive_account")
        if user["district"] == actor.district_id:
            raise Conflict(f"{user['name']} is already in your district.", code="already_in_district")
        if await signs_in_with_district(user["id"]):
            # Their district's own sign-in says where they belong, and would move them back at their next sign-in.
            raise Conflict(
                f"{user['name']} signs in with their district's account, so their district comes from that "
                "account. Ask SCOE's administrators if it is wrong.",
                code="district_from_sign_in",
            )
        await record_district_change(user, actor.district_id, via="coordinator", changed_by=actor.id, now=now)
    return {**user, "district": actor.district_id}


async def join_district_from_sign_in(user_id: int, district_id: int, now: dt.datetime | None = None) -> bool:
    """The hook for the district's sign-in: a person who signs in through district X's provider belongs to X.

    The district vouches for the person by its own sign-in, so no coordinator needs to act. Returns whether
    the district changed."""
    async with write_transaction():
        if not await District.exists().where(District.id == district_id):
            raise NotFound("No such district.")
        user = await _locked_user(user_id)
        return await record_district_change(
            user, district_id, via="district_sign_in", changed_by=None, now=now or utc_now()
        )
