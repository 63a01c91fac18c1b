"""CSRF tokens bound to the browser's session.

Litestar's CSRF check is a double submit: the form's token must match the cookie's, both signed
with the app's secret. Alone, that accepts any pair the server ever minted, e.g. one an attacker
fetched anonymously and planted in a signed-in browser. Here the signing key also covers the
session cookie the browser sends, so a token is good only beside the session it was minted for:
an anonymous pair, or another session's, is refused (403) in a signed-in browser. A page asked
for with a token of another session gets a fresh token (and cookie) for the current one, so
signing in or out never leaves a browser with forms it cannot send.
"""

from __future__ import annotations

import hashlib
from secrets import compare_digest
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState


def session_bound_secret(secret: str, session_cookie: str | None) -> str:
    """The key a token is signed with: the app's secret and (a digest of) the session cookie."""
    session = hashlib.sha256(session_cookie.encode()).hexdigest() if session_cookie else "anonymous"
    return f"{secret}|session:{session}"


def token_is_valid(token: str | None, secret: str) -> str | None:
    """The random part of a well-formed token signed with `secret`, else None."""
    if not token or len(token) < CSRF_SECRET_LENGTH + 1:
        return None
    random_part, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    return random_part if compare_digest(signature, generate_csrf_hash(token=random_part, secret=secret)) else None


class SessionBoundCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: Any, config: CSRFConfig, session_cookie: str) -> None:
        super().__init__(app, config)
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or should_bypass_middleware(
            scope=scope,
            scopes=self.scopes,
            exclude_opt_key=self.config.exclude_from_csrf_key,
            exclude_path_pattern=self.exclude,
        ):
            await self.app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        secret = session_bound_secret(self.config.secret, request.cookies.get(self.session_cookie))
        csrf_cookie = request.cookies.get(self.config.cookie_name)
        state = ScopeState.from_scope(scope)
        if request.method in self.config.safe_methods:
            if token_is_valid(csrf_cookie, secret):
                state.csrf_token = csrf_cookie
                await self.app(scope, receive, send)
            else:
                # No cookie yet, or one minted for another session: a new pair for this one.
                token = state.csrf_token = generate_csrf_token(secret=secret)
                await self.app(scope, receive, self.create_send_wrapper(send=send, csrf_cookie=None, token=token))
            return
        sent_token = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not sent_token and content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            sent_token = (await request.form()).get("_csrf_token")
        sent, cookie = token_is_valid(sent_token, secret), token_is_valid(csrf_cookie, secret)
        if sent is None or cookie is None or not compare_digest(sent, cookie):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = sent_token
        await self.app(scope, receive, send)
