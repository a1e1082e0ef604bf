"""Bounds on what a receipt holder may write: how often, and how much they may store.

Rate: every write through ``/track`` (messages, complaints, protection requests) counts once
against the receipt (``TINBAO_RATE_LIMIT_TRACK_MESSAGES``, keyed by the tip so a leaked
receipt cannot be used to flood the unit) and once against the client address
(``TINBAO_RATE_LIMIT_TRACK_MESSAGES_CLIENT``, over all receipts); over either, 429 with
Retry-After. Storage: the files the reporter stored on a tip (at intake and on messages, as
stored) plus those of the new message may not exceed ``TINBAO_MAX_TIP_STORED_BYTES``
(413 ``tip_storage_full``); staff files do not count.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import PayloadTooLarge, msg
from app.core.ratelimit import TRACK_WRITES, TRACK_WRITES_CLIENT, client_address
from app.media.models import Attachment
from app.media.upload import StagedFile
from app.tips.dependencies import ReceiptTip


class TipStorageFull(PayloadTooLarge):
    code = "tip_storage_full"


async def limit_track_writes(request: Request, tip: ReceiptTip) -> None:
    """A dependency: count one write for the receipt's tip and for the client address."""
    limits = request.app.state.rate_limits
    await limits.hit(TRACK_WRITES, tip.id)
    await limits.hit(TRACK_WRITES_CLIENT, client_address(request))


async def stored_reporter_bytes(session: AsyncSession, tip_id: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(
            Attachment.tip_id == tip_id, Attachment.uploaded_by_staff.is_(False)
        )
    )
    return int(total or 0)


async def ensure_room(
    session: AsyncSession, *, tip_id: str, files: Sequence[StagedFile], max_bytes: int
) -> None:
    """413 ``tip_storage_full`` when ``files`` would take the tip past ``max_bytes``."""
    incoming = sum(f.size for f in files)
    if not incoming:
        return
    if await stored_reporter_bytes(session, tip_id) + incoming > max_bytes:
        raise TipStorageFull(
            msg("track.storage_full", megabytes=max_bytes // (1024 * 1024)),
            extra={"max_bytes": max_bytes},
        )
