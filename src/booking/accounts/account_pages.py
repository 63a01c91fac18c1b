"""A person's own account: profile, password, API tokens."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts import api_tokens, email_change, password_reset, profile
from booking.accounts.district_change import FROM_SIGN_IN, signs_in_with_district
from booking.accounts.districts import get_district, list_schools
from booking.accounts.users import get_user
from booking.errors import Conflict, DomainError, InvalidInput
from booking.web.auth import SESSION_COOKIE
from booking.web.forms import optional_id, text
from booking.web.guards import signed_in
from booking.web.pages import page, page_or_fragment, redirect


async def _district_name(district_id: int | None) -> str | None:
    if district_id is None:
        return None
    row = await get_district(district_id)
    return row["name"] if row else None


async def _account_context(request: Request, **overrides) -> dict:
    actor = request.scope["user"]
    user = await get_user(actor.id)
    context = {
        "user": user,
        "schools": await list_schools(user["district"]) if user["district"] else [],
        "tokens": await api_tokens.list_api_tokens(actor),
        "profile_errors": {},
        "password_errors": {},
        "token_errors": {},
        "new_token": None,
        "district_name": await _district_name(user["district"]),
        "how_to_change_district": (FROM_SIGN_IN if await signs_in_with_district(actor.id) else profile.HOW_TO_CHANGE),
        "pending_email": await email_change.pending_email_change(actor.id),
    }
    context.update(overrides)
    return context


class AccountController(Controller):
    path = "/account"
    guards = [signed_in]
    include_in_schema = False

    @get("/", name="accounts.account")
    async def show(self, request: Request) -> object:
        return page(request, "accounts/account.html", **await _account_context(request))

    @post("/", name="accounts.account_save")
    async def save_profile(self, request: Request) -> object:
        form = await request.form()
        actor = request.scope["user"]
        submitted = {
            "name": text(form, "name", 300),
            "email": text(form, "email", 300),
            "job_title": text(form, "job_title", 300),
        }
        try:
            # The district is read-only here; a form that still sends one is checked (and refused if it differs).
            district = {"district_id": optional_id(form, "district")} if "district" in form else {}
            link_sent_to = await profile.update_profile(actor, **submitted, school_id=optional_id(form, "school"), **district)
        except InvalidInput as error:
            context = await _account_context(request, profile_errors=error.field_errors)
            context["user"] = {**context["user"], **submitted}
            return page(request, "accounts/account.html", status=422, **context)
        except Conflict as error:
            context = await _account_context(request, profile_errors={"email": error.message})
            context["user"] = {**context["user"], **submitted}
            return page(request, "accounts/account.html", status=409, **context)
        return redirect(request, "/account", notice="email-change-sent" if link_sent_to else "profile-saved")

    @post("/email/cancel", name="accounts.email_change_cancel")
    async def cancel_email_change(self, request: Request) -> object:
        await email_change.cancel_email_change(request.scope["user"].id)
        return redirect(request, "/account", notice="email-change-cancelled")

    @post("/password", name="accounts.password_change")
    async def change_password(self, request: Request) -> object:
        form = await request.form()
        try:
            await password_reset.change_password(
                request.scope["user"].id,
                text(form, "current_password", 300),
                text(form, "new_password", 300),
                text(form, "confirmation", 300),
                keep_session_token=request.cookies.get(SESSION_COOKIE),
            )
        except InvalidInput as error:
            return page(request, "accounts/account.html", status=422,
                        **await _account_context(request, password_errors=error.field_errors))
        return redirect(request, "/account", notice="password-changed")

    @post("/tokens", name="accounts.token_create")
    async def create_token(self, request: Request) -> object:
        form = await request.form()
        try:
            token = await api_tokens.create_api_token(request.scope["user"].id, text(form, "label", 300))
        except InvalidInput as error:
            return page_or_fragment(request, "accounts/account.html", "accounts/_tokens.html", status=422,
                                    **await _account_context(request, token_errors=error.field_errors))
        # The token is shown once, in this response only; we keep just its hash.
        return page_or_fragment(request, "accounts/account.html", "accounts/_tokens.html",
                                **await _account_context(request, new_token=token))

    @post("/tokens/{token_id:int}/revoke", name="accounts.token_revoke")
    async def revoke_token(self, request: Request, token_id: FromPath[int]) -> object:
        await api_tokens.revoke_api_token(request.scope["user"], token_id)
        return page_or_fragment(request, "accounts/account.html", "accounts/_tokens.html", **await _account_context(request))


class EmailConfirmationController(Controller):
    """The link sent to a new address. No sign-in needed: the link itself proves the mailbox."""

    path = "/account/email/confirm"
    include_in_schema = False

    @get("/{token:str}", name="accounts.email_confirm")
    async def landing(self, request: Request, token: FromPath[str]) -> object:
        # A GET never uses the link: mail scanners that prefetch links must not change anyone's address.
        return page(request, "accounts/email_confirm.html", token=token)

    @post("/{token:str}", name="accounts.email_confirm_use")
    async def confirm(self, request: Request, token: FromPath[str]) -> object:
        try:
            await email_change.confirm_email_change(token)
        except DomainError as error:
            return page(request, "accounts/email_confirm.html", status=error.status_hint, token=None, form_error=error.message)
        signed_in = request.scope.get("user") is not None
        return redirect(request, "/account" if signed_in else "/sign-in", notice="email-changed")
