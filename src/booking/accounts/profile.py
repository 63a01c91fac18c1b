"""People keep their own profile: name, email, job title, district, school."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.districts import check_school_in_district
from booking.accounts.tables import District, User
from booking.accounts.users import validate_email, validate_name
from booking.db import write_transaction
from booking.errors import Conflict, InvalidInput


async def update_profile(
    actor: Actor, *, name: str, email: str, job_title: str, district_id: int | None, school_id: int | None
) -> None:
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
    if actor.is_coordinator and district_id != actor.district_id:
        # A coordinator's district is what they coordinate; only an admin moves it.
        errors["district"] = "Ask an administrator to change the district you coordinate."
    if errors:
        raise InvalidInput(errors)
    if district_id is not None and not await District.exists().where(District.id == district_id):
        raise InvalidInput({"district": "Choose a district from the list."})
    await check_school_in_district(school_id, district_id)
    async with write_transaction():
        if await User.exists().where((User.email == email) & (User.id != actor.id)):
            raise Conflict("Another account already uses that email address.", code="email_taken")
        await User.update(
            {
                User.name: name,
                User.email: email,
                User.job_title: job_title,
                User.district: district_id,
                User.school: school_id,
            }
        ).where(User.id == actor.id)


async def set_calendar_invites(actor: Actor, wanted: bool) -> None:
    """Whether new confirmations carry a calendar invite; seats already invited keep getting their updates."""
    await User.update({User.calendar_invites: wanted}).where(User.id == actor.id)
