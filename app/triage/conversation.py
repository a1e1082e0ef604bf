"""The staff side of the conversation with the reporter (shown on /track)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.cursor import Str, decode_cursor, encode_cursor
from app.core.db import new_id
from app.core.principal import Principal
from app.core.security import DataCipher
from app.core.time import utcnow
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.media.storage import MediaStorage
from app.media.upload import StagedFile
from app.tips.models import (
    MessageDirection,
    Tip,
    TipMessage,
)
from app.tips.sealed import open_body, seal_body
from app.tips.timeline import record_event
from app.triage.schemas import (
    MessageOut,
    MessagePage,
    UserRef,
)
from app.triage.updates import apply_guarded, first_response


async def _message_outs(
    session: AsyncSession, *, tip: Tip, messages: Sequence[TipMessage], cipher: DataCipher
) -> list[MessageOut]:
    files = await media.list_attachments(
        session, tip_id=tip.id, message_ids=[m.id for m in messages]
    )
    by_message: dict[str, list[AttachmentOut]] = {}
    for attachment in files:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(
                AttachmentOut.model_validate(attachment)
            )
    author_ids = {m.author_id for m in messages if m.author_id}
    authors: dict[str, User] = {}
    if author_ids:
        authors = {
            u.id: u for u in await session.scalars(select(User).where(User.id.in_(author_ids)))
        }
    out = []
    for m in messages:
        author = authors.get(m.author_id) if m.author_id else None
        out.append(
            MessageOut(
                id=m.id,
                direction=m.direction,
                body=open_body(m, cipher=cipher),
                at=m.created_at,
                author=UserRef(id=author.id, full_name=author.full_name) if author else None,
                attachments=by_message.get(m.id, []),
            )
        )
    return out


async def list_messages(
    session: AsyncSession, *, tip: Tip, limit: int, cursor: str | None, cipher: DataCipher
) -> MessagePage:
    """The conversation with the reporter, oldest first (message ids are time-ordered)."""
    query = select(TipMessage).where(TipMessage.tip_id == tip.id)
    if cursor:
        (after,) = decode_cursor(cursor, Str())
        query = query.where(TipMessage.id > after)
    rows = list(await session.scalars(query.order_by(TipMessage.id).limit(limit + 1)))
    page = rows[:limit]
    return MessagePage(
        items=await _message_outs(session, tip=tip, messages=page, cipher=cipher),
        next_cursor=encode_cursor([page[-1].id]) if len(rows) > limit and page else None,
    )


async def add_message(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal,
    body: str,
    cipher: DataCipher,
    files: Sequence[StagedFile] = (),
    storage: MediaStorage | None = None,
) -> MessageOut:
    """Write to the reporter: shown on /track, with ``files`` (identified uploads) the reporter
    may download. Allowed on closed tips too (after ``not_prosecuted`` the reporter may
    complain within 15 days; the channel stays open)."""
    prepared: list[media.PreparedFile] = []
    if files:
        assert storage is not None, "files need the storage"
        prepared = await media.prepare_files(files, storage=storage)  # before rows are written
    now = utcnow()
    message = TipMessage(
        id=new_id(),
        tip_id=tip.id,
        direction=MessageDirection.to_reporter,
        author_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    seal_body(message, body, cipher=cipher)
    session.add(message)
    await session.flush()
    attachments = media.add_attachments(
        session, tip_id=tip.id, prepared=prepared, message_id=message.id, uploaded_by_staff=True
    )
    await apply_guarded(session, tip, [], first_response(tip, now))
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.message_added",
        at=now,
        data={
            "message_id": message.id,
            "direction": MessageDirection.to_reporter.value,
            "attachments": len(attachments),
        },
    )
    await session.flush()
    return (await _message_outs(session, tip=tip, messages=[message], cipher=cipher))[0]
