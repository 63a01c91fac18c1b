"""District settings: a coordinator's own district (/district/settings) and every district for admins
(/admin/districts). The use case (booking.accounts.district_settings) decides who changes what."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts.actor import Actor
from booking.accounts.district_settings import (
    FIELD_WORDS,
    SettingsForm,
    district_for_settings,
    editable_fields,
    update_district_settings,
)
from booking.accounts.districts import list_districts
from booking.accounts.forms import AdminDistrictSettingsForm, CoordinatorDistrictSettingsForm
from booking.errors import InvalidInput
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, admin_only, roles
from booking.web.pages import page, redirect


def _form_values(district: dict) -> dict[str, str]:
    values = {field: district[field] for field in FIELD_WORDS}
    for field in ("requires_supervisor_approval", "is_member"):
        values[field] = "yes" if district[field] else "no"
    return values


def _own_settings_url(request: Request) -> str:
    return request.app.route_reverse("accounts.district_settings")


def _district_url(request: Request, district_id: int) -> str:
    return request.app.route_reverse("accounts.admin_district", district_id=district_id)


async def _settings_page(
    request: Request,
    actor: Actor,
    district_id: int,
    *,
    action: str,
    back: str | None,
    status: int = 200,
    values: dict | None = None,
    errors: dict | None = None,
) -> object:
    district = await district_for_settings(actor, district_id)
    return page(
        request,
        "accounts/district_settings.html",
        status=status,
        district=district,
        action=action,
        back=back,
        values=values or _form_values(district),
        errors=errors or {},
        fields=editable_fields(actor),
    )


async def _save(
    request: Request, actor: Actor, district_id: int, *, action: str, back: str | None, done: str
) -> object:
    # The fields this person may change: an administrator's form has the member rate and the address too.
    form = AdminDistrictSettingsForm if actor.is_admin else CoordinatorDistrictSettingsForm
    submitted = msgspec.structs.asdict(await read_form(request, form))
    try:
        await update_district_settings(actor, district_id, SettingsForm(submitted))
    except InvalidInput as error:
        district = await district_for_settings(actor, district_id)
        return await _settings_page(
            request,
            actor,
            district_id,
            action=action,
            back=back,
            status=422,
            values={**_form_values(district), **submitted},
            errors=error.field_errors,
        )
    return redirect(request, done, notice="district-settings-saved")


class DistrictSettingsController(Controller):
    """A coordinator's own district."""

    path = "/district/settings"
    guards = [roles("coordinator")]
    include_in_schema = False

    @get("/", name="accounts.district_settings")
    async def show(self, request: Request, actor: SignedInActor) -> object:
        return await _settings_page(request, actor, actor.district_id, action=_own_settings_url(request), back=None)

    @post("/", name="accounts.district_settings_save")
    async def save(self, request: Request, actor: SignedInActor) -> object:
        return await _save(
            request,
            actor,
            actor.district_id,
            action=_own_settings_url(request),
            back=None,
            done=_own_settings_url(request),
        )


class DistrictAdminController(Controller):
    """Administrators: every district."""

    path = "/admin/districts"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="accounts.admin_districts")
    async def index(self, request: Request) -> object:
        return page(request, "accounts/admin_districts.html", districts=await list_districts(include_inactive=True))

    @get("/{district_id:int}", name="accounts.admin_district")
    async def show(self, request: Request, actor: SignedInActor, district_id: FromPath[int]) -> object:
        return await _settings_page(
            request,
            actor,
            district_id,
            action=_district_url(request, district_id),
            back=request.app.route_reverse("accounts.admin_districts"),
        )

    @post("/{district_id:int}", name="accounts.admin_district_save")
    async def save(self, request: Request, actor: SignedInActor, district_id: FromPath[int]) -> object:
        return await _save(
            request,
            actor,
            district_id,
            action=_district_url(request, district_id),
            back=request.app.route_reverse("accounts.admin_districts"),
            done=_district_url(request, district_id),
        )
