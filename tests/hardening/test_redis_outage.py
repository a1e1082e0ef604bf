"""Redis down (a closed port) or silent (accepts, never answers): each worker falls back to its
own counters, so logins, wrong receipts and intake are still limited; a silent Redis costs one
short timeout, then nothing until the circuit retries; the fallback shows in /metrics; and the
shared counters come back when Redis does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.errors import RateLimited
from app.core.ratelimit import RateLimits
from tests.accounts.helpers import make_user
from tests.hardening.conftest import client_for, flush, running
from tests.hardening.server import bound_socket
from tests.tips.helpers import payload

WRONG_RECEIPT = {"X-Tip-Receipt": "K7QM-2X9P-4HTR-ZW8C-VN3D"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def silent_redis() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    held: list[Any] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(Exception):
            await reader.read(-1)

    server = await asyncio.start_server(hold, sock=bound_socket())
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/7"
    finally:
        for writer in held:
            writer.close()
        server.close()


@contextlib.asynccontextmanager
async def down_redis() -> AsyncIterator[str]:
    sock = bound_socket()  # bound, never listening: connections are refused
    try:
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/7"
    finally:
        sock.close()


OUTAGES = {"down": down_redis, "silent": silent_redis}


def fallback_metrics(api: Any) -> tuple[float, float]:
    from prometheus_client import REGISTRY

    gauge = REGISTRY.get_sample_value("tinbao_ratelimit_fallback") or 0.0
    decisions = REGISTRY.get_sample_value("tinbao_ratelimit_fallback_decisions_total") or 0.0
    return gauge, decisions


@pytest.mark.parametrize("outage", sorted(OUTAGES))
async def test_logins_are_limited_without_redis(app, db, settings, outage):
    user = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    async with (
        OUTAGES[outage]() as url,
        running(settings, redis_url=url, rate_limit_login="5/minute") as api,
        client_for(api) as client,
    ):
        _, decisions_before = fallback_metrics(api)
        form = {"username": user.username, "password": "wrong-password"}
        codes = [
            (await client.post("/api/v1/auth/token", data=form)).status_code for _ in range(30)
        ]
        assert codes[:5] == [401] * 5
        assert codes[5:] == [429] * 25  # today: 30 of 30 passed with Redis down
        gauge, decisions = fallback_metrics(api)
        assert gauge == 1
        assert decisions - decisions_before >= 30
        metrics = (await client.get("/metrics")).text
        assert "tinbao_ratelimit_fallback 1.0" in metrics


@pytest.mark.parametrize("outage", sorted(OUTAGES))
async def test_wrong_receipts_and_intake_are_limited_without_redis(app, settings, outage):
    changes = {"rate_limit_track_failures": "3/minute", "rate_limit_intake": "2/minute"}
    async with (
        OUTAGES[outage]() as url,
        running(settings, redis_url=url, **changes) as api,
        client_for(api) as client,
    ):
        codes = [
            (await client.get("/api/v1/track", headers=WRONG_RECEIPT)).status_code for _ in range(6)
        ]
        assert codes == [404] * 3 + [429] * 3
        codes = [(await client.post("/api/v1/tips", json=payload())).status_code for _ in range(4)]
        assert codes == [201, 201, 429, 429]


async def test_a_silent_redis_is_asked_once_per_retry_period(app, settings):
    """The circuit: after one timeout, Redis is not asked again until the retry period has
    passed (a controllable clock), so a silent Redis adds one short timeout, not one per
    request."""
    async with (
        silent_redis() as url,
        running(settings, redis_url=url, redis_retry_seconds=5.0) as api,
        client_for(api) as client,
    ):
        clock = Clock()
        limits = RateLimits(api.state.settings, clock=clock)
        api.state.rate_limits = limits
        asked = 0
        shared = limits.shared
        assert shared is not None
        original_hit = shared.hit

        async def counting_hit(*args: Any, **kwargs: Any) -> bool:
            nonlocal asked
            asked += 1
            return await original_hit(*args, **kwargs)

        shared.hit = counting_hit  # type: ignore[method-assign]
        for _ in range(5):
            assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        assert asked == 1
        clock.now += 5.0
        for _ in range(3):
            assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        assert asked == 2


async def test_shared_counters_come_back_with_redis(app, settings, redis_url):
    """Redis failing, then answering again (after the retry period): the counters are Redis's
    again — shared by every worker — and the fallback gauge drops to 0."""
    flush(redis_url)
    clock = Clock()
    try:
        async with running(settings, redis_url=redis_url, rate_limit_login="100/minute") as api:
            limits = RateLimits(api.state.settings, clock=clock)
            shared = limits.shared
            assert shared is not None
            real_hit = shared.hit

            async def broken(*args: Any, **kwargs: Any) -> bool:
                raise ConnectionError("redis went away")

            shared.hit = broken  # type: ignore[method-assign]
            await limits.hit("login", "203.0.113.9")
            assert fallback_metrics(api)[0] == 1
            shared.hit = real_hit  # type: ignore[method-assign]
            clock.now += limits.circuit.retry_seconds
            await limits.hit("login", "203.0.113.9")
            assert fallback_metrics(api)[0] == 0
            # Another worker reads Redis directly (no fallback): a timeout that a loaded
            # machine can meet.
            slow_ok = api.state.settings.model_copy(update={"redis_timeout_ms": 2000})
            other_worker = RateLimits(slow_ok)
            item = other_worker.items["login"]
            assert other_worker.shared is not None
            stats = await other_worker.shared.get_window_stats(item, "login", "203.0.113.9")
            assert stats.remaining == 99  # the hit after recovery, seen by another worker
    finally:
        flush(redis_url)


async def test_a_redis_failing_mid_window_does_not_split_the_count(app, settings, redis_url):
    """Two failed logins allowed per minute: the first counted while Redis answers, the second
    after it fails. The third attempt is refused — by memory, which counted both — and still
    is once Redis answers again (its own count missed the second)."""
    flush(redis_url)
    clock = Clock()
    key = "203.0.113.7|split"
    try:
        limits = RateLimits(
            settings.model_copy(update={"redis_url": redis_url, "rate_limit_login": "2/minute"}),
            clock=clock,
        )
        shared = limits.shared
        assert shared is not None
        real_hit = shared.hit

        async def broken(*args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("redis went away")

        await limits.hit("login", key)  # counted in Redis (and memory)
        shared.hit = broken  # type: ignore[method-assign]
        await limits.hit("login", key)  # Redis fails: memory only
        assert limits.circuit.open_until is not None
        with pytest.raises(RateLimited):
            await limits.check("login", key)
        shared.hit = real_hit  # type: ignore[method-assign]
        clock.now += limits.circuit.retry_seconds
        with pytest.raises(RateLimited):
            await limits.check("login", key)
        assert limits.circuit.open_until is None  # Redis was asked, and answered
    finally:
        flush(redis_url)
