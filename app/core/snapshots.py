"""Snapshots of small reference tables, cached per database for a short time.

Intake reads units, categories and places on every request; these change rarely (and through
the admin API or ``tinbao load-reference-data``, which invalidate the cache of their process).
Other worker processes pick a change up within the TTL.

One load at a time per database: when a snapshot expires under load, the first request that
sees it reloads it and the others keep the expired one until the new one is there (a few
hundred milliseconds later); with no snapshot at all (start-up, after an invalidation) they
wait for that one load. Without this, every concurrent request reloaded the ~17,000 rows of
places and units at once, every TTL: the worker's CPU and the whole pool went to the same
load, and intake answered in seconds, then 503 (bench/results/2026-12-01-intake-peer.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# TINBAO_REFERENCE_CACHE_SECONDS, set by create_app for every cache of the process (None: each
# cache's own default).
_ttl_override: float | None = None


def set_ttl(seconds: float | None) -> None:
    """Use ``seconds`` as every snapshot cache's lifetime in this process."""
    global _ttl_override
    _ttl_override = seconds


def ttl(default: float) -> float:
    return default if _ttl_override is None else _ttl_override


class SnapshotCache(Generic[T]):
    """``load(session)``'s result, kept per database URL for ``ttl_seconds``."""

    def __init__(self, load: Callable[[AsyncSession], Awaitable[T]], *, ttl_seconds: float):
        self._load = load
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, T]] = {}
        self._loading: dict[str, asyncio.Future[T]] = {}
        self._generation = 0  # invalidate() moves it: a load begun before does not stay

    async def get(self, session: AsyncSession) -> T:
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        while True:
            cached = self._entries.get(key)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            loading = self._loading.get(key)
            if loading is None:
                return await self._reload(key, session)
            if cached is not None:
                return cached[1]  # expired, being reloaded: the last one meanwhile
            try:
                return await asyncio.shield(loading)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not loading.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The request that was loading it went away: load it here instead.

    async def _reload(self, key: str, session: AsyncSession) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        generation = self._generation
        try:
            snapshot = await self._load(session)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # marked retrieved: nobody may be waiting for it
            raise
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
        if generation == self._generation:
            self._entries[key] = (time.monotonic() + ttl(self._ttl), snapshot)
        future.set_result(snapshot)
        return snapshot

    def invalidate(self) -> None:
        """Forget every snapshot (call after writing the tables it is made of)."""
        self._entries.clear()
        self._loading.clear()
        self._generation += 1
