"""Who is asking, resolved once per request.

Pages use the server-side session cookie; `/api` uses `Authorization: Bearer`, never the
cookie (so the API needs no CSRF token and a browser session cannot be replayed against it).
A bearer token that is presented but unknown or revoked is always 401, even where no
token is required.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from booking.accounts.api_tokens import actor_for_api_token
from booking.accounts.sessions import actor_for_session
from booking.web.problem import send_problem

SESSION_COOKIE = "booking_session"


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class ActorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection = ASGIConnection(scope)
        actor = None
        if is_api_path(scope["path"]):
            authorization = connection.headers.get("authorization", "")
            if authorization:
                scheme, _, token = authorization.partition(" ")
                actor = await actor_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
                if actor is None:
                    await send_problem(
                        send,
                        401,
                        "unauthenticated",
                        "Sign-in required",
                        "The API token is unknown or revoked.",
                        headers={"www-authenticate": 'Bearer realm="booking"'},
                    )
                    return
            scope["auth"] = "token" if actor else None
        else:
            actor = await actor_for_session(connection.cookies.get(SESSION_COOKIE))
            scope["auth"] = "session" if actor else None
        scope["user"] = actor
        await self.app(scope, receive, send)
