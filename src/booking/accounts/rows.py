"""The people rows the accounts queries return: what a caller may read from them, by name and type.

Piccolo's selects return plain dicts; these TypedDicts say which keys a query's rows carry (they are the
same dicts, typed). A person's foreign keys are ids: `district`, `school`.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict


class PersonBrief(TypedDict):
    """Who a person is and where they belong: what moving them to another district needs
    (district_change.record_district_change). Every other people row here has these keys too."""

    id: int
    name: str
    email: str
    district: int | None
    school: int | None


class PersonAccessRow(PersonBrief):
    """A person's role and access, as the administrators' change of them reads it (user_admin.admin_update_user)."""

    role: str
    is_active: bool


class PersonRow(TypedDict):
    """A person, every column of `app_user` (`User.select()`): users.get_user, find_user_by_email, create_user."""

    id: int
    email: str  # stored lower-case
    name: str
    job_title: str
    role: str
    district: int | None
    school: int | None
    password_hash: str | None
    is_active: bool
    created_at: dt.datetime
    calendar_invites: bool
    email_confirmed_at: dt.datetime | None


class VisiblePersonRow(TypedDict):
    """A person as coordinators and the API see them (district_people.PERSON_COLUMNS): no password, with the
    names of their district and school."""

    id: int
    name: str
    email: str
    role: str
    job_title: str
    is_active: bool
    district: int | None
    school: int | None
    district_name: str | None
    school_name: str | None


class PersonListRow(TypedDict):
    """One line of the administrators' list of people (user_admin.search_users)."""

    id: int
    name: str
    email: str
    role: str
    job_title: str
    is_active: bool
    district_name: str | None
