"""Gzip for the clients that ask for it (``Accept-Encoding: gzip``), from 1 KiB up.

Starlette's GZipMiddleware wraps every answer, also for a client that never accepts gzip: it
parses the request headers into a ``Headers`` object, builds an ``IdentityResponder`` and
routes each message through its ``send``, which changes nothing for such a client (it adds
no header either, ``Vary`` included: that comes with compression). Here such a request goes
straight to the application; the others get Starlette's responder, as before.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

MINIMUM_SIZE = 1024


def accepts_gzip(scope: Scope) -> bool:
    """Whether a request's ``Accept-Encoding`` names gzip (Starlette's own test: a substring
    of the first such header)."""
    for key, value in scope["headers"]:
        if key == b"accept-encoding":
            return b"gzip" in value
    return False


class GZipWhenAccepted(GZipMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
