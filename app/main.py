"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app.api import api_router
from app.core import admission, body_limits, snapshots
from app.core.bodies import JsonBodyCheck
from app.core.compression import MINIMUM_SIZE, GZipWhenAccepted
from app.core.config import Settings, get_settings
from app.core.db import make_async_engine, make_sessionmaker
from app.core.docs import install_docs
from app.core.edge import EdgeMiddleware
from app.core.errors import install_error_handlers
from app.core.logs import configure_logging
from app.core.openapi import database_operations, finish_openapi
from app.core.ops import migration_head
from app.core.ops import router as ops_router
from app.core.proxies import parse_networks
from app.core.ratelimit import RateLimits
from app.core.replica import install_read_router
from app.core.security import DataCipher
from app.media.service import upload_limits

log = logging.getLogger("tinbao")


def _operation_id(route: APIRoute) -> str:
    """Stable operationIds (`<tag>-<function name>`) so generated clients keep their names."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag.replace(' ', '_')}-{route.name}"


API_DESCRIPTION = """
TinBáo receives tips on security, order and crime from citizens and the Fatherland Front,
routes each to the responsible police unit and tracks its handling under the legal deadlines.

* Errors are RFC 9457 `application/problem+json` with a stable `code`; Vietnamese by default,
  English with `Accept-Language: en`.
* Lists use cursor pagination (`limit`, `cursor` → `next_cursor`).
* Staff authenticate with `Authorization: Bearer <token>` from `/api/v1/auth/token`;
  machine clients may send `X-API-Key`.
* Objects outside the caller's scope answer 404, exactly like objects that do not exist.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    # long: the app's assembly; middleware, handlers and routers must be added in this order, read
    #   top to bottom
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.lifecycle import shutdown, startup

        await startup(app)
        if settings.gc_freeze:
            from app.lifecycle import freeze_heap

            await freeze_heap(app)
        try:
            yield
        finally:
            await shutdown(app)

    app = FastAPI(
        title="TinBáo API",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,  # app.core.docs serves them from local files
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        # The app's metrics are Prometheus' (app.core.ops); FastAPI's OpenTelemetry spans and
        # meters are off, so that no request asks the global providers whether they are set.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    if settings.docs_enabled:
        install_docs(app, openapi_url="/openapi.json")
    app.state.settings = settings
    snapshots.set_ttl(settings.reference_cache_seconds)
    app.state.engine = make_async_engine(settings)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    install_read_router(app, settings)
    from app.notifications import hooks as notification_hooks

    notification_hooks.install()
    notification_hooks.configure(app.state.sessionmaker, enabled=settings.notifications_enabled)
    app.state.cipher = DataCipher(settings.data_keys)
    app.state.migration_head = migration_head()
    app.state.rate_limits = RateLimits(settings)
    from app.integration.metrics import BusinessMetrics

    app.state.business_metrics = BusinessMetrics(
        app.state.sessionmaker, ttl_seconds=settings.metrics_sample_seconds
    )
    from app import background

    app.state.database_gauges = [background.PENDING.refresh]  # tinbao_outbox_pending

    install_error_handlers(app)

    def openapi() -> dict[str, Any]:
        return app.openapi_schema or finish_openapi(
            FastAPI.openapi(app), database_operations(app.routes)
        )

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(JsonBodyCheck, max_bytes=settings.max_json_bytes)
    # Inside the metrics (app.core.edge): they count its 413, 408 and 499.
    body_limits.install(app, settings, multipart_cap=upload_limits(settings).max_request_bytes)
    admission.install(app, settings)  # before the body is read; inside the metrics
    app.add_middleware(GZipWhenAccepted, minimum_size=MINIMUM_SIZE)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Tip-Receipt",
                "X-API-Key",
                "Accept-Language",
            ],
        )
    # Outermost, outside Starlette's ServerErrorMiddleware too (add_middleware would place it
    # inside): the client address, request id, metrics and every answer's headers.
    build_stack = app.build_middleware_stack
    proxies = parse_networks(settings.trusted_proxies)
    app.build_middleware_stack = lambda: EdgeMiddleware(  # type: ignore[method-assign]
        build_stack(), trusted_proxies=proxies
    )
    app.include_router(ops_router)
    app.include_router(api_router)
    from app.open311.router import router as open311_router

    app.include_router(open311_router)
    if settings.web_enabled:
        from app.web.router import mount as mount_web

        mount_web(app)
    return app
