"""A person's own account: profile, password, API tokens."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from booking.accounts import api_tokens, email_change, password_reset, profile
from booking.accounts.actor import Actor
from booking.accounts.district_change import FROM_SIGN_IN, signs_in_with_district
from booking.accounts.districts import get_district, list_schools
from booking.accounts.forms import ApiTokenForm, PasswordChangeForm, ProfileForm
from booking.accounts.users import get_user
from booking.errors import Conflict, DomainError, InvalidInput
from booking.web.auth import SESSION_COOKIE
from booking.web.forms import optional_id, read_form
from booking.web.guards import OptionalActor, SignedInActor, signed_in
from booking.web.pages import page, page_or_fragment, redirect


def _account_url(request: Request) -> str:
    return request.app.route_reverse("accounts.account")


async def _district_name(district_id: int | None) -> str | None:
    if district_id is None:
        return None
    row = await get_district(district_id)
    return row["name"] if row else None


async def _account_context(actor: Actor, **overrides) -> dict:
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
    async def show(self, request: Request, actor: SignedInActor) -> object:
        return page(request, "accounts/account.html", **await _account_context(actor))

    @post("/", name="accounts.account_save")
    async def save_profile(self, request: Request, actor: SignedInActor) -> object:
        submitted: dict[str, str] = {}  # shown back on the page; none when the form itself was malformed
        try:
            entry = await read_form(request, ProfileForm)
            submitted = {"name": entry.name, "email": entry.email, "job_title": entry.job_title}
            # The district is read-only here; a form that still sends one is checked (and refused if it differs).
            district = (
                {"district_id": optional_id({"district": entry.district[0]}, "district")} if entry.district else {}
            )
            link_sent_to = await profile.update_profile(actor, **submitted, school_id=entry.school, **district)
        except InvalidInput as error:
            context = await _account_context(actor, profile_errors=error.field_errors)
            context["user"] = {**context["user"], **submitted}
            return page(request, "accounts/account.html", status=422, **context)
        except Conflict as error:
            context = await _account_context(actor, profile_errors={"email": error.message})
            context["user"] = {**context["user"], **submitted}
            return page(request, "accounts/account.html", status=409, **context)
        return redirect(request, _account_url(request), notice="email-change-sent" if link_sent_to else "profile-saved")

    @post("/email/cancel", name="accounts.email_change_cancel")
    async def cancel_email_change(self, request: Request, actor: SignedInActor) -> object:
        await email_change.cancel_email_change(actor.id)
        return redirect(request, _account_url(request), notice="email-change-cancelled")

    @post("/password", name="accounts.password_change")
    async def change_password(self, request: Request, actor: SignedInActor) -> object:
        try:
            entry = await read_form(request, PasswordChangeForm)
            await password_reset.change_password(
                actor.id,
                entry.current_password,
                entry.new_password,
                entry.confirmation,
                keep_session_token=request.cookies.get(SESSION_COOKIE),
            )
        except InvalidInput as error:
            return page(
                request,
                "accounts/account.html",
                status=422,
                **await _account_context(actor, password_errors=error.field_errors),
            )
        return redirect(request, _account_url(request), notice="password-changed")

    @post("/tokens", name="accounts.token_create")
    async def create_token(self, request: Request, actor: SignedInActor) -> object:
        try:
            entry = await read_form(request, ApiTokenForm)
            token = await api_tokens.create_api_token(actor.id, entry.label)
        except InvalidInput as error:
            return page_or_fragment(
                request,
                "accounts/account.html",
                "accounts/_tokens.html",
                status=422,
                **await _account_context(actor, token_errors=error.field_errors),
            )
        # The token is shown once, in this response only; we keep just its hash.
        return page_or_fragment(
            request, "accounts/account.html", "accounts/_tokens.html", **await _account_context(actor, new_token=token)
        )

    @post("/tokens/{token_id:int}/revoke", name="accounts.token_revoke")
    async def revoke_token(self, request: Request, actor: SignedInActor, token_id: FromPath[int]) -> object:
        await api_tokens.revoke_api_token(actor, token_id)
        return page_or_fragment(
            request, "accounts/account.html", "accounts/_tokens.html", **await _account_context(actor)
        )


class EmailConfirmationController(Controller):
    """The link sent to a new address. No sign-in needed: the link itself proves the mailbox."""

    path = "/account/email/confirm"
    include_in_schema = False

    @get("/{token:str}", name="accounts.email_confirm")
    async def landing(self, request: Request, token: FromPath[str]) -> object:
        # A GET never uses the link: mail scanners that prefetch links must not change anyone's address.
        return page(request, "accounts/email_confirm.html", token=token)

    @post("/{token:str}", name="accounts.email_confirm_use")
    async def confirm(self, request: Request, actor: OptionalActor, token: FromPath[str]) -> object:
        try:
            await email_change.confirm_email_change(token)
        except DomainError as error:
            return page(
                request, "accounts/email_confirm.html", status=error.status_hint, token=None, form_error=error.message
            )
        back_to = _account_url(request) if actor is not None else request.app.route_reverse("accounts.sign_in")
        return redirect(request, back_to, notice="email-changed")
