"""The home page and the health check."""

from __future__ import annotations

from litestar import Controller, Request, get

from booking.db import database_kind, ping
from booking.web.guards import OptionalActor
from booking.web.homes import home_sections
from booking.web.pages import page


class HomeController(Controller):
    include_in_schema = False

    @get("/", name="web.home")
    async def home(self, request: Request, actor: OptionalActor) -> object:
        sections = await home_sections(actor) if actor is not None else []
        return page(request, "home.html", sections=sections)

    @get("/healthz", name="web.healthz", cache_control=None)
    async def healthz(self) -> dict:
        await ping()
        return {"status": "ok", "database": database_kind()}
