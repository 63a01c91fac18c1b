"""Administrators: find people, create accounts, change roles, districts and access."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery

from booking.accounts import user_admin
from booking.accounts.districts import list_districts, list_schools
from booking.accounts.forms import NewPersonForm, PersonAccessForm
from booking.accounts.tables import ROLES
from booking.accounts.users import ROLE_LABELS, create_user, get_user
from booking.errors import InvalidInput
from booking.web.forms import read_form
from booking.web.guards import SignedInActor, admin_only
from booking.web.pages import page, page_or_fragment, redirect

NEW_PERSON_FIELDS = ("email", "name", "role", "job_title", "district", "school")


def _person_url(request: Request, user_id: int) -> str:
    return request.app.route_reverse("accounts.admin_user", user_id=user_id)


async def _choices() -> dict:
    return {
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "districts": await list_districts(),
        "schools": await list_schools(),
    }


class PeopleAdminController(Controller):
    path = "/admin/users"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="accounts.admin_users")
    async def index(
        self,
        request: Request,
        actor: SignedInActor,
        q: FromQuery[str] = "",
        role: FromQuery[str] = "",
        page_number: FromQuery[int] = 1,
    ) -> object:
        if role and role not in ROLES:
            role = ""
        people, total = await user_admin.search_users(actor, text=q[:200], role=role, page=page_number)
        return page_or_fragment(
            request,
            "accounts/admin_users.html",
            "accounts/_user_rows.html",
            people=people,
            total=total,
            q=q[:200],
            role=role,
            page_number=max(1, page_number),
            page_size=user_admin.PAGE_SIZE,
            **await _choices(),
        )

    @get("/new", name="accounts.admin_user_new")
    async def new_form(self, request: Request) -> object:
        # Every field the template shows, empty: the templates refuse undefined names (StrictUndefined).
        return page(
            request,
            "accounts/admin_user_new.html",
            form=dict.fromkeys(NEW_PERSON_FIELDS, ""),
            errors={},
            **await _choices(),
        )

    @post("/new", name="accounts.admin_user_create")
    async def create(self, request: Request) -> object:
        entry: NewPersonForm | None = None
        try:
            entry = await read_form(request, NewPersonForm)
            user = await create_user(
                email=entry.email,
                name=entry.name,
                role=entry.role,
                job_title=entry.job_title,
                district_id=entry.district,
                school_id=entry.school,
            )
        except InvalidInput as error:
            # What was typed is shown back (empty when the form itself was malformed, e.g. an id not from the list).
            shown = msgspec.structs.asdict(entry) if entry else dict.fromkeys(NEW_PERSON_FIELDS, "")
            return page(
                request,
                "accounts/admin_user_new.html",
                status=422,
                form=shown,
                errors=error.field_errors,
                **await _choices(),
            )
        return redirect(request, _person_url(request, user["id"]), notice="user-created")

    @get("/{user_id:int}", name="accounts.admin_user")
    async def edit_form(self, request: Request, user_id: FromPath[int]) -> object:
        return page(
            request, "accounts/admin_user_edit.html", person=await get_user(user_id), errors={}, **await _choices()
        )

    @post("/{user_id:int}", name="accounts.admin_user_save")
    async def save(self, request: Request, actor: SignedInActor, user_id: FromPath[int]) -> object:
        person = await get_user(user_id)
        try:
            entry = await read_form(request, PersonAccessForm)
            await user_admin.admin_update_user(
                actor,
                user_id,
                role=entry.role,
                district_id=entry.district,
                school_id=entry.school,
                is_active=entry.is_active,
            )
        except InvalidInput as error:
            return page(
                request,
                "accounts/admin_user_edit.html",
                status=422,
                person=person,
                errors=error.field_errors,
                **await _choices(),
            )
        return redirect(request, _person_url(request, user_id), notice="user-saved")
