"""Open311 answers: JSON or GeoReport XML, and errors as Open311 error documents.

``Open311Route`` turns whatever a route raises (``Open311Error``, the services' ``AppError``s,
request validation, HTTP errors, unexpected failures) into ``[{"code", "description"}]``, or
``<errors><error>…`` for ``.xml`` paths, instead of the API's problem+json.

The session dependency commits once the route has answered, so a route that has written
anything rolls back itself before raising (see ``router.submit_request``). A commit that fails
after a successful answer is still reported by the application's handlers (a 5xx).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, Message, http_problem_code, validation_errors
from app.core.i18n import Lang, negotiate
from app.core.messages import msg, pick, title_message
from app.open311 import xml
from app.open311.errors import Open311Error, from_app_error, not_found, parameter_errors
from app.open311.schemas import Open311ErrorOut, ResponseFormat

log = logging.getLogger("tinbao.open311")

XML_MEDIA_TYPE = "text/xml; charset=utf-8"


def _format_of(request: Request) -> ResponseFormat:
    return ResponseFormat.xml if request.url.path.endswith(".xml") else ResponseFormat.json


def _dump(document: BaseModel | list[Any]) -> Any:
    if isinstance(document, BaseModel):
        return document.model_dump(mode="json")
    return [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in document]


def respond(
    response_format: ResponseFormat,
    document: BaseModel | list[Any],
    *,
    root: str,
    item: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The document as JSON, or as GeoReport XML under ``<root>`` (list items as ``<item>``)."""
    content = _dump(document)
    if response_format is ResponseFormat.xml:
        return Response(
            xml.render(root, content, item=item),
            status_code=status_code,
            media_type=XML_MEDIA_TYPE,
            headers=headers,
        )
    return JSONResponse(content, status_code=status_code, headers=headers)


def error_response(request: Request, error: Open311Error) -> Response:
    lang = negotiate(request.headers.get("accept-language"))
    items = [
        Open311ErrorOut(code=error.status, description=_text(d, lang)) for d in error.descriptions
    ]
    return respond(
        _format_of(request),
        items,
        root="errors",
        item="error",
        status_code=error.status,
        headers={"Content-Language": lang.value, **(error.headers or {})},
    )


def _text(text: Message, lang: Lang) -> str:
    return pick(text, lang) or ""


def _as_open311(request: Request, exc: Exception) -> Open311Error:
    if isinstance(exc, Open311Error):
        return exc
    if isinstance(exc, AppError):
        return from_app_error(exc)
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
            return not_found()  # a malformed id or format names nothing that exists
        return Open311Error(400, *parameter_errors(validation_errors(errors)))
    if isinstance(exc, StarletteHTTPException):
        # Starlette's detail is its English phrase: the description is the title instead.
        return Open311Error(
            exc.status_code,
            title_message(http_problem_code(exc.status_code)),
            headers=getattr(exc, "headers", None),
        )
    if isinstance(exc, OperationalError | PoolTimeout | TimeoutError):
        # Down, or silent (a statement or a pool checkout timed out): never a server error.
        log.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
        return Open311Error(
            503,
            msg("database_unavailable"),
            headers={"Retry-After": "5"},
        )
    # Log the type and route only: exception messages can carry personal data.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return Open311Error(500, msg("open311.internal_error"))


class Open311Route(APIRoute):
    """A route whose errors are Open311 error documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def open311_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(request, _as_open311(request, exc))

        return open311_handler
