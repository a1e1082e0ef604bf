"""The reporter's follow-up with their receipt: the public view of the tip, the conversation
with the unit, and the files of that conversation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cursor import Str, decode_cursor, encode_cursor
from app.core.db import new_id
from app.core.errors import NotFound, msg
from app.core.i18n import Lang
from app.core.pagination import Page
from app.core.security import DataCipher
from app.core.time import as_utc, utcnow
from app.media import service as media_service
from app.media.models import Attachment
from app.media.schemas import AttachmentOut
from app.media.storage import MediaStorage
from app.media.upload import StagedFile
from app.tips.models import MessageDirection, PublicStatus, Tip, TipEvent, TipMessage, TipStatus
from app.tips.schemas import MessageOut, TimelineItem, TrackedTip, UnitRef
from app.tips.sealed import open_body, seal_body
from app.tips.status import PUBLIC_STATUS_MESSAGES, public_status_for
from app.tips.timeline import record_event
from app.units.models import PoliceUnit

# Timeline entries whose sentence is their own, not the public status's (app.core.messages).
_EVENT_MESSAGES = {
    "tip.acknowledged": "track.acknowledged",
    "tip.transferred": "track.handed_over",
    "tip.merged": "track.merged",
}
# How far /track follows merges (a merge target is never itself merged when it is chosen,
# but it may be merged later).
MAX_MERGE_HOPS = 10


def _timeline_message(event: TipEvent, lang: Lang) -> str:
    if event.public_message:
        return event.public_message
    key = _EVENT_MESSAGES.get(event.type)
    if key is not None:
        return msg(key).text(lang)
    vi, en = PUBLIC_STATUS_MESSAGES[event.public_status or PublicStatus.processing]
    return en if lang is Lang.en else vi


def _shown_status(event: TipEvent, current: str) -> PublicStatus:
    """A transfer's entry reads "processing" (older rows stored the new unit's "received")."""
    if event.type == "tip.transferred":
        return PublicStatus.processing
    return PublicStatus(event.public_status or current)


async def followed_tip(session: AsyncSession, tip: Tip) -> Tip:
    """The tip whose status the reporter follows: a merged tip's final target, else itself."""
    current = tip
    for _ in range(MAX_MERGE_HOPS):
        if current.status != TipStatus.merged or current.merged_into_id is None:
            break
        target = await session.get(Tip, current.merged_into_id)
        if target is None:
            break
        current = target
    return current


def public_status_of(tip: Tip) -> PublicStatus:
    """What /track shows: a tip handed on and waiting at its new unit is "processing"."""
    status = PublicStatus(public_status_for(tip.status))
    if status is PublicStatus.received and as_utc(tip.received_at) > as_utc(tip.created_at):
        return PublicStatus.processing  # received again by another unit: not a new receipt
    return status


async def _messages_out(
    session: AsyncSession, *, tip_id: str, messages: Sequence[TipMessage], cipher: DataCipher
) -> list[MessageOut]:
    attachments = await media_service.list_attachments(
        session, tip_id=tip_id, message_ids=[m.id for m in messages]
    )
    by_message: dict[str, list[AttachmentOut]] = {}
    for attachment in attachments:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(
                AttachmentOut.model_validate(attachment)
            )
    return [
        MessageOut(
            id=m.id,
            direction=MessageDirection(m.direction),
            body=open_body(m, cipher=cipher),
            at=m.created_at,
            attachments=by_message.get(m.id, []),
        )
        for m in messages
    ]


async def tracked_tip(
    session: AsyncSession, *, tip: Tip, lang: Lang, cipher: DataCipher
) -> TrackedTip:
    """The reporter's view of a tip: public timeline and the conversation only. A tip merged
    into another shows that tip's public status, unit, timeline and outcome summary (the
    conversation stays the reporter's own)."""
    shown = await followed_tip(session, tip)
    unit = await session.get(PoliceUnit, shown.assigned_unit_code)
    events = await session.scalars(
        select(TipEvent)
        .where(TipEvent.tip_id == shown.id, TipEvent.public.is_(True))
        .order_by(TipEvent.at, TipEvent.id)
    )
    messages = list(
        await session.scalars(
            select(TipMessage).where(TipMessage.tip_id == tip.id).order_by(TipMessage.id)
        )
    )
    own_files = await session.scalars(
        select(Attachment)
        .where(
            Attachment.tip_id == tip.id,
            Attachment.message_id.is_(None),
            Attachment.uploaded_by_staff.is_(False),
        )
        .order_by(Attachment.created_at, Attachment.id)
    )
    return TrackedTip(
        reference=tip.reference,
        category_code=tip.category_code,
        public_status=public_status_of(shown),
        assigned_unit=UnitRef(code=shown.assigned_unit_code, name=unit.name if unit else ""),
        created_at=tip.created_at,
        updated_at=max(as_utc(tip.updated_at), as_utc(shown.updated_at)),
        outcome_summary=shown.outcome_summary,
        timeline=[
            TimelineItem(
                at=e.at,
                public_status=_shown_status(e, public_status_for(shown.status)),
                message=_timeline_message(e, lang),
            )
            for e in events
        ],
        messages=await _messages_out(session, tip_id=tip.id, messages=messages, cipher=cipher),
        attachments=[AttachmentOut.model_validate(a) for a in own_files],
    )


async def list_messages(
    session: AsyncSession, *, tip: Tip, limit: int, cursor: str | None, cipher: DataCipher
) -> Page[MessageOut]:
    """The conversation, oldest first (message ids are time-ordered UUIDv7)."""
    query = select(TipMessage).where(TipMessage.tip_id == tip.id)
    if cursor:
        (after,) = decode_cursor(cursor, Str())
        query = query.where(TipMessage.id > after)
    rows = list(await session.scalars(query.order_by(TipMessage.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[MessageOut](
        items=await _messages_out(session, tip_id=tip.id, messages=rows, cipher=cipher),
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


async def add_reporter_message(
    session: AsyncSession,
    *,
    tip: Tip,
    body: str,
    files: Sequence[StagedFile],
    storage: MediaStorage,
    cipher: DataCipher,
    now: datetime | None = None,
) -> MessageOut:
    """The reporter adds information (text and files) to their tip; the unit sees it."""
    now = as_utc(now or utcnow())
    prepared = await media_service.prepare_files(files, storage=storage)
    message = TipMessage(
        id=new_id(),
        tip_id=tip.id,
        direction=MessageDirection.from_reporter.value,
        created_at=now,
        updated_at=now,
    )
    seal_body(message, body, cipher=cipher)
    session.add(message)
    await session.flush()
    attachments = media_service.add_attachments(
        session, tip_id=tip.id, prepared=prepared, message_id=message.id
    )
    record_event(
        session,
        tip=tip,
        type="tip.message_added",
        actor="reporter",
        at=now,
        data={
            "message_id": message.id,
            "direction": MessageDirection.from_reporter.value,
            "attachments": len(attachments),
        },
    )
    tip.updated_at = now
    await session.flush()
    return MessageOut(
        id=message.id,
        direction=MessageDirection.from_reporter,
        body=body,
        at=now,
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
    )


async def get_message_attachment(
    session: AsyncSession, *, tip: Tip, attachment_id: str
) -> Attachment:
    """A file of the conversation or one the reporter sent with the tip, for the reporter to
    download; the unit's internal files and anything else answer 404."""
    try:
        return await media_service.get_attachment(
            session, tip_id=tip.id, attachment_id=attachment_id, for_reporter=True
        )
    except NotFound:
        raise NotFound(msg("file_not_found")) from None
