"""create_app(settings): the Litestar application, built from settings handed in, never from import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp, ControllerRouterHandler

from adapters.metrics import PrometheusMetrics
from adapters.postgres.schema import describe_failure, schema_state, where
from adapters.rate_limit import LimitsRateLimiter
from entrypoints.composition import Runtime, build_runtime
from entrypoints.http.deps import provide_caller, provide_page, provide_use_cases
from entrypoints.http.edge import Edge
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.openapi import describe, operation_id
from entrypoints.http.pages.assets import OfflineSwagger, asset_routes
from entrypoints.http.pages.booking import BookingPages
from entrypoints.http.pages.manage import ManagePages
from entrypoints.http.pages.render import template_config
from entrypoints.http.rate_limit import RateLimitMiddleware
from entrypoints.http.routes.calendars import BlocksController, FeedsController, PublicCalendarsController
from entrypoints.http.routes.cards import CardsController
from entrypoints.http.routes.catalog import ResourcesController, ResourceTypesController
from entrypoints.http.routes.dev_mail import DevMailController
from entrypoints.http.routes.identity import ApiKeysController, AuthController, UsersController
from entrypoints.http.routes.manage import ManageController
from entrypoints.http.routes.me import MeController
from entrypoints.http.routes.organisations import OrganisationsController
from entrypoints.http.routes.payments import ConnectController, RefundsController, StripeController
from entrypoints.http.routes.public import SlugBookingController, TokenBookingController
from entrypoints.http.routes.reservations import ReservationsController
from entrypoints.http.routes.sandbox import SandboxController
from entrypoints.http.routes.system import health, metrics, ready
from entrypoints.http.routes.webhooks import WebhookEndpointsController
from entrypoints.http.strict import strict_request
from entrypoints.settings import Settings
from entrypoints.worker import work_forever

log = logging.getLogger("booking.serve")

ROUTES: list[ControllerRouterHandler] = [
    health,
    ready,
    metrics,
    AuthController,
    UsersController,
    ApiKeysController,
    OrganisationsController,
    ResourceTypesController,
    ResourcesController,
    ReservationsController,
    SlugBookingController,
    TokenBookingController,
    ManageController,
    StripeController,
    ConnectController,
    RefundsController,
    WebhookEndpointsController,
    BlocksController,
    FeedsController,
    PublicCalendarsController,
    MeController,
    CardsController,
    BookingPages,
    ManagePages,
    *asset_routes(),
]


class BookingApp(Litestar):
    """Litestar with one outer layer around everything, unmatched routes included: see http/edge.py."""

    def __init__(self, *args: Any, edge: dict[str, Any], **kwargs: Any) -> None:
        self._edge_options = edge
        super().__init__(*args, **kwargs)

    def _create_asgi_handler(self) -> ASGIApp:
        return Edge(super()._create_asgi_handler(), **self._edge_options)


async def report_database(rt: Runtime) -> None:
    """Say at start, in one line, when the database cannot serve: unreachable, or not migrated."""
    url = rt.settings.database_url or ""
    try:
        async with asyncio.timeout(10), rt.read_engine.connect() as conn:
            state = await schema_state(conn, rt.schema_head)
    except Exception as exc:
        log.error("%s; /ready answers 503 until it does", describe_failure(exc, url))
        return
    if not state.ready:
        log.error(
            "the database at %s is not migrated to this version: run `booking migrate`; "
            "/ready answers 503 until then",
            where(url),
        )


def create_app(settings: Settings, runtime: Runtime | None = None) -> Litestar:
    """The HTTP app; `runtime` lets a test hand in its own adapters."""
    limiter = (
        LimitsRateLimiter(settings.rate_limits, settings.redis_url) if settings.rate_limit_enabled else None
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        rt = runtime or build_runtime(settings)
        app.state.runtime = rt
        checking = asyncio.create_task(report_database(rt))
        interval = float(settings.worker_interval_seconds)
        jobs = rt.use_cases.jobs
        worker = asyncio.create_task(work_forever(jobs, interval)) if settings.run_worker else None
        try:
            yield
        finally:
            checking.cancel()
            if worker is not None:
                worker.cancel()
                with suppress(asyncio.CancelledError):
                    await worker
            await rt.close()

    openapi = OpenAPIConfig(
        title="Booking platform API",
        version="1.0.0",
        path="/schema",
        render_plugins=[OfflineSwagger()],
        description=(
            "The booking platform's API: staff (a JWT or an API key, scoped to an active organisation), "
            "partners (API keys) and customers (public routes, or a customer's JWT). Errors are RFC 9457 "
            "problem details. The guide is docs/api.md in the repository."
        ),
        operation_id_creator=operation_id,
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                "ApiKey": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
                "ApiKeyAuthorization": SecurityScheme(
                    type="apiKey",
                    name="Authorization",
                    security_scheme_in="header",
                    description="The same API key as `Authorization: ApiKey <key>`.",
                ),
            }
        ),
    )
    routes = [*ROUTES, SandboxController] if settings.payments_provider == "sandbox" else ROUTES
    if not settings.production and not settings.smtp_url:
        routes = [*routes, DevMailController]  # development: the mail that was written, not sent
    app = BookingApp(
        edge={"cors_origins": settings.cors_origins, "production": settings.production},
        route_handlers=routes,
        dependencies={
            "cases": Provide(provide_use_cases, sync_to_thread=False),
            "caller": Provide(provide_caller),
            "page": Provide(provide_page, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=strict_request,
        lifespan=[lifespan],
        middleware=[RateLimitMiddleware(limiter, settings.trusted_proxies, PrometheusMetrics())],
        openapi_config=openapi,
        template_config=template_config,
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        logging_config=None,  # logging is ours: JSON lines, set up by entrypoints/logs.py
    )
    describe(app)
    return app
