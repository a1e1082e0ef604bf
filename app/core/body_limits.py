"""Every request body bounded, timed and read by one guard, before routing and authentication.

``BodyGuard`` is a pure ASGI middleware (no BaseHTTPMiddleware). For each request it picks the
cap: the upload cap (``UploadLimits.max_request_bytes``) for a multipart body sent to an
operation whose OpenAPI request body offers ``multipart/form-data``, else
``TINBAO_MAX_JSON_BYTES``. Then:

* a declared ``Content-Length`` over the cap is answered 413 ``payload_too_large`` at once,
  without reading a byte of the body, and the connection closes (lingering: app.core.serving);
* a streamed (chunked) body is counted as it arrives and cut off at the cap: 413;
* each wait for the next piece of the body is bounded by ``TINBAO_BODY_TIMEOUT_SECONDS`` (as
  nginx's ``client_body_timeout``: between two reads, not for the whole body): 408
  ``request_timeout``, and the connection is closed;
* a client that goes away before the answer has started is not a server error: whatever the
  application raised or answered because of it is dropped, and the status seen by the metrics
  is 499 (as nginx logs it), logged at INFO without a traceback.

The guard's own answers replace whatever the application made of the interrupted body (FastAPI
turns any error while reading a body into a 400), in the caller's language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import AppError, PayloadTooLarge, msg, problem_response

log = logging.getLogger("tinbao.bodies")

MULTIPART = "multipart/form-data"
CLIENT_CLOSED_REQUEST = 499  # nginx's status for "the client went away first"


class RequestTimeout(AppError):
    status, code = 408, "request_timeout"


class BodyTooLarge(PayloadTooLarge):
    """Raised by the guarded receive() once a body crosses its cap."""


class BodyTimedOut(RequestTimeout):
    """Raised by the guarded receive() when the next piece of a body does not arrive."""


def multipart_operations(openapi: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path template) of every operation whose documented request body may be
    multipart/form-data."""
    found = []
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if isinstance(content, dict) and MULTIPART in content:
                found.append((method.upper(), path))
    return found


def too_large(cap: int) -> BodyTooLarge:
    return BodyTooLarge(msg("body.too_large", cap=cap))


def timed_out(seconds: float) -> BodyTimedOut:
    return BodyTimedOut(msg("body.timed_out", seconds=seconds))


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The request's Content-Length, or None when it is missing or not a number."""
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@dataclass
class _Exchange:
    """What happened to one request's body so far."""

    cap: int
    received: int = 0
    body_done: bool = False
    response_started: bool = False
    failure: AppError | None = None  # too large or too slow: answered by the guard
    disconnected: bool = False


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        multipart_cap: int,
        openapi: Callable[[], dict[str, Any]],
    ) -> None:
        self.app = app
        self.json_cap = settings.max_json_bytes
        self.multipart_cap = multipart_cap
        self.body_timeout = settings.body_timeout_seconds
        self._openapi = openapi  # read at the first multipart request: routes are all there
        self._multipart: list[tuple[str, re.Pattern[str]]] | None = None

    def cap_for(self, scope: Scope, headers: Headers) -> int:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != MULTIPART:
            return self.json_cap
        if self._multipart is None:
            self._multipart = [
                (method, compile_path(path)[0])
                for method, path in multipart_operations(self._openapi())
            ]
        for method, pattern in self._multipart:
            if scope["method"] == method and pattern.match(scope["path"]):
                return self.multipart_cap
        return self.json_cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cap = self.cap_for(scope, headers)
        length = declared_length(headers)
        if length is not None and length > cap:
            await self._answer(scope, receive, send, too_large(cap))
            return
        state = _Exchange(cap=cap)

        async def guarded_receive() -> Message:
            if state.failure is not None:
                raise state.failure
            if state.body_done:
                message = await receive()
            else:
                try:
                    with anyio.fail_after(self.body_timeout):
                        message = await receive()
                except TimeoutError:
                    state.failure = timed_out(self.body_timeout)
                    raise state.failure from None
            if message["type"] == "http.request":
                state.received += len(message.get("body", b""))
                if state.received > state.cap:
                    state.failure = too_large(state.cap)
                    raise state.failure
                state.body_done = not message.get("more_body", False)
            elif message["type"] == "http.disconnect" and not state.response_started:
                state.disconnected = True
            return message

        async def guarded_send(message: Message) -> None:
            if state.failure is not None or state.disconnected:
                return  # the application's answer to an interrupted body: the guard answers
            if message["type"] == "http.response.start":
                state.response_started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if state.response_started or not (state.failure or state.disconnected):
                raise
        if state.response_started:
            return
        if state.disconnected:
            log.info("client closed the connection before the answer (%s)", scope["method"])
            await send({"type": "http.response.start", "status": CLIENT_CLOSED_REQUEST})
            await send({"type": "http.response.body", "body": b""})
        elif state.failure is not None:
            await self._answer(scope, receive, send, state.failure)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
        """The problem+json answer, then the connection closes: the rest of the body is never
        read."""
        response = problem_response(
            Request(scope),
            status=error.status,
            code=error.code,
            detail=error.detail,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def install(app: Any, settings: Settings, *, multipart_cap: int) -> None:
    """Add the guard (inside the metrics middleware, so that it counts 413, 408 and 499).
    ``multipart_cap``: the largest multipart body, the sum of the upload limits
    (``app.media.service.upload_limits``)."""
    app.add_middleware(
        BodyGuard, settings=settings, multipart_cap=multipart_cap, openapi=app.openapi
    )
