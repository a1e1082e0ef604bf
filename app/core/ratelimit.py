"""Rate limits per client address, with the `limits` library.

In memory by default (one worker); in Redis when TINBAO_REDIS_URL is set, so that several
workers share the counters. If Redis is unreachable the limit fails open (logged): refusing
every tip because a cache is down would be worse than a short window without limits.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from app.core.config import Settings
from app.core.errors import RateLimited, Unauthorized

log = logging.getLogger("tinbao.ratelimit")

INTAKE = "intake"
TRACK_FAILURES = "track_failures"
LOGIN = "login"  # failed logins per client address and username together
LOGIN_USER = "login_user"  # failed logins per username, from any address (a higher ceiling)

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
            LOGIN_USER: parse(settings.rate_limit_login_user),
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
    # Behind trusted proxies, app.core.proxies has set request.client from their headers.
    return request.client.host if request.client else "unknown"


@asynccontextmanager
async def login_attempt(request: Request, username: str) -> AsyncIterator[None]:
    """Guard one login: refused (429) when this address has used up its failures for this
    username, or the username its (higher) ceiling; a failure (the login's 401) counts
    against both. A stranger's failures from another address therefore never lock a user
    out, unless they exceed the per-username ceiling. Usernames are keyed by hash."""
    limits: RateLimits = request.app.state.rate_limits
    user_key = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
    pair_key = f"{client_address(request)}|{user_key[:32]}"
    await limits.check(LOGIN, pair_key)
    await limits.check(LOGIN_USER, user_key[:32])
    try:
        yield
    except Unauthorized:
        await limits.hit(LOGIN, pair_key)
        await limits.hit(LOGIN_USER, user_key[:32])
        raise


def limit(name: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting one `name` event for the caller's address."""

    async def dependency(request: Request) -> None:
        await request.app.state.rate_limits.hit(name, client_address(request))

    return dependency
