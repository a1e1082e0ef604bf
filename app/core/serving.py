"""How uvicorn serves the app: slow clients cannot hold a worker's connections.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) but nothing bounds the
time a client takes to send its request: the keep-alive timer is cancelled by the first byte
received, so a client trickling a header one byte at a time holds its connection for ever, and
``limit_concurrency`` would turn every other client away (503) while such connections are open.
ASGI middleware cannot help, since it only runs once the headers are complete.

So the HTTP protocol here is uvicorn's own httptools protocol with two additions:

* the request line and headers must be complete within ``TINBAO_HEADER_TIMEOUT_SECONDS`` of
  the connection (or of the previous answer, on a kept-alive connection), as nginx's
  ``client_header_timeout``; otherwise the connection is closed;
* at most ``TINBAO_MAX_PENDING_REQUESTS`` connections per worker may be waiting for a request to
  be complete (headers or body); one more and the one that has waited longest is closed;
* a connection closed after an answer while the client is still sending its request body (a
  413 for a body over its cap, a 408) closes as nginx's ``lingering_close`` does: the answer is
  followed by a half-close (FIN), what still arrives is read and thrown away, and the socket
  closes when the client closes its side or after ``LINGER_SECONDS``. Closing a socket with
  unread data makes the kernel send a reset instead, and a reset makes the client's stack drop
  the answer it had not read yet: the client sees "connection reset", not the 413.

The body's own timeout is the ASGI guard's (app.core.body_limits). ``tinbao serve`` uses this
protocol; ``uvicorn --http app.core.serving:GuardedHttpToolsProtocol`` is the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from prometheus_client import Counter
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import get_settings

log = logging.getLogger("tinbao.serving")

SLOW_CLIENTS = Counter(
    "tinbao_http_slow_clients_total",
    "Connections closed because the request did not arrive in time or too many were pending",
    ["reason"],
)

LINGER_SECONDS = 5.0  # nginx's lingering_timeout

# Per worker (process): protocols waiting for a complete request, oldest first.
_PENDING: OrderedDict[GuardedHttpToolsProtocol, None] = OrderedDict()


class _Transport:
    """The connection's transport as uvicorn's protocol sees it: ``close()`` asks the protocol,
    which may linger; ``is_closing()`` is true while it does."""

    def __init__(self, transport: asyncio.Transport, close: Callable[[], None]) -> None:
        self.raw = transport
        self.lingering = False
        self._close = close

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def close(self) -> None:
        self._close()

    def is_closing(self) -> bool:
        return self.lingering or self.raw.is_closing()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._header_timeout = settings.header_timeout_seconds
        self._max_pending = settings.max_pending_requests
        self._header_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._body_pending = False  # headers complete, body not yet

    # -- waiting for a request -----------------------------------------------------------
    def _await_request(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self._header_timeout, self._header_timed_out)
        _PENDING[self] = None
        _PENDING.move_to_end(self)
        while len(_PENDING) > self._max_pending:
            oldest, _ = _PENDING.popitem(last=False)
            SLOW_CLIENTS.labels("too_many_pending").inc()
            log.debug("closing the longest-pending connection: too many pending requests")
            oldest._close()

    def _request_arrived(self) -> None:
        _PENDING.pop(self, None)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        SLOW_CLIENTS.labels("header_timeout").inc()
        log.debug("closing a connection: the request headers did not arrive in time")
        self._close()

    def _close(self) -> None:
        """Close at once (a slow or surplus client: no lingering)."""
        _PENDING.pop(self, None)
        self._cancel_header_timer()
        if self.transport is not None and not self._raw.is_closing():
            self._raw.close()

    # -- closing while the client still sends ---------------------------------------------
    @property
    def _raw(self) -> asyncio.Transport:
        return cast(_Transport, self.transport).raw

    def _close_requested(self) -> None:
        wrapper = cast(_Transport, self.transport)
        raw = wrapper.raw
        if wrapper.lingering or raw.is_closing() or not self._body_pending:
            raw.close()
            return
        if not raw.can_write_eof():  # pragma: no cover - TLS is the proxy's
            raw.close()
            return
        wrapper.lingering = True
        raw.write_eof()  # after the answer still buffered
        raw.resume_reading()
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, raw.close)

    def data_received(self, data: bytes) -> None:
        if cast(_Transport, self.transport).lingering:
            return  # the rest of a body that was answered already
        super().data_received(data)

    # -- uvicorn's callbacks ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        wrapped = _Transport(transport, self._close_requested)
        super().connection_made(cast(asyncio.Transport, wrapped))
        self._await_request()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        self._body_pending = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._body_pending = False
        self._request_arrived()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        _PENDING.pop(self, None)
        self._cancel_header_timer()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        super().connection_lost(exc)


PROTOCOL = f"{__name__}:{GuardedHttpToolsProtocol.__name__}"


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings `tinbao serve` adds to host/port/fd/workers. No uvicorn
    ProxyHeadersMiddleware: the forwarding headers are believed from TINBAO_TRUSTED_PROXIES
    only, by app.core.proxies (uvicorn's would trust 127.0.0.1 and rewrite the client first)."""
    return {"http": PROTOCOL, "proxy_headers": False}
