"""The coordinator's view of their district's people."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.accounts.district_change import bring_into_my_district
from booking.accounts.district_people import get_visible_person, list_people_of_my_district
from booking.accounts.districts import get_district
from booking.accounts.forms import DistrictPersonForm
from booking.accounts.users import ROLE_LABELS
from booking.errors import Conflict, InvalidInput
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, roles
from booking.web.pages import page, redirect


class DistrictPeopleController(Controller):
    path = "/district/people"
    guards = [roles("coordinator")]
    include_in_schema = False

    async def _index(self, request: Request, actor: Actor, *, status: int = 200, **form) -> object:
        notice = (
            "The person is now in your district; both districts' coordinators are told by email."
            if (request.query_params.get("notice") == "person-added")
            else None
        )
        return page(
            request,
            "accounts/district_people.html",
            status=status,
            district=await get_district(actor.district_id),
            people=await list_people_of_my_district(actor),
            role_labels=ROLE_LABELS,
            add_values=form.get("values", {}),
            add_errors=form.get("errors", {}),
            add_error=form.get("error"),
            **({"notice": notice} if notice else {}),
        )

    @get("/", name="accounts.district_people")
    async def index(self, request: Request, actor: SignedInActor) -> object:
        return await self._index(request, actor)

    @post("/add", name="accounts.district_person_add")
    async def add_person(self, request: Request, actor: SignedInActor) -> object:
        """Bring a person with an account into this district: the district then pays what they bill to it."""
        values = {"email": (await read_form(request, DistrictPersonForm)).email}
        try:
            await bring_into_my_district(actor, values["email"])
        except InvalidInput as error:
            return await self._index(request, actor, status=422, values=values, errors=error.field_errors)
        except Conflict as error:
            return await self._index(request, actor, status=409, values=values, error=error.message)
        return redirect(request, request.app.route_reverse("accounts.district_people"), notice="person-added")

    @get("/{user_id:int}", name="accounts.district_person")
    async def show(self, request: Request, actor: SignedInActor, user_id: FromPath[int]) -> object:
        person = await get_visible_person(actor, user_id)
        return page(request, "accounts/district_person.html", person=person, role_labels=ROLE_LABELS)
