"""Districts and schools: lookup for forms, the CLI and scoping."""

from __future__ import annotations

from booking.accounts.tables import District, School
from booking.db import fetch_sql
from booking.errors import InvalidInput, NotFound


async def list_districts(include_inactive: bool = False) -> list[dict]:
    query = District.select().order_by(District.name)
    if not include_inactive:
        query = query.where(District.is_active == True)
    return await query


async def find_district(code_or_name: str) -> dict:
    """A district by its short code or exact name, case-insensitively."""
    wanted = code_or_name.strip()
    if not wanted:
        raise NotFound("No district named.")
    for district in await District.select():
        if district["code"].lower() == wanted.lower() or district["name"].lower() == wanted.lower():
            return district
    raise NotFound(f"No district with code or name {code_or_name!r}. See `booking district list`.")


async def get_district(district_id: int) -> dict:
    # Written out: every registration of a district's person reads it (see accounts.actor.PERSON_COLUMNS_SQL).
    rows = await fetch_sql("SELECT * FROM district WHERE id = {}", district_id)
    if not rows:
        raise NotFound("No such district.")
    return rows[0]


async def list_schools(district_id: int | None = None) -> list[dict]:
    query = School.select(School.all_columns(), School.district.name.as_alias("district_name")).order_by(School.name)
    if district_id is not None:
        query = query.where(School.district == district_id)
    return await query


async def check_school_in_district(school_id: int | None, district_id: int | None, field: str = "school") -> None:
    if school_id is None:
        return
    school = await School.select(School.district).where(School.id == school_id).first()
    if school is None:
        raise InvalidInput({field: "Choose a school from the list."})
    if district_id is None or school["district"] != district_id:
        raise InvalidInput({field: "That school is not in the chosen district."})
