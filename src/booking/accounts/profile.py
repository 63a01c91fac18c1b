"""People keep their own profile: name, email (confirmed by a link: accounts/email_change.py), job title, school. Their district is shown, not edited here:
it changes only through accounts.district_change (an administrator, the joining district's coordinator, or
the district's sign-in), because the district pays for what the person bills to it."""

from __future__ import annotations

from booking.accounts import email_change
from booking.accounts.actor import Actor
from booking.accounts.district_change import HOW_TO_CHANGE
from booking.accounts.districts import check_school_in_district
from booking.accounts.tables import User
from booking.accounts.users import validate_email, validate_name
from booking.db import write_transaction
from booking.errors import InvalidInput

KEEP = object()  # the district as it is: the profile form no longer sends one


async def update_profile(
    actor: Actor,
    *,
    name: str,
    email: str,
    job_title: str,
    school_id: int | None,
    district_id: int | None | object = KEEP,
) -> str | None:
    """Saves name, job title and school. A different email is not saved but asked for: returns the address
    the confirmation link went to (None when the address is unchanged)."""
    errors: dict[str, str] = {}
    try:
        name = validate_name(name)
    except InvalidInput as error:
        errors.update(error.field_errors)
    try:
        email = validate_email(email)
    except InvalidInput as error:
        errors.update(error.field_errors)
    job_title = " ".join((job_title or "").split())
    if len(job_title) > 200:
        errors["job_title"] = "Use at most 200 characters."
    current = await User.select(User.district, User.email).where(User.id == actor.id).first()
    if district_id is not KEEP and district_id != current["district"]:
        # A form that still sends another district (an old page, a crafted request) changes nothing.
        errors["district"] = (
            "Ask an administrator to change the district you coordinate." if actor.is_coordinator else HOW_TO_CHANGE
        )
    if errors:
        raise InvalidInput(errors)
    district_id = current["district"]
    await check_school_in_district(school_id, district_id)
    async with write_transaction():
        await User.update({User.name: name, User.job_title: job_title, User.school: school_id}).where(
            User.id == actor.id
        )
        if email == current["email"]:
            await email_change.cancel_email_change(actor.id)  # typed back the address they have: nothing waits
            return None
        # A new address is only asked for: it becomes the account's when the link sent there is opened.
        await email_change.request_email_change(actor.id, email)
    return email


async def set_calendar_invites(actor: Actor, wanted: bool) -> None:
    """Whether new confirmations carry a calendar invite; seats already invited keep getting their updates."""
    await User.update({User.calendar_invites: wanted}).where(User.id == actor.id)
