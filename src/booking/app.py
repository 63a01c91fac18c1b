"""create_app(): routers, templates, htmx, CSRF, error handlers, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar, Response
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import booking.periodic_jobs  # noqa: F401  (registers every package's periodic jobs for the worker)
from booking.db import bind_engine, engine_from_url, prepare_sqlite
from booking.notifications.delivery import transport_from_settings
from booking.notifications.worker import run_forever
from booking.observability.requests import RequestObserver
from booking.payments.gateway import DOUBLE_MOUNT, stripe_config
from booking.settings import Settings, current_settings, use_settings
from booking.templating import STATIC_DIR, environment
from booking.web.auth import SESSION_COOKIE, ActorMiddleware
from booking.web.csrf import SessionBoundCSRFMiddleware
from booking.web.error_handlers import EXCEPTION_HANDLERS
from booking.web.guards import provide_actor
from booking.web.input_boundary import MAX_BODY_BYTES, check_input
from booking.web.route_map import PACKAGE_ROUTES

log = logging.getLogger("booking")

CSRF_COOKIE = "booking_csrf"  # not "csrftoken": piccolo_admin uses that name

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'"
    ),
}


def _add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _stripe_double_mount() -> list:
    """In development without a Stripe key, the local Stripe double answers at /_stripe on this server."""
    settings = current_settings()
    config = stripe_config(settings)
    if config is None or not config.uses_local_double:
        return []
    try:
        # Imported here because it is a development-only package (devtools/stripe-double), absent in production.
        from booking_stripe_double import create_stripe_double, mount_stripe_double
    except ImportError:
        log.warning(
            "no Stripe key and no local Stripe double (development only: pip install -e "
            "devtools/stripe-double): card payments will fail until BOOKING_STRIPE_SECRET_KEY is set"
        )
        return []
    double = create_stripe_double(
        webhook_secret=config.webhook_secret,
        webhook_url=f"{settings.base_url}/webhooks/stripe",
        public_base=config.api_base,
    )
    return [mount_stripe_double(double, DOUBLE_MOUNT)]


def route_handlers() -> list:
    """Each package's router (its `routes.py`; docs/ROUTES.md lists every URL), the Stripe double, static files."""
    return [
        *(package.router for package in PACKAGE_ROUTES),
        *_stripe_double_mount(),
        create_static_files_router(
            path="/static", directories=[STATIC_DIR], include_in_schema=False, cache_control=None
        ),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = use_settings(settings or current_settings())
    engine = engine_from_url(settings.database_url)
    bind_engine(engine)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        bind_engine(engine)
        await prepare_sqlite(engine)
        if engine.engine_type == "postgres" and settings.db_pool_size > 0:
            await engine.start_connection_pool(min_size=1, max_size=settings.db_pool_size)
        stop = asyncio.Event()
        worker = None
        if settings.worker_in_process:
            worker = asyncio.create_task(run_forever(transport_from_settings(settings), stop=stop))
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                await worker
            if getattr(engine, "pool", None) is not None:  # PostgreSQL's pool, SQLite's idle connections
                await engine.close_connection_pool()

    app = Litestar(
        route_handlers=route_handlers(),
        lifespan=[lifespan],
        # After ActorMiddleware; the session-bound CSRF check replaces Litestar's csrf_config (web/csrf.py).
        middleware=[
            DefineMiddleware(ActorMiddleware),
            DefineMiddleware(
                SessionBoundCSRFMiddleware,
                config=CSRFConfig(
                    secret=settings.secret_key,
                    cookie_name=CSRF_COOKIE,
                    cookie_secure=settings.is_production,
                    cookie_samesite="lax",
                    cookie_httponly=True,  # scripts never read it: the token is rendered into the page
                    header_name="x-csrftoken",
                    exclude=["/api/", "/webhooks/", "/healthz", DOUBLE_MOUNT],
                ),
                session_cookie=SESSION_COOKIE,
            ),
        ],
        plugins=[HTMXPlugin()],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment())),
        openapi_config=OpenAPIConfig(
            title="SCOE booking API",
            version="1.0.0",
            path="/schema",
            description="Errors are application/problem+json (RFC 9457) with a stable `code`; bad input names each "
            "field in `errors`. Reading published offerings needs no token; a token that is presented "
            "but unknown or revoked is always 401.",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API token from `booking token create` or My account",
                    )
                }
            ),
            security=[{}, {"bearer": []}],  # optional on public reads, required where the operation says 401
        ),
        # `actor: SignedInActor` or `actor: OptionalActor` in a handler's signature (web/guards.py): who is asking.
        dependencies={"actor": Provide(provide_actor, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_input,  # the one input boundary: every query, form and JSON body
        request_max_body_size=MAX_BODY_BYTES,
        after_request=_add_security_headers,
        debug=False,
        # Logging is configured by the process (booking.observability.logs), not by the app: Litestar's
        # default would replace the root handlers with its own plain-text format.
        logging_config=None,
    )
    # Outside routing, so unknown addresses (404) and wrong methods (405) get their line and metrics too.
    app.asgi_handler = RequestObserver(app.asgi_handler)
    return app
