"""People: validation, creation and lookup."""

from __future__ import annotations

import re
from typing import cast

from booking.accounts.districts import check_school_in_district
from booking.accounts.passwords import hashed, validate_new_password
from booking.accounts.rows import PersonRow
from booking.accounts.tables import ROLES, District, User
from booking.db import fetch_sql, write_transaction
from booking.errors import Conflict, InvalidInput, NotFound

_EMAIL = re.compile(
    r"^[^@\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)

ROLE_LABELS = {
    "attendee": "Attendee (teacher, para-educator, staff member)",
    "coordinator": "District coordinator",
    "staff": "SCOE program staff",
    "finance": "SCOE finance",
    "admin": "Administrator",
}


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str, field: str = "email") -> str:
    email = normalize_email(email)
    if not email:
        raise InvalidInput({field: "Enter an email address."})
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput({field: "Enter an email address like name@district.org."})
    return email


def validate_name(name: str, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput({field: "Enter a name."})
    if len(name) > 200:
        raise InvalidInput({field: "Use at most 200 characters."})
    return name


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput({"role": f"Choose one of: {', '.join(ROLES)}."})
    return role


async def validate_role_district(role: str, district_id: int | None) -> None:
    if role == "coordinator" and district_id is None:
        raise InvalidInput({"district": "A district coordinator needs a district."})
    if district_id is not None and not await District.exists().where(District.id == district_id):
        raise InvalidInput({"district": "Choose a district from the list."})


async def create_user(
    *,
    email: str,
    name: str,
    role: str = "attendee",
    district_id: int | None = None,
    school_id: int | None = None,
    job_title: str = "",
    password: str | None = None,
) -> PersonRow:
    errors: dict[str, str] = {}
    for check in (
        lambda: validate_email(email),
        lambda: validate_name(name),
        lambda: validate_role(role),
        lambda: validate_new_password(password) if password is not None else None,
    ):
        try:
            check()
        except InvalidInput as error:
            errors.update(error.field_errors)
    if errors:
        raise InvalidInput(errors)
    email = validate_email(email)
    await validate_role_district(role, district_id)
    await check_school_in_district(school_id, district_id)
    password_hash = await hashed(password) if password else None  # outside the transaction: see passwords.py
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise Conflict(f"An account with the email {email} already exists.", code="email_taken")
        row = User(
            email=email,
            name=validate_name(name),
            role=role,
            district=district_id,
            school=school_id,
            job_title=job_title.strip()[:200],
            password_hash=password_hash,
        )
        await row.save()
    return await get_user(row.id)


async def get_user(user_id: int) -> PersonRow:
    # Written out: every registration reads its person (see accounts.actor.PERSON_COLUMNS_SQL for why).
    rows = await fetch_sql("SELECT * FROM app_user WHERE id = {}", user_id)
    if not rows:
        raise NotFound("No such person.")
    return cast(PersonRow, rows[0])


async def find_user_by_email(email: str) -> PersonRow | None:
    return cast("PersonRow | None", await User.select().where(User.email == normalize_email(email)).first())


async def mark_email_confirmed(user_id: int, now) -> None:
    """The person just used a link we sent to their current address (a sign-in link, a password reset), or
    their district's sign-in vouched for it: the address is proven theirs. Runs in the caller's transaction."""
    await User.update({User.email_confirmed_at: now}).where((User.id == user_id) & User.email_confirmed_at.is_null())
