"""GET /sign-in/sso?email=E (off to the district's provider) and GET /sign-in/sso/callback (back from it)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect

from booking.accounts import district_sign_in
from booking.accounts.controllers import _signed_in_response
from booking.accounts.district_sign_in import ATTEMPT_LIFETIME, DistrictSignInRefused, NoDistrictProvider
from booking.accounts.forms import DistrictSignInForm
from booking.settings import current_settings
from booking.web.forms import read_form
from booking.web.pages import page, redirect, safe_next

log = logging.getLogger("booking.district_sign_in")

STATE_COOKIE = "district_sign_in_state"
STATE_COOKIE_PATH = "/sign-in/sso"


def _state_cookie(value: str, max_age: int) -> Cookie:
    # SameSite=Lax: the provider sends the browser back with a top-level GET, which carries it.
    return Cookie(
        key=STATE_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=current_settings().is_production,
        max_age=max_age,
        path=STATE_COOKIE_PATH,
    )


class DistrictSignInController(Controller):
    include_in_schema = False

    @get("/sign-in/sso", name="accounts.district_sign_in")
    async def start(self, request: Request, email: FromQuery[str] = "", next: FromQuery[str] = "/") -> object:
        return await self._start(request, email, next)

    @post("/sign-in/sso", name="accounts.district_sign_in_start")
    async def start_from_form(self, request: Request) -> object:
        # The sign-in page posts its email-first form here (a POST keeps the address out of URLs and logs, and the
        # form carries its CSRF token like every other); GET above is the interface others link to (CONTRACT.md).
        entry = await read_form(request, DistrictSignInForm)
        return await self._start(request, entry.email, entry.next)

    async def _start(self, request: Request, email: str, next: str) -> object:
        try:
            url, state = await district_sign_in.start_district_sign_in(email)
        except NoDistrictProvider:
            # Email first: back to /sign-in with a message (CONTRACT.md), where the page goes on to the password
            # (or a link by email), the address already filled in.
            query = {"email": email.strip()[:254]} if email.strip() else {}
            if safe_next(next) != "/":
                query["next"] = safe_next(next)
            sign_in_url = request.app.route_reverse("accounts.sign_in")
            return redirect(
                request, f"{sign_in_url}?{urlencode(query)}" if query else sign_in_url, notice="no-district-sign-in"
            )
        except DistrictSignInRefused as error:
            log.warning("district sign-in could not start: %s", error.reason)
            return page(
                request, "accounts/district_sign_in_failed.html", status=error.status_hint, message=error.message
            )
        response = Redirect(path=url, status_code=303)
        response.cookies.append(_state_cookie(state, int(ATTEMPT_LIFETIME.total_seconds())))
        return response

    @get("/sign-in/sso/callback", name="accounts.district_sign_in_callback")
    async def callback(self, request: Request, code: FromQuery[str] = "", error: FromQuery[str] = "") -> object:
        # `state` is a name Litestar reserves for its app state: read from the query string directly.
        state = request.query_params.get("state") or ""
        try:
            user_id = await district_sign_in.finish_district_sign_in(
                state=state, browser_state=request.cookies.get(STATE_COOKIE), code=code, error=error
            )
        except DistrictSignInRefused as refused:
            log.warning("district sign-in refused: %s", refused.reason)
            response = page(
                request,
                "accounts/district_sign_in_failed.html",
                status=refused.status_hint,
                message=refused.message,
                unconfirmed_email=refused.unconfirmed_email,
            )
        else:
            response = await _signed_in_response(request, user_id, "/")
        response.cookies.append(_state_cookie("", 0))  # used or refused: this state is done with
        return response
