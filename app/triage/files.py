"""Staff files on a tip: verification photos, a scanned signed record, a hotline recording.

Cleaned and stored as intake files are (app.media.service); listed on the record with
``uploaded_by: staff``. These are internal: the reporter downloads only the files the unit
attaches to a message to them (app.triage.conversation), never these.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.core.time import utcnow
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.media.storage import MediaStorage
from app.media.upload import StagedFile
from app.tips.models import Tip
from app.tips.timeline import record_event


async def add_staff_files(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal,
    files: Sequence[StagedFile],
    storage: MediaStorage,
) -> list[AttachmentOut]:
    """Attach identified uploads to the tip as the unit's internal files (an internal
    ``tip.attachment_added`` timeline entry records who added what)."""
    prepared = await media.prepare_files(files, storage=storage)  # before any row is written
    now = utcnow()
    attachments = media.add_attachments(
        session, tip_id=tip.id, prepared=prepared, uploaded_by_staff=True
    )
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.attachment_added",
        at=now,
        data={"attachment_ids": [a.id for a in attachments]},
    )
    tip.updated_at = now
    await session.flush()
    return [AttachmentOut.model_validate(a) for a in attachments]
