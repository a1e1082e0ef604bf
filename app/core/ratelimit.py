"""Rate limits per client address, with the `limits` library.

In memory by default (one worker); in Redis when TINBAO_REDIS_URL is set, so that several
workers share the counters. If Redis is unreachable the limit fails open (logged): refusing
every tip because a cache is down would be worse than a short window without limits.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from app.core.config import Settings
from app.core.errors import RateLimited

log = logging.getLogger("tinbao.ratelimit")

INTAKE = "intake"
TRACK_FAILURES = "track_failures"
LOGIN = "login"

REDIS_TIMEOUT_SECONDS = 0.5


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            uri = "async+" + settings.redis_url
            # Short timeouts: an unreachable Redis must not hold every request up.
            self.storage = storage_from_string(
                uri,
                implementation="redispy",
                key_prefix="tinbao",
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        else:
            self.storage = storage_from_string("async+memory://")
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.items: dict[str, RateLimitItem] = {
            INTAKE: parse(settings.rate_limit_intake),
            TRACK_FAILURES: parse(settings.rate_limit_track_failures),
            LOGIN: parse(settings.rate_limit_login),
        }

    async def _retry_after(self, item: RateLimitItem, name: str, key: str) -> int:
        try:
            stats = await self.limiter.get_window_stats(item, name, key)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            return item.get_expiry()

    async def hit(self, name: str, key: str) -> None:
        """Count one event; over the limit → 429 rate_limited with Retry-After."""
        item = self.items[name]
        try:
            allowed = await self.limiter.hit(item, name, key)
        except Exception as exc:
            log.warning("rate limit storage unavailable (%s): failing open", type(exc).__name__)
            return
        if not allowed:
            await self._refuse(item, name, key)

    async def check(self, name: str, key: str) -> None:
        """Refuse if the limit is already used up, without counting (failures count later)."""
        item = self.items[name]
        try:
            allowed = await self.limiter.test(item, name, key)
        except Exception as exc:
            log.warning("rate limit storage unavailable (%s): failing open", type(exc).__name__)
            return
        if not allowed:
            await self._refuse(item, name, key)

    async def _refuse(self, item: RateLimitItem, name: str, key: str) -> None:
        retry_after = await self._retry_after(item, name, key)
        raise RateLimited(
            (
                "Bạn đã gửi quá nhiều yêu cầu, vui lòng thử lại sau.",
                "Too many requests; retry later.",
            ),
            headers={"Retry-After": str(retry_after)},
        )


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers sets request.client from X-Forwarded-For.
    return request.client.host if request.client else "unknown"


def limit(name: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting one `name` event for the caller's address."""

    async def dependency(request: Request) -> None:
        await request.app.state.rate_limits.hit(name, client_address(request))

    return dependency
