"""Fixtures for the hardening tests: Redis for shared rate limits, apps with other settings."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis

from app.core.config import Settings
from app.main import create_app
from tests import needs


def reachable_redis_url() -> str:
    """TINBAO_TEST_REDIS_URL: a Redis database of the test run's own (it is flushed by the
    tests), e.g. redis://127.0.0.1:6379/3. There is no default database number. Without it,
    or when Redis does not answer, the test is skipped outside CI and fails in CI (tests.needs)."""
    url = os.environ.get("TINBAO_TEST_REDIS_URL", "")
    if not url:
        needs.unavailable("TINBAO_TEST_REDIS_URL is not set: Redis test")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        needs.unavailable(f"Redis does not answer at {url} ({type(exc).__name__})")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return reachable_redis_url()


def flush(url: str) -> None:
    redis.Redis.from_url(url).flushdb()


@pytest.fixture(params=["memory", "redis"])
def limits_backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for in-memory counters, or the Redis URL (its test database flushed around the
    test)."""
    if request.param == "memory":
        yield None
        return
    url = request.getfixturevalue("redis_url")
    flush(url)
    yield url
    flush(url)


@asynccontextmanager
async def running(settings: Settings, **changes: Any) -> AsyncIterator[Any]:
    """An app on the test database with some settings changed, started and stopped."""
    application = create_app(settings.model_copy(update=changes))
    async with application.router.lifespan_context(application):
        yield application


def client_for(
    application: Any, address: str = "127.0.0.1", *, raise_app_exceptions: bool = True
) -> httpx.AsyncClient:
    """A client calling ``application`` in-process from ``address``. Starlette re-raises an
    unhandled exception after sending the 500 answer: ``raise_app_exceptions=False`` to see
    the answer, as a real client would."""
    transport = httpx.ASGITransport(
        app=application, client=(address, 40000), raise_app_exceptions=raise_app_exceptions
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
