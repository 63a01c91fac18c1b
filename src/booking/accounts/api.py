"""JSON API: who am I, and the districts."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath

from booking.accounts.district_people import get_visible_person
from booking.accounts.districts import list_districts
from booking.accounts.schemas import DistrictOut, MeOut, PersonOut
from booking.web.guards import SignedInActor, signed_in
from booking.web.problem import problem_responses


class AccountsApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get(
        "/me",
        name="accounts.api_me",
        guards=[signed_in],
        summary="The token's owner",
        responses=problem_responses(401, 422),
    )
    async def me(self, actor: SignedInActor) -> MeOut:
        return MeOut(actor.id, actor.email, actor.name, actor.role, actor.district_id, actor.school_id)

    @get(
        "/districts",
        name="accounts.api_districts",
        summary="Districts, charters and agencies that book and pay",
        responses=problem_responses(401, 422),
    )
    async def districts(self) -> list[DistrictOut]:
        return [DistrictOut(d["id"], d["code"], d["name"], d["county"], d["is_member"]) for d in await list_districts()]

    @get(
        "/people/{person_id:int}",
        name="accounts.api_person",
        guards=[signed_in],
        summary="A person the caller may see",
        responses=problem_responses(400, 401, 404, 422),
    )
    async def person(self, actor: SignedInActor, person_id: FromPath[int]) -> PersonOut:
        """Staff, finance and admin see anyone; a coordinator their district; others themself. Else 404."""
        row = await get_visible_person(actor, person_id)
        return PersonOut(
            row["id"], row["email"], row["name"], row["role"], row["job_title"], row["district"], row["school"]
        )
