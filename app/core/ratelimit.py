"""Rate limits per client address, with the `limits` library.

In memory by default (one worker); in Redis when TINBAO_REDIS_URL is set, so that several
workers share the counters. If Redis is down or silent, each worker falls back to its own
in-memory counters (degraded: a client spread over N workers gets up to N times the limit, but
logins and wrong receipts are still limited). Every hit is also counted in the worker's memory,
while Redis answers too, and a request is refused when either count is used up: a Redis that
fails (or comes back) in the middle of a window never splits one client's count between the two
stores, so within one worker the limit holds exactly across the switch. Redis is asked with a
short timeout (TINBAO_REDIS_TIMEOUT_MS) and, after a failure, not again for
TINBAO_REDIS_RETRY_SECONDS (a circuit): a hung Redis adds at most one timeout per worker per
retry period. The gauge ``tinbao_ratelimit_fallback`` is 1 while a worker counts in memory; the
counter ``tinbao_ratelimit_fallback_decisions_total`` counts the decisions taken there.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from prometheus_client import Counter, Gauge

from app.core.config import Settings
from app.core.errors import RateLimited, Unauthorized, msg

log = logging.getLogger("tinbao.ratelimit")

INTAKE = "intake"
TRACK_FAILURES = "track_failures"
LOGIN = "login"  # failed logins per client address and username together
LOGIN_USER = "login_user"  # failed logins per username, from any address (a higher ceiling)
TRACK_WRITES = "track_writes"  # what a reporter writes, per receipt (keyed by the tip's id)
TRACK_WRITES_CLIENT = "track_writes_client"  # the same, per client address

FALLBACK = Gauge(
    "tinbao_ratelimit_fallback", "1 while this worker counts rate limits in memory: Redis failed"
)
FALLBACK_DECISIONS = Counter(
    "tinbao_ratelimit_fallback_decisions",
    "Rate-limit decisions taken in memory because Redis failed",
)


class Circuit:
    """Closed: use Redis. Open (after a failure): use memory until ``retry_seconds`` have
    passed, then try Redis again once (success closes it, failure opens it again)."""

    def __init__(self, retry_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.open_until: float | None = None

    @property
    def allows(self) -> bool:
        return self.open_until is None or self.clock() >= self.open_until

    def succeeded(self) -> None:
        if self.open_until is not None:
            log.warning("rate limits: Redis answers again, counting there")
            self.open_until = None
            FALLBACK.set(0)

    def failed(self, exc: BaseException) -> None:
        if self.open_until is None:
            log.warning(
                "rate limits: Redis unavailable (%s), counting in this worker's memory",
                type(exc).__name__,
            )
        self.open_until = self.clock() + self.retry_seconds
        FALLBACK.set(1)


class RateLimits:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.memory = FixedWindowRateLimiter(storage_from_string("async+memory://"))
        self.shared: FixedWindowRateLimiter | None = None
        self.timeout = settings.redis_timeout_ms / 1000
        if settings.redis_url:
            storage = storage_from_string(
                "async+" + settings.redis_url,
                implementation="redispy",
                key_prefix="tinbao",
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
            )
            self.shared = FixedWindowRateLimiter(storage)
        self.circuit = Circuit(settings.redis_retry_seconds, clock)
        self.items: dict[str, RateLimitItem] = {
            INTAKE: parse(settings.rate_limit_intake),
            TRACK_FAILURES: parse(settings.rate_limit_track_failures),
            LOGIN: parse(settings.rate_limit_login),
            LOGIN_USER: parse(settings.rate_limit_login_user),
            TRACK_WRITES: parse(settings.rate_limit_track_messages),
            TRACK_WRITES_CLIENT: parse(settings.rate_limit_track_messages_client),
        }

    async def _limiter(
        self, call: Callable[[FixedWindowRateLimiter], Awaitable[bool]]
    ) -> tuple[bool, FixedWindowRateLimiter]:
        """``call`` on this worker's memory always, and on Redis while it answers; allowed only
        when both allow (memory alone while Redis fails). The refusing store is returned."""
        local = await call(self.memory)
        if self.shared is not None and self.circuit.allows:
            try:
                # The socket timeouts bound each read; this bounds the whole call (retries).
                with anyio.fail_after(self.timeout * 3):
                    shared = await call(self.shared)
            except Exception as exc:
                self.circuit.failed(exc)
            else:
                self.circuit.succeeded()
                return (False, self.shared) if not shared else (local, self.memory)
        if self.shared is not None:
            FALLBACK_DECISIONS.inc()
        return local, self.memory

    async def _retry_after(
        self, limiter: FixedWindowRateLimiter, item: RateLimitItem, name: str, key: str
    ) -> int:
        try:
            with anyio.fail_after(self.timeout * 3):
                stats = await limiter.get_window_stats(item, name, key)
            return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            return item.get_expiry()

    async def hit(self, name: str, key: str) -> None:
        """Count one event; over the limit → 429 rate_limited with Retry-After."""
        item = self.items[name]
        allowed, limiter = await self._limiter(lambda lim: lim.hit(item, name, key))
        if not allowed:
            await self._refuse(limiter, item, name, key)

    async def check(self, name: str, key: str) -> None:
        """Refuse if the limit is already used up, without counting (failures count later)."""
        item = self.items[name]
        allowed, limiter = await self._limiter(lambda lim: lim.test(item, name, key))
        if not allowed:
            await self._refuse(limiter, item, name, key)

    async def _refuse(
        self, limiter: FixedWindowRateLimiter, item: RateLimitItem, name: str, key: str
    ) -> None:
        retry_after = await self._retry_after(limiter, item, name, key)
        raise RateLimited(
            msg("rate_limit.exceeded"),
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
