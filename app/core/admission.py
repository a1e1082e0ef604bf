"""Admission of intake writes: a bound on how many wait at once per worker process.

On SQLite every write waits for the one write lock: past the rate the database can take, a
queue of submissions builds up in each worker and every one of them waits longer (1.5 s p99
at SQLite's peak, and growing while the overload lasts). With ``TINBAO_MAX_QUEUED_WRITES``
(default 32 on SQLite, off on PostgreSQL) a worker holds at most that many intake requests in
flight; one more is answered at once with 503 ``service_busy`` and ``Retry-After``, before its
body is read, so those admitted keep a bounded latency and the client knows when to retry
(a client retries after ``Retry-After`` with the same Idempotency-Key, so nothing is
doubled; the reference web client does not retry by itself and shows the error).

Intake is ``POST /api/v1/tips`` and ``POST /open311/v2/requests.<format>``. The count is per
process (uvicorn worker): the bound is the setting times the number of workers.
"""

from __future__ import annotations

import re

from prometheus_client import Counter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import problem_response
from app.core.messages import msg

RETRY_AFTER_SECONDS = 1
# 32 per worker: a burst as large as the tests' and the crash test's concurrent intakes (24-30)
# is still admitted, and at SQLite's intake rate here (30-90 tips/s) 32 in flight is about a
# second of waiting, where an unbounded queue grew to 29 s p99 under overload (bench_admission).
SQLITE_DEFAULT = 32

INTAKE_PATHS = re.compile(r"^(/api/v1/tips|/open311/v2/requests\.[A-Za-z]+)/?$")

REFUSED = Counter(
    "tinbao_intake_busy_total",
    "Intake requests answered 503 service_busy: the worker had TINBAO_MAX_QUEUED_WRITES in flight",
)


def write_limit(settings: Settings) -> int:
    """The effective bound (0: none)."""
    if settings.max_queued_writes is not None:
        return settings.max_queued_writes
    return SQLITE_DEFAULT if settings.is_sqlite else 0


def is_intake(scope: Scope) -> bool:
    return scope["method"] == "POST" and INTAKE_PATHS.match(scope["path"]) is not None


class WriteAdmission:
    """ASGI middleware: at most ``limit`` intake requests in flight in this process."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or not is_intake(scope):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            REFUSED.inc()
            response = problem_response(
                Request(scope),
                status=503,
                code="service_busy",
                detail=msg("service_busy"),
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def install(app: ASGIApp, settings: Settings) -> None:
    """Add the bound (inside the metrics middleware, so that its 503s are counted)."""
    limit = write_limit(settings)
    if limit > 0:
        app.add_middleware(WriteAdmission, limit=limit)  # type: ignore[attr-defined]
