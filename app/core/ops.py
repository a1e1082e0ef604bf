"""Operations: liveness, readiness (database reachable, migrations at head), metrics."""

from __future__ import annotations

import hmac
import logging
import time

import anyio
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Scope

from app.core.config import Mode
from app.core.errors import NotFound, ServiceUnavailable, Unauthorized, msg, problem_responses
from app.core.migrations import migration_head  # noqa: F401  (re-exported for app.main)

router = APIRouter(tags=["operations"])
log = logging.getLogger("tinbao.ops")

REQUESTS = Counter("tinbao_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "tinbao_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


async def current_revision(conn: AsyncConnection) -> str | None:
    """The database's alembic revision; None when it was never migrated (no table)."""
    try:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except ProgrammingError:
        return None  # PostgreSQL: undefined table
    except SAOperationalError as exc:
        if "no such table" in str(exc.orig):
            return None  # SQLite
        raise


def not_migrated_message(current: str | None, head: str | None) -> str:
    return f"database at revision {current or 'none'}, expected {head}: run `tinbao migrate`"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> dict[str, str]:
    head = request.app.state.migration_head
    try:
        # Bounded: a database that stops answering turns this red, it does not hang it.
        with anyio.fail_after(request.app.state.settings.readyz_timeout_seconds):
            async with request.app.state.engine.connect() as conn:
                current = await current_revision(conn)
    except Exception as exc:
        raise ServiceUnavailable(
            msg("ops.database_not_ready"),
            headers={"Retry-After": "5"},
        ) from exc
    if current != head:
        raise ServiceUnavailable(
            msg("ops.database_behind", current=current, head=head),
            headers={"Retry-After": "30"},
        )
    return {"status": "ready", "migration": str(current)}


@router.get("/metrics", response_class=Response, responses=problem_responses(401, 404))
async def metrics(request: Request) -> Response:
    """Prometheus text. In production it needs ``Authorization: Bearer
    <TINBAO_METRICS_TOKEN>`` and is off (404) when no token is configured."""
    settings = request.app.state.settings
    if settings.mode is Mode.production:
        if not settings.metrics_token:
            raise NotFound(msg("ops.not_found"))
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.metrics_token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized(msg("ops.metrics_token"))
    business = getattr(request.app.state, "business_metrics", None)
    if business is not None:
        try:
            await business.refresh()  # a sample at most every TINBAO_METRICS_SAMPLE_SECONDS
        except Exception:
            log.warning("business metrics not sampled: database unavailable", exc_info=True)
    await _refresh_database_gauges(request)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _refresh_database_gauges(request: Request) -> None:
    """Gauges read from the database (``app.state.database_gauges``: callables of the
    sessionmaker, each caching its counts for a short time). Bounded, and never an error:
    with the database away the last values stay and the rest of /metrics answers."""
    for refresh in getattr(request.app.state, "database_gauges", ()):
        try:
            with anyio.fail_after(request.app.state.settings.readyz_timeout_seconds):
                await refresh(request.app.state.sessionmaker)
        except Exception as exc:
            log.warning("metrics: a database gauge failed (%s)", type(exc).__name__)


HEAD_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def answers_head_as_get(scope: Scope) -> bool:
    """``HEAD`` on the health and metrics endpoints is answered as ``GET`` without the body
    (same status and headers), for load balancers and probes that only ask HEAD
    (app.core.edge drops the body)."""
    return scope["method"] == "HEAD" and scope["path"] in HEAD_PATHS


def observe_request(scope: Scope, status: int, started: float) -> None:
    """Count the request and observe its latency (from ``started``, a perf_counter reading),
    by method, route template and status. The route is the template the router matched
    (``scope["route"]``, set while routing), else "unmatched". app.core.edge calls this once
    the answer has been sent, with 500 for a request whose handler raised before answering
    (and 499, the guard's, for one whose client went away first: app.core.body_limits)."""
    method = scope["method"]
    route = getattr(scope.get("route"), "path", "unmatched")
    LATENCY.labels(method, route).observe(time.perf_counter() - started)
    REQUESTS.labels(method, route, str(status)).inc()
