"""Snapshots of small reference tables, cached per database for a short time.

Intake reads units, categories and places on every request; these change rarely (and through
the admin API or ``tinbao load-reference-data``, which invalidate the cache of their process).
Other worker processes pick a change up within the TTL.
"""

from __future__ import annotations

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

    async def get(self, session: AsyncSession) -> T:
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        now = time.monotonic()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        snapshot = await self._load(session)
        self._entries[key] = (now + ttl(self._ttl), snapshot)
        return snapshot

    def invalidate(self) -> None:
        """Forget every snapshot (call after writing the tables it is made of)."""
        self._entries.clear()
