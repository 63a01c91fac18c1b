"""The people rows' TypedDicts (accounts/rows.py) name exactly the keys the accounts queries return."""

from __future__ import annotations

from booking.accounts.actor import Actor
from booking.accounts.district_change import bring_into_my_district
from booking.accounts.district_people import get_visible_person, list_people_of_my_district
from booking.accounts.rows import PersonListRow, PersonRow, VisiblePersonRow
from booking.accounts.user_admin import search_users
from booking.accounts.users import find_user_by_email, get_user
from tests.factories import make_user


async def test_the_people_rows_have_the_keys_their_typeddicts_name(client):
    admin = Actor.from_row(await make_user("admin"))
    coordinator = Actor.from_row(await make_user("coordinator", district="EGUSD"))
    person = await make_user("attendee")

    assert set(await get_user(person["id"])) == set(PersonRow.__required_keys__)
    assert set(await find_user_by_email(person["email"])) == set(PersonRow.__required_keys__)
    assert set(await bring_into_my_district(coordinator, person["email"])) == set(PersonRow.__required_keys__)
    assert set(await get_visible_person(admin, person["id"])) == set(VisiblePersonRow.__required_keys__)
    assert {frozenset(row) for row in await list_people_of_my_district(coordinator)} == {
        frozenset(VisiblePersonRow.__required_keys__)
    }
    rows, _ = await search_users(admin)
    assert {frozenset(row) for row in rows} == {frozenset(PersonListRow.__required_keys__)}
