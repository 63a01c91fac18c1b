"""Sign in (password or emailed link), sign out, forgotten password."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from booking.accounts import district_sign_out, known_devices, password_reset, sign_in
from booking.accounts.forms import PasswordForgotForm, PasswordResetForm, SignInForm, SignInLinkForm
from booking.accounts.sessions import SESSION_LIFETIME, end_session, start_session
from booking.errors import DomainError, InvalidInput
from booking.settings import current_settings
from booking.web.auth import SESSION_COOKIE
from booking.web.forms import client_address, read_form
from booking.web.guards import OptionalActor
from booking.web.pages import page, redirect, safe_next


def _session_cookie(token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=current_settings().is_production,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
    )


def _known_user_ids(request: Request) -> tuple[int, ...]:
    return known_devices.read(request.cookies.get(known_devices.COOKIE_NAME), current_settings().secret_key)


def _known_device_cookie(request: Request, user_id: int) -> Cookie:
    settings = current_settings()
    return Cookie(
        key=known_devices.COOKIE_NAME,
        value=known_devices.remember(request.cookies.get(known_devices.COOKIE_NAME), user_id, settings.secret_key),
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        max_age=known_devices.LIFETIME_DAYS * 24 * 3600,
        path="/",
    )


async def _signed_in_response(request: Request, user_id: int, next_path: str) -> Redirect:
    # Whatever session id the browser had is dropped and a fresh one issued (no fixation).
    await end_session(request.cookies.get(SESSION_COOKIE))
    token = await start_session(user_id, request.headers.get("user-agent", ""))
    response = redirect(request, safe_next(next_path), notice="signed-in")
    response.cookies.append(_session_cookie(token))
    # This browser may now sign in to this account even while strangers' guesses hold it back.
    response.cookies.append(_known_device_cookie(request, user_id))
    return response


def _limited_headers(error: DomainError) -> dict[str, str]:
    seconds = getattr(error, "retry_after_seconds", None)
    return {"Retry-After": str(seconds)} if seconds else {}


class SignInController(Controller):
    include_in_schema = False

    @get("/sign-in", name="accounts.sign_in")
    async def sign_in_form(self, request: Request, next: FromQuery[str] = "/", email: FromQuery[str] = "") -> object:
        # `email`: back from /sign-in/sso for an address whose district has no sign-in of its own (email first).
        return page(request, "accounts/sign_in.html", next=safe_next(next), email=email.strip()[:254], errors={})

    @post("/sign-in", name="accounts.sign_in_submit")
    async def sign_in(self, request: Request) -> object:
        entry = await read_form(request, SignInForm)
        email, next_path = entry.email, safe_next(entry.next)
        try:
            user_id = await sign_in.sign_in_with_password(
                email, entry.password, client_address(request), _known_user_ids(request)
            )
        except InvalidInput as error:
            return page(
                request, "accounts/sign_in.html", status=422, next=next_path, email=email, errors=error.field_errors
            )
        except DomainError as error:
            return page(
                request,
                "accounts/sign_in.html",
                status=error.status_hint,
                next=next_path,
                email=email,
                errors={},
                form_error=error.message,
                headers=_limited_headers(error),
            )
        return await _signed_in_response(request, user_id, next_path)

    @post("/sign-in/link", name="accounts.sign_in_link_request")
    async def request_link(self, request: Request) -> object:
        email = (await read_form(request, SignInLinkForm)).email
        try:
            await sign_in.request_sign_in_link(email, client_address(request), _known_user_ids(request))
        except InvalidInput as error:
            return page(
                request,
                "accounts/sign_in.html",
                status=422,
                next="/",
                email=email,
                link_errors=error.field_errors,
                errors={},
            )
        return redirect(request, request.app.route_reverse("accounts.sign_in"), notice="link-sent")

    @get("/sign-in/link/{token:str}", name="accounts.sign_in_link")
    async def link_landing(self, request: Request, token: FromPath[str]) -> object:
        # A GET never consumes the link: mail scanners that prefetch links must not use it up.
        return page(request, "accounts/sign_in_link.html", token=token)

    @post("/sign-in/link/{token:str}", name="accounts.sign_in_link_use")
    async def use_link(self, request: Request, token: FromPath[str]) -> object:
        try:
            user_id = await sign_in.sign_in_with_link(token)
        except DomainError as error:
            return page(request, "accounts/sign_in_link.html", status=400, token=None, form_error=error.message)
        return await _signed_in_response(request, user_id, "/")

    @post("/sign-out", name="accounts.sign_out")
    async def sign_out(self, request: Request, actor: OptionalActor) -> object:
        await end_session(request.cookies.get(SESSION_COOKIE))  # first, whatever the provider does
        provider_sign_out = await district_sign_out.provider_sign_out_url(actor.id) if actor else None
        if provider_sign_out:
            request.scope["user"] = None  # this page is already a signed-out one
            response = page(request, "accounts/signed_out.html", provider_sign_out=provider_sign_out)
        else:
            response = redirect(request, request.app.route_reverse("web.home"), notice="signed-out")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


class PasswordResetController(Controller):
    include_in_schema = False

    @get("/password/forgot", name="accounts.password_forgot")
    async def forgot_form(self, request: Request) -> object:
        return page(request, "accounts/password_forgot.html", email="", errors={})

    @post("/password/forgot", name="accounts.password_forgot_send")
    async def forgot(self, request: Request) -> object:
        email = (await read_form(request, PasswordForgotForm)).email
        try:
            await password_reset.request_password_reset(email, client_address(request), _known_user_ids(request))
        except InvalidInput as error:
            return page(request, "accounts/password_forgot.html", status=422, email=email, errors=error.field_errors)
        except DomainError as error:  # password sign-in is off for the address's district; too many requests
            return page(
                request,
                "accounts/password_forgot.html",
                status=error.status_hint,
                email=email,
                errors={},
                form_error=error.message,
                headers=_limited_headers(error),
            )
        return redirect(request, request.app.route_reverse("accounts.sign_in"), notice="reset-sent")

    @get("/password/reset/{token:str}", name="accounts.password_reset")
    async def reset_form(self, request: Request, token: FromPath[str]) -> object:
        return page(request, "accounts/password_reset.html", token=token, errors={})

    @post("/password/reset/{token:str}", name="accounts.password_reset_save")
    async def reset(self, request: Request, token: FromPath[str]) -> object:
        try:
            entry = await read_form(request, PasswordResetForm)
            await password_reset.reset_password(token, entry.password, entry.confirmation)
        except InvalidInput as error:
            return page(request, "accounts/password_reset.html", status=422, token=token, errors=error.field_errors)
        except DomainError as error:
            return page(
                request, "accounts/password_reset.html", status=400, token=None, errors={}, form_error=error.message
            )
        response = redirect(request, request.app.route_reverse("accounts.sign_in"), notice="password-reset")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
