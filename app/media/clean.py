"""Every upload is cleaned before it is stored; what cannot be cleaned is refused.

One entry point, ``clean_upload``: images are re-encoded (``sanitize``), HEIC converted to
JPEG, PDFs rewritten without metadata, scripts or embedded files (``documents``), audio and
video re-muxed without tags (``av``). The work is blocking and may be heavy, so it runs in a
worker thread, at most ``MediaPolicy.concurrency`` at once per event loop (per worker process):
with the image memory budget, that bounds what uploads can make a worker hold
(``concurrency × image_memory_bytes``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import weakref
from pathlib import Path

import anyio

from app.media.av import AVRejected, remux_without_metadata
from app.media.documents import DocumentRejected, clean_pdf
from app.media.policy import MediaPolicy
from app.media.sanitize import ImageRejected, reencode_image
from app.media.sniff import MediaKind
from app.media.storage import CHUNK_SIZE


class CleaningRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "too_many_pixels", "too_much_memory", "undecodable" (image) or "uncleanable"
        self.reason = reason


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter(concurrency: int) -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(concurrency)
    elif limiter.total_tokens != concurrency:
        limiter.total_tokens = concurrency
    return limiter


def clean_file(source: Path, target: Path, kind: MediaKind, policy: MediaPolicy) -> None:
    """Write the clean version of ``source`` to ``target`` (blocking)."""
    try:
        if kind.cleaner == "pdf":
            clean_pdf(source, target)
        elif kind.cleaner == "av":
            assert kind.av_format is not None
            remux_without_metadata(source, target, kind.av_format)
        else:
            assert kind.image_format is not None
            output = kind.stored_kind.image_format
            assert output is not None
            reencode_image(source, target, kind.image_format, policy.image, output_format=output)
    except ImageRejected as exc:
        raise CleaningRejected(exc.reason) from None
    except (DocumentRejected, AVRejected):
        raise CleaningRejected("uncleanable") from None


def _finish(target: Path) -> tuple[str, int]:
    os.chmod(target, 0o600)
    digest = hashlib.sha256()
    size = 0
    with target.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _clean_and_hash(
    source: Path, target: Path, kind: MediaKind, policy: MediaPolicy
) -> tuple[str, int]:
    clean_file(source, target, kind, policy)
    return _finish(target)


async def clean_upload(
    source: Path, target: Path, kind: MediaKind, policy: MediaPolicy
) -> tuple[str, int]:
    """Clean ``source`` into ``target`` in a worker thread, at most ``policy.concurrency`` at
    once; returns (sha256, size) of the clean file. Raises ``CleaningRejected``."""
    async with _limiter(policy.concurrency):
        return await anyio.to_thread.run_sync(_clean_and_hash, source, target, kind, policy)
