"""The coordinator's view of their district's people."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath

from booking.accounts.district_people import get_visible_person, list_people_of_my_district
from booking.accounts.districts import get_district
from booking.accounts.users import ROLE_LABELS
from booking.web.guards import roles
from booking.web.pages import page


class DistrictPeopleController(Controller):
    path = "/district/people"
    guards = [roles("coordinator")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> object:
        actor = request.scope["user"]
        return page(request, "accounts/district_people.html", district=await get_district(actor.district_id),
                    people=await list_people_of_my_district(actor), role_labels=ROLE_LABELS)

    @get("/{user_id:int}")
    async def show(self, request: Request, user_id: FromPath[int]) -> object:
        person = await get_visible_person(request.scope["user"], user_id)
        return page(request, "accounts/district_person.html", person=person, role_labels=ROLE_LABELS)
