"""Administrators: find people, create accounts, change roles, districts and access."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, FromPath

from booking.accounts import user_admin
from booking.accounts.districts import list_districts, list_schools
from booking.accounts.tables import ROLES
from booking.accounts.users import ROLE_LABELS, create_user, get_user
from booking.errors import InvalidInput
from booking.web.forms import checkbox, optional_id, text
from booking.web.guards import admin_only
from booking.web.pages import page, page_or_fragment, redirect


NEW_PERSON_FIELDS = ("email", "name", "role", "job_title", "district", "school")


async def _choices() -> dict:
    return {"roles": ROLES, "role_labels": ROLE_LABELS, "districts": await list_districts(), "schools": await list_schools()}


class PeopleAdminController(Controller):
    path = "/admin/users"
    guards = [admin_only]
    include_in_schema = False

    @get("/", name="accounts.admin_users")
    async def index(
        self, request: Request, q: FromQuery[str] = "", role: FromQuery[str] = "", page_number: FromQuery[int] = 1
    ) -> object:
        actor = request.scope["user"]
        if role and role not in ROLES:
            role = ""
        people, total = await user_admin.search_users(actor, text=q[:200], role=role, page=page_number)
        return page_or_fragment(
            request, "accounts/admin_users.html", "accounts/_user_rows.html",
            people=people, total=total, q=q[:200], role=role, page_number=max(1, page_number),
            page_size=user_admin.PAGE_SIZE, **await _choices(),
        )

    @get("/new", name="accounts.admin_user_new")
    async def new_form(self, request: Request) -> object:
        # Every field the template shows, empty: the templates refuse undefined names (StrictUndefined).
        return page(request, "accounts/admin_user_new.html", form=dict.fromkeys(NEW_PERSON_FIELDS, ""), errors={},
                    **await _choices())

    @post("/new", name="accounts.admin_user_create")
    async def create(self, request: Request) -> object:
        form = await request.form()
        submitted = {k: text(form, k, 300) for k in ("email", "name", "role", "job_title")}
        try:
            user = await create_user(
                email=submitted["email"], name=submitted["name"], role=submitted["role"],
                job_title=submitted["job_title"], district_id=optional_id(form, "district"),
                school_id=optional_id(form, "school"),
            )
        except InvalidInput as error:
            return page(request, "accounts/admin_user_new.html", status=422,
                        form={**submitted, "district": form.get("district"), "school": form.get("school")},
                        errors=error.field_errors, **await _choices())
        return redirect(request, f"/admin/users/{user['id']}", notice="user-created")

    @get("/{user_id:int}", name="accounts.admin_user")
    async def edit_form(self, request: Request, user_id: FromPath[int]) -> object:
        return page(request, "accounts/admin_user_edit.html", person=await get_user(user_id), errors={}, **await _choices())

    @post("/{user_id:int}", name="accounts.admin_user_save")
    async def save(self, request: Request, user_id: FromPath[int]) -> object:
        form = await request.form()
        person = await get_user(user_id)
        try:
            await user_admin.admin_update_user(
                request.scope["user"], user_id, role=text(form, "role", 40),
                district_id=optional_id(form, "district"), school_id=optional_id(form, "school"),
                is_active=checkbox(form, "is_active"),
            )
        except InvalidInput as error:
            return page(request, "accounts/admin_user_edit.html", status=422, person=person, errors=error.field_errors,
                        **await _choices())
        return redirect(request, f"/admin/users/{user_id}", notice="user-saved")
