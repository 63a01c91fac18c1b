"""JSON API: who am I, and the districts."""

from __future__ import annotations

from litestar import Controller, Request, get

from booking.accounts.districts import list_districts
from booking.accounts.schemas import DistrictOut, MeOut
from booking.web.guards import signed_in


class AccountsApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get("/me", guards=[signed_in], summary="The token's owner")
    async def me(self, request: Request) -> MeOut:
        actor = request.scope["user"]
        return MeOut(actor.id, actor.email, actor.name, actor.role, actor.district_id, actor.school_id)

    @get("/districts", summary="Districts, charters and agencies that book and pay")
    async def districts(self) -> list[DistrictOut]:
        return [DistrictOut(d["id"], d["code"], d["name"], d["county"], d["is_member"]) for d in await list_districts()]
