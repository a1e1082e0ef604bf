"""Operations: liveness, readiness (database reachable, migrations at head), metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from app.core.errors import ServiceUnavailable, problem_responses

router = APIRouter(tags=["operations"])

REQUESTS = Counter("tinbao_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "tinbao_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def migration_head() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> dict[str, str]:
    head = request.app.state.migration_head
    try:
        async with request.app.state.engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception as exc:
        raise ServiceUnavailable(
            ("Cơ sở dữ liệu không sẵn sàng.", "Database not reachable."),
            headers={"Retry-After": "5"},
        ) from exc
    if current != head:
        raise ServiceUnavailable(
            ("Cơ sở dữ liệu chưa được cập nhật.", f"Database at {current}, expected {head}."),
            headers={"Retry-After": "30"},
        )
    return {"status": "ready", "migration": str(current)}


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def metrics_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    start = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    LATENCY.labels(request.method, path).observe(time.perf_counter() - start)
    REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    return response
