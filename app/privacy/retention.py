"""Retention of reporter identities: erasing one (for a completed erasure request, or by
the scheduled purge) and the purge itself.

The identity of a tip closed longer than ``retention_reporter_days`` is purged by a scheduled
job (``purge_expired_reporters``); open tips are never purged. Each purge leaves an audit entry
holding ids and codes only, never the identity itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.config import Settings
from app.tips import notify_contact
from app.tips.models import ReporterIdentity, Tip
from app.triage.workflow import TERMINAL_STATUSES

PURGE_BATCH = 500


async def erase_identity(session: AsyncSession, *, tip_id: str, now: datetime) -> bool:
    """Remove the reporter identity's ciphertext (the row stays, with ``purged_at``) and the
    tip's notice contact (an identified reporter's own phone/e-mail is kept there too, so an
    erased reporter is told nothing more). True when the identity was erased."""
    await notify_contact.erase(session, tip_id=tip_id)
    result = await session.execute(
        update(ReporterIdentity)
        .where(ReporterIdentity.tip_id == tip_id, ReporterIdentity.ciphertext.is_not(None))
        .values(ciphertext=None, purged_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def purge_expired_reporters(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> int:
    """Purge the reporter identity of tips closed more than ``retention_reporter_days`` ago
    (at most ``PURGE_BATCH`` per run; the scheduler comes back for the rest). Open tips are
    never purged. One audit entry per purged identity; how many were purged is returned."""
    cutoff = now - timedelta(days=settings.retention_reporter_days)
    candidates: Sequence[tuple[str, str, str]] = (
        await session.execute(
            select(Tip.id, Tip.reference, Tip.assigned_unit_code)
            .join(ReporterIdentity, ReporterIdentity.tip_id == Tip.id)
            .where(
                ReporterIdentity.ciphertext.is_not(None),
                Tip.closed_at.is_not(None),
                Tip.closed_at < cutoff,
                Tip.status.in_([s.value for s in TERMINAL_STATUSES]),
            )
            .order_by(Tip.id)
            .limit(PURGE_BATCH)
        )
    ).all()  # type: ignore[assignment]
    purged = 0
    for tip_id, reference, unit_code in candidates:
        if not await erase_identity(session, tip_id=tip_id, now=now):
            continue  # erased meanwhile (a completed erasure request)
        purged += 1
        await audit.record(
            session,
            actor=None,
            action="reporter_identity.purged",
            object_type="tip",
            object_id=tip_id,
            reason="retention",
            data={
                "reference": reference,
                "unit_code": unit_code,
                "retention_days": settings.retention_reporter_days,
            },
        )
    await session.flush()
    return purged
