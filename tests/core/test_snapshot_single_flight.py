"""Snapshot caches load once per database at a time: concurrent requests never stampede."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.core import snapshots
from app.core.snapshots import SnapshotCache


class FakeSession:
    """What SnapshotCache needs of a session: the engine's URL."""

    def __init__(self, url: str = "sqlite:///x.db") -> None:
        class _Url:
            def render_as_string(self, hide_password: bool = True) -> str:
                return url

        class _Engine:
            pass

        engine = _Engine()
        engine.url = _Url()  # type: ignore[attr-defined]

        class _Bind:
            pass

        self._bind = _Bind()
        self._bind.engine = engine  # type: ignore[attr-defined]

    def get_bind(self) -> Any:
        return self._bind


class GatedLoad:
    """A load that counts its calls and finishes when the test opens the gate."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.fail: Exception | None = None

    async def __call__(self, _session: Any) -> int:
        self.calls += 1
        number = self.calls
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return number


@pytest.fixture(autouse=True)
def _default_ttl() -> Any:
    snapshots.set_ttl(None)
    yield
    snapshots.set_ttl(None)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_cold_cache_loads_once_for_every_concurrent_caller() -> None:
    load = GatedLoad()
    cache = SnapshotCache(load, ttl_seconds=30)
    callers = [asyncio.create_task(cache.get(FakeSession())) for _ in range(32)]  # type: ignore[arg-type]
    await _settle()
    assert load.calls == 1
    load.gate.set()
    assert await asyncio.gather(*callers) == [1] * 32
    assert load.calls == 1


async def test_expired_snapshot_is_served_while_one_caller_reloads(monkeypatch: Any) -> None:
    now = [1000.0]
    monkeypatch.setattr(snapshots.time, "monotonic", lambda: now[0])
    load = GatedLoad()
    load.gate.set()
    cache = SnapshotCache(load, ttl_seconds=30)
    session: Any = FakeSession()
    assert await cache.get(session) == 1
    now[0] += 31  # expired
    load.gate.clear()
    reloading = asyncio.create_task(cache.get(session))
    await _settle()
    # Everyone else gets the expired snapshot at once, without a second load.
    assert [await cache.get(session) for _ in range(10)] == [1] * 10
    assert load.calls == 2
    load.gate.set()
    assert await reloading == 2
    assert await cache.get(session) == 2
    assert load.calls == 2


async def test_a_failed_load_reaches_its_waiters_and_the_next_call_retries() -> None:
    load = GatedLoad()
    load.fail = RuntimeError("database gone")
    cache = SnapshotCache(load, ttl_seconds=30)
    session: Any = FakeSession()
    callers = [asyncio.create_task(cache.get(session)) for _ in range(3)]
    await _settle()
    load.gate.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert load.calls == 1
    load.fail = None
    assert await cache.get(session) == 2


async def test_waiters_load_themselves_when_the_loading_request_is_cancelled() -> None:
    load = GatedLoad()
    cache = SnapshotCache(load, ttl_seconds=30)
    session: Any = FakeSession()
    first = asyncio.create_task(cache.get(session))
    await _settle()
    waiter = asyncio.create_task(cache.get(session))
    await _settle()
    first.cancel()
    await _settle()
    assert load.calls == 2  # the waiter took over
    load.gate.set()
    assert await waiter == 2
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_invalidate_during_a_load_does_not_keep_the_old_rows() -> None:
    load = GatedLoad()
    cache = SnapshotCache(load, ttl_seconds=30)
    session: Any = FakeSession()
    loading = asyncio.create_task(cache.get(session))
    await _settle()
    cache.invalidate()  # an admin wrote the tables meanwhile
    load.gate.set()
    assert await loading == 1
    assert await cache.get(session) == 2  # loaded again, after the write
