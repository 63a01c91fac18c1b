"""Role checks for routes. Data scoping happens in the use cases' queries, not here."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from booking.accounts.actor import Actor
from booking.errors import Forbidden, Unauthenticated


def current_actor(connection: ASGIConnection) -> Actor | None:
    return connection.scope.get("user")


def provide_actor(request: Request) -> Actor | None:
    """The `actor` dependency of every handler (app.py): who the middleware found signed in, None for nobody."""
    return current_actor(request)


# In a handler's signature: `actor: SignedInActor` behind a sign-in or role guard, `actor: OptionalActor` on
# public pages. The parameter must be named `actor`.
SignedInActor = NamedDependency[Actor]
OptionalActor = NamedDependency[Actor | None]


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if current_actor(connection) is None:
        raise Unauthenticated("Please sign in to continue.")


def roles(*allowed: str):
    wanted = set(allowed)
    if "staff" in wanted:
        wanted.add("admin")  # admin may do everything staff may

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = current_actor(connection)
        if actor is None:
            raise Unauthenticated("Please sign in to continue.")
        if actor.role not in wanted:
            raise Forbidden(
                "Your role does not give access to this page. If you think it should, ask SCOE's program staff."
            )

    return guard


staff_only = roles("staff")
admin_only = roles("admin")
finance_only = roles("finance", "admin")
