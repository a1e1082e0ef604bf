"""AppError and the one place errors become RFC 9457 problem+json."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from app.core.i18n import Lang, negotiate
from app.core.messages import Message, msg, pick, title_for
from app.core.security import MissingDataKey
from app.core.validation import field_message

log = logging.getLogger("tinbao.errors")

PROBLEM_TYPE_BASE = "https://tinbao.vn/problems/"

__all__ = ["Message", "msg"]  # re-exported: services import them with the errors

# Where app.core.bodies notes a refused JSON body (answered once the dependencies ran).
BODY_PROBLEM_KEY = "tinbao.body_problem"


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class Problem(BaseModel):
    """The error body of every endpoint (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    errors: list[FieldError] | None = None


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: Message | None = None,
        *,
        errors: Sequence[tuple[str, Message]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(pick(detail, Lang.vi) if detail is not None else self.code)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.extra = extra or {}
        self.headers = headers


class ValidationFailed(AppError):
    status, code = 422, "validation_error"


class NotFound(AppError):
    status, code = 404, "not_found"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class Conflict(AppError):
    status, code = 409, "conflict"


class InvalidTransition(AppError):
    status, code = 409, "invalid_transition"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class RateLimited(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: Message | None = None,
    errors: Sequence[tuple[str, Message]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    lang = negotiate(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title_for(code, lang),
        "status": status,
        "detail": pick(detail, lang) or title_for(code, lang),
        "code": code,
    }
    if errors:
        body["errors"] = [
            {
                "field": f,
                "code": m.code,
                "message": m.text(lang),
            }
            for f, m in errors
        ]
    if extra:
        body.update(extra)
    return JSONResponse(
        body,
        status_code=status,
        media_type="application/problem+json",
        headers={"Content-Language": lang.value, **(headers or {})},
    )


def _loc_to_field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "tip")]
    # Drop pydantic's union/function tags such as "function-after[...]".
    parts = [p for p in parts if "[" not in p]
    return ".".join(parts) or "body"


def validation_errors(errs: Sequence[Any]) -> list[tuple[str, Message]]:
    """Pydantic's errors as (field, catalogue message): never the library's English text."""
    return [(_loc_to_field(err.get("loc", ())), field_message(err)) for err in errs]


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def http_problem_code(status: int) -> str:
    """The problem code of a plain HTTP error (one the router, not a service, answered)."""
    return _HTTP_CODES.get(status, "error")


def allowed_methods(request: Request) -> str:
    """The 405's ``Allow``: every documented method of this path (Starlette names only the
    first route's, and one path is often served by two routers, e.g. GET and admin POST).
    A concrete path is matched before templated ones, as OpenAPI matches them."""
    matching = [
        (template, item)
        for template, item in request.app.openapi().get("paths", {}).items()
        if compile_path(template)[0].match(request.scope["path"])
    ]
    concrete = [(template, item) for template, item in matching if "{" not in template]
    methods = {method.upper() for _, item in concrete or matching for method in item}
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    # long: one short handler per exception type, side by side so that every answer's shape
    # reads in one place; they call each other (a noted body problem answers as an AppError).
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            detail=exc.detail,
            errors=exc.errors,
            extra=exc.extra,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        noted = request.scope.get(BODY_PROBLEM_KEY)
        if isinstance(noted, AppError):
            return await _app_error(request, noted)
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return problem_response(
                request,
                status=422,
                code="malformed_json",
                detail=msg("malformed_json"),
            )
        return problem_response(
            request, status=422, code="validation_error", errors=validation_errors(errs)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's detail is its English phrase ("Method Not Allowed"): the answer's detail
        # is the problem's title in the caller's language instead.
        code = http_problem_code(exc.status_code)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405 and (documented := allowed_methods(request)):
            headers["Allow"] = documented  # else (an undocumented route) Starlette's own
        return problem_response(request, status=exc.status_code, code=code, headers=headers or None)

    @app.exception_handler(MissingDataKey)
    async def _missing_key(request: Request, exc: MissingDataKey) -> JSONResponse:
        log.error("data key %s is not configured: add it back to TINBAO_DATA_KEYS", exc)
        return problem_response(
            request,
            status=503,
            code="service_unavailable",
            detail=msg("data_key_missing"),
        )

    def sqlstate(exc: DBAPIError) -> str:
        """The SQLSTATE (PostgreSQL) or error name (SQLite): never the statement's values."""
        orig = exc.orig
        for attribute in ("sqlstate", "pgcode", "sqlite_errorname"):
            value = getattr(orig, attribute, None)
            if value:
                return str(value)
        return "unknown"

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning(
            "database unavailable: %s (SQLSTATE %s)", type(exc.orig).__name__, sqlstate(exc)
        )
        return problem_response(
            request,
            status=503,
            code="service_unavailable",
            detail=msg("database_unavailable"),
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(TimeoutError)
    async def _timed_out(request: Request, exc: Exception) -> JSONResponse:
        # No pooled connection in time, or a peer (database) that went silent: unavailable for
        # now, never a server error.
        kind = "pool checkout" if isinstance(exc, PoolTimeout) else "statement"
        log.warning("timed out waiting for the database (%s)", kind)
        return problem_response(
            request,
            status=503,
            code="service_unavailable",
            detail=msg("database_unavailable"),
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (a NUL character, a string longer than its column):
        # that is bad input, never a server error.
        log.info(
            "database refused a value: %s (SQLSTATE %s)", type(exc.orig).__name__, sqlstate(exc)
        )
        return problem_response(
            request,
            status=422,
            code="validation_error",
            detail=msg("database_refused"),
        )

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _db_down(request, exc)  # type: ignore[arg-type]
        # SQLSTATE class 22 is "data exception" (e.g. a NUL character in a search string):
        # asyncpg reports some of these as plain DBAPI errors rather than DataError.
        if str(getattr(exc.orig, "sqlstate", "") or "").startswith("22"):
            return await _bad_data(request, exc)  # type: ignore[arg-type]
        log.error("database error: %s (SQLSTATE %s)", type(exc.orig).__name__, sqlstate(exc))
        return problem_response(request, status=500, code="internal_error")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and route only: exception messages can carry personal data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(request, status=500, code="internal_error")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each listed status documented as problem+json."""
    return {s: {"model": Problem, "content": {"application/problem+json": {}}} for s in statuses}
