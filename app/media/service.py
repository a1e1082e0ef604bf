"""Attachments: identify uploads by content, sanitise, store content-addressed, serve."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import quote

import anyio
from fastapi.responses import StreamingResponse
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import new_id
from app.core.errors import Message, NotFound, PayloadTooLarge, UnsupportedMediaType, msg
from app.core.rows import Rows
from app.media.clean import CleaningRejected, clean_upload
from app.media.models import Attachment
from app.media.policy import ImagePolicy, MediaPolicy
from app.media.sniff import MediaKind, decide_kind
from app.media.storage import CHUNK_SIZE, MediaStorage
from app.media.upload import StagedFile, UploadLimits

ALLOWED_TYPES_TEXT = "JPEG, PNG, WebP, HEIC, PDF, MP4, MOV, M4A, MP3, AAC, WAV"
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}  # controls, bidi overrides, unassigned
_UNSAFE_CHARS = set('/\\:*?"<>|')
MAX_STEM_CHARS = 120


def storage_for(settings: Settings) -> MediaStorage:
    policy = MediaPolicy(
        image=ImagePolicy(
            max_pixels=settings.media_max_image_pixels,
            memory_bytes=settings.media_image_memory_bytes,
        ),
        concurrency=settings.media_clean_concurrency,
    )
    return MediaStorage(settings.media_dir, policy)


def upload_limits(settings: Settings) -> UploadLimits:
    return UploadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_total_bytes=settings.max_tip_bytes,
        max_files=settings.max_files_per_tip,
        max_field_bytes=settings.max_json_bytes,
    )


def _split_name(raw: str) -> tuple[str, str]:
    """(stem, extension with its dot, lower-case) of a client's file name, made safe."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if ch in _UNSAFE_CHARS else ch
        for ch in name
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or " " in ext or len(ext) > 8:
        return name, ""
    return stem.rstrip(" ."), "." + ext.lower()


def safe_filename(raw: str, kind: MediaKind) -> str:
    """The name shown and offered on download: no path, no control or bidi characters, and
    an extension that matches the stored content."""
    stem, ext = _split_name(raw)
    if ext not in kind.extensions:
        ext = kind.extensions[0]
    stem = stem[:MAX_STEM_CHARS].rstrip(" .") or "tep-dinh-kem"
    return stem + ext


_REJECT_MESSAGES: dict[str, Message] = {
    "type": msg("media.type_refused", accepted=ALLOWED_TYPES_TEXT),
    "declared": msg("media.declared_mismatch"),
    "extension": msg("media.extension_mismatch"),
    "undecodable": msg("media.undecodable"),
    "uncleanable": msg("media.uncleanable"),
}


def identify_uploads(files: Sequence[StagedFile], *, field: str = "files") -> None:
    """Decide each file's type from its content (sets ``kind``); 415 when any is refused."""
    errors: list[tuple[str, Message]] = []
    for staged in files:
        _, ext = _split_name(staged.filename)
        kind, reason = decide_kind(staged.head, declared_type=staged.declared_type, extension=ext)
        if kind is None:
            errors.append((f"{field}[{staged.index}]", _REJECT_MESSAGES[reason or "type"]))
        staged.kind = kind
    if errors:
        raise UnsupportedMediaType(msg("media.files_refused"), errors=errors)


def _too_large(staged: StagedFile, reason: str, policy: ImagePolicy) -> PayloadTooLarge:
    field = f"files[{staged.index}]"
    if reason == "too_many_pixels":
        pixels = policy.max_pixels
        return PayloadTooLarge(
            msg("media.too_many_pixels", max_pixels=pixels),
            errors=[(field, msg("media.pixels_item", max_pixels=pixels))],
        )
    mib = policy.memory_bytes // (1024 * 1024)
    return PayloadTooLarge(
        msg("media.too_much_memory", mib=mib), errors=[(field, msg("media.memory_item", mib=mib))]
    )


async def _store_one(staged: StagedFile, storage: MediaStorage) -> tuple[str, int]:
    """Clean the upload into a new temp file and store that; never the file as received."""
    kind = staged.kind
    assert kind is not None
    clean_path = storage.new_temp_path()
    try:
        sha256, size = await clean_upload(staged.temp_path, clean_path, kind, storage.policy)
        await anyio.to_thread.run_sync(storage.store, clean_path, sha256)
    except CleaningRejected as exc:
        if exc.reason in {"too_many_pixels", "too_much_memory"}:
            raise _too_large(staged, exc.reason, storage.policy.image) from None
        message = _REJECT_MESSAGES["uncleanable" if exc.reason == "uncleanable" else "undecodable"]
        raise UnsupportedMediaType(errors=[(f"files[{staged.index}]", message)]) from None
    finally:
        await anyio.to_thread.run_sync(partial(clean_path.unlink, missing_ok=True))
    return sha256, size


@dataclass(frozen=True)
class PreparedFile:
    """A file sanitised and stored, waiting for its Attachment row."""

    filename: str
    content_type: str
    size: int
    sha256: str


async def prepare_files(
    files: Sequence[StagedFile], *, storage: MediaStorage
) -> list[PreparedFile]:
    """Sanitise and store identified uploads (``identify_uploads`` first).

    Images are re-encoded (metadata dropped), so the stored hash and size are those of the
    clean file. Blobs are written before any transaction commits (see media.storage). Call
    this before writing rows, so no database lock is held while images are re-encoded.
    """
    prepared: list[PreparedFile] = []
    for staged in files:
        assert staged.kind is not None, "identify_uploads first"
        sha256, size = await _store_one(staged, storage)
        prepared.append(
            PreparedFile(
                filename=safe_filename(staged.filename, staged.kind.stored_kind),
                content_type=staged.kind.stored_kind.content_type,
                size=size,
                sha256=sha256,
            )
        )
    return prepared


def _new_attachments(
    *,
    tip_id: str,
    prepared: Sequence[PreparedFile],
    message_id: str | None,
    uploaded_by_staff: bool,
) -> list[Attachment]:
    return [
        Attachment(
            id=new_id(),
            tip_id=tip_id,
            message_id=message_id,
            filename=p.filename,
            content_type=p.content_type,
            size=p.size,
            sha256=p.sha256,
            uploaded_by_staff=uploaded_by_staff,
        )
        for p in prepared
    ]


def add_attachments(
    session: AsyncSession,
    *,
    tip_id: str,
    prepared: Sequence[PreparedFile],
    message_id: str | None = None,
    uploaded_by_staff: bool = False,
) -> list[Attachment]:
    """Add the Attachment rows of prepared files to the session (not flushed)."""
    attachments = _new_attachments(
        tip_id=tip_id, prepared=prepared, message_id=message_id, uploaded_by_staff=uploaded_by_staff
    )
    session.add_all(attachments)
    return attachments


# Intake's attachments go in by a Core INSERT (app.core.rows): no unit of work.
_ATTACHMENT_ROWS = Rows(Attachment)


async def insert_attachments(
    session: AsyncSession,
    *,
    tip_id: str,
    prepared: Sequence[PreparedFile],
    uploaded_by_staff: bool = False,
) -> list[Attachment]:
    """Insert the Attachment rows of prepared files (one multi-row Core INSERT, never through
    the session); answers them as objects that are not in the session, defaults filled."""
    attachments = _new_attachments(
        tip_id=tip_id, prepared=prepared, message_id=None, uploaded_by_staff=uploaded_by_staff
    )
    if attachments:
        rows = [_ATTACHMENT_ROWS.row_of(attachment) for attachment in attachments]
        await session.execute(_ATTACHMENT_ROWS.insert, rows)
    return attachments


async def store_attachments(
    session: AsyncSession,
    *,
    storage: MediaStorage,
    tip_id: str,
    files: Sequence[StagedFile],
    message_id: str | None = None,
    uploaded_by_staff: bool = False,
) -> list[Attachment]:
    """``prepare_files`` and ``add_attachments`` in one step; flushes."""
    prepared = await prepare_files(files, storage=storage)
    attachments = add_attachments(
        session,
        tip_id=tip_id,
        prepared=prepared,
        message_id=message_id,
        uploaded_by_staff=uploaded_by_staff,
    )
    await session.flush()
    return attachments


async def list_attachments(
    session: AsyncSession, *, tip_id: str, message_ids: Sequence[str] | None = None
) -> list[Attachment]:
    """A tip's attachments in upload order; with ``message_ids``, only those messages' files."""
    query = select(Attachment).where(Attachment.tip_id == tip_id)
    if message_ids is not None:
        if not message_ids:
            return []
        query = query.where(Attachment.message_id.in_(message_ids))
    result = await session.scalars(query.order_by(Attachment.created_at, Attachment.id))
    return list(result)


async def get_attachment(
    session: AsyncSession, *, tip_id: str, attachment_id: str, for_reporter: bool = False
) -> Attachment:
    """One attachment of one tip, or 404 (an id of another tip is simply not found).

    ``for_reporter``: only what the reporter may download — files of the conversation (theirs
    and the unit's messages to them) and the files they sent with the tip; never a unit's
    internal file (on the tip, not in a message)."""
    query = select(Attachment).where(Attachment.id == attachment_id, Attachment.tip_id == tip_id)
    if for_reporter:
        query = query.where(
            or_(Attachment.message_id.is_not(None), Attachment.uploaded_by_staff.is_(False))
        )
    attachment = await session.scalar(query)
    if attachment is None:
        raise NotFound(msg("media.attachment_not_found"))
    return attachment


def content_disposition(filename: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\;')
    ascii_name = ascii_name.strip() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def stream_download(attachment: Attachment, *, storage: MediaStorage) -> StreamingResponse:
    """The attachment's bytes as a download: never rendered inline, never sniffed."""
    exists = await anyio.to_thread.run_sync(storage.exists, attachment.sha256)
    if not exists:
        raise NotFound(msg("media.file_gone"))
    path = storage.blob_path(attachment.sha256)

    async def chunks() -> AsyncIterator[bytes]:
        async with await anyio.open_file(path, "rb") as f:
            while chunk := await f.read(CHUNK_SIZE):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def purge_orphan_blobs(
    session: AsyncSession, *, storage: MediaStorage, older_than: timedelta = timedelta(days=1)
) -> int:
    """Remove stored files that no attachment references (left by failed transactions) once
    older than ``older_than``; returns how many were removed. For the scheduler."""
    referenced = set(await session.scalars(select(Attachment.sha256).distinct()))
    return await anyio.to_thread.run_sync(
        lambda: storage.remove_orphans(referenced, older_than_seconds=older_than.total_seconds())
    )
