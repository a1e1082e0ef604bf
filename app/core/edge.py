"""The outermost layer of every HTTP exchange: one ASGI middleware and one wrapper of ``send``.

Each of these rules keeps its own home and is only called from here, in this order:

* the client address (and scheme) behind trusted proxies: ``app.core.proxies``;
* the request id (``X-Request-ID``) for the logs and the answer, and the access line:
  ``app.core.logs``;
* ``HEAD`` on the probes answered as ``GET`` without the body: ``app.core.ops``;
* the request metrics (count and latency by method, route template and status):
  ``app.core.ops``;
* the language headers (``Content-Language``, ``Vary``): ``app.core.i18n``;
* the security headers: :func:`with_security_headers`, here.

Outermost, outside Starlette's ServerErrorMiddleware too, so that 500 answers get the headers
and the request id as well (``add_middleware`` would place it inside). The rules used to be six
middlewares, five of them wrapping ``send``: one layer answers the same for a fraction of the
work per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.docs import DOCS_CSP
from app.core.i18n import request_language, with_language_headers
from app.core.logs import log_access, request_id_from, request_id_var, with_request_id
from app.core.ops import answers_head_as_get, observe_request
from app.core.proxies import Network, TrustedProxies

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


def is_docs_path(path: str) -> bool:
    return path in ("/docs", "/redoc") or path.startswith("/docs/")


def with_security_headers(
    headers: list[tuple[bytes, bytes]], *, docs: bool
) -> list[tuple[bytes, bytes]]:
    """The security headers the answer does not set itself; the docs pages get a CSP that lets
    them run, every other answer one that allows nothing."""
    present = {key.lower() for key, _ in headers}
    for key, value in (*SECURITY_HEADERS, DOCS_CSP if docs else API_CSP):
        if key not in present:
            headers.append((key, value))
    return headers


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, trusted_proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.proxies = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                scope = self.proxies.forwarded_scope(scope)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]  # as asked: the access line's
        inner = self.proxies.forwarded_scope(scope)
        head_as_get = answers_head_as_get(inner)
        if head_as_get:
            inner = dict(inner, method="GET")
        request_id = request_id_from(inner)
        token = request_id_var.set(request_id)
        request_id_header = request_id.encode()
        lang = request_language(inner)
        docs = is_docs_path(path)
        status = 500

        async def send_at_the_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: Iterable[tuple[bytes, bytes]] = message.get("headers", ())
                headers = with_request_id(headers, request_id_header)
                headers = with_language_headers(headers, lang)
                message["headers"] = with_security_headers(headers, docs=docs)
            elif head_as_get and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, send_at_the_edge)
        finally:
            observe_request(inner, status, started)
            log_access(method, path, status, started)
            request_id_var.reset(token)
