"""Request bodies read as streams, with limits enforced while the bytes arrive.

``read_multipart`` feeds the body chunk by chunk to python-multipart's push parser. Small parts
(the ``tip`` or ``message`` JSON) are kept in memory up to a cap; file parts are written to
temporary files under the media directory (in a worker thread) while their SHA-256 is computed,
so an upload is never held whole in memory and an oversize one is refused as soon as it crosses
a limit. Temporary files are removed on every failure path; the caller removes them after use
(``ParsedUpload.cleanup``).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.core.body_limits import declared_length
from app.core.errors import AppError, PayloadTooLarge, ValidationFailed
from app.core.messages import msg
from app.media.sniff import SNIFF_BYTES, MediaKind
from app.media.storage import MediaStorage

# Multipart framing (boundaries, part headers) allowed on top of the payload caps.
MULTIPART_OVERHEAD = 64 * 1024
# RFC 2046 allows 70 characters; the parser takes up to 256, and so do we.
MAX_BOUNDARY_CHARS = 256


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int
    max_total_bytes: int  # all files of one request together
    max_files: int
    max_field_bytes: int  # each non-file part (the JSON document)

    @property
    def max_request_bytes(self) -> int:
        return self.max_total_bytes + self.max_field_bytes + MULTIPART_OVERHEAD


@dataclass
class StagedFile:
    """One uploaded file, streamed to a temporary file, not yet checked or stored."""

    index: int
    filename: str  # as sent (unsanitised); see media.service.safe_filename
    declared_type: str  # lower-case, without parameters; "" when none was sent
    temp_path: Path
    size: int = 0
    sha256: str = ""  # of the bytes as uploaded
    head: bytes = b""
    kind: MediaKind | None = None  # set once the content has been identified


@dataclass
class ParsedUpload:
    fields: dict[str, bytes] = field(default_factory=dict)
    files: list[StagedFile] = field(default_factory=list)

    async def cleanup(self) -> None:
        paths = [f.temp_path for f in self.files]
        if paths:
            await anyio.to_thread.run_sync(_unlink_all, paths)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def read_body_limited(
    stream: AsyncIterator[bytes], *, content_length: int | None, max_bytes: int
) -> bytes:
    """A whole small body (JSON), refused with 413 as soon as it exceeds ``max_bytes``."""
    message = msg("media.body_too_large", max_bytes=max_bytes)
    if content_length is not None and content_length > max_bytes:
        raise PayloadTooLarge(message)
    body = bytearray()
    async for chunk in stream:
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(message)
    return bytes(body)


def normalise_content_type(value: str | bytes | None) -> str:
    if not value:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value.split(";", 1)[0].strip().lower()


def _decode_header(value: bytes) -> str:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    return unicodedata.normalize("NFC", text)


class _PartState:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.header_name = b""
        self.header_value = b""
        self.name = ""
        self.file: StagedFile | None = None
        self.data = bytearray()


class _MultipartReader:
    def __init__(
        self,
        *,
        storage: MediaStorage,
        limits: UploadLimits,
        field_names: frozenset[str],
        file_field: str,
    ) -> None:
        self.storage = storage
        self.limits = limits
        self.field_names = field_names
        self.file_field = file_field
        self.result = ParsedUpload()
        self.part = _PartState()
        self.total_file_bytes = 0
        self.finished = False
        # File data to write after the parser returns, in a worker thread.
        self.pending: list[tuple[StagedFile, bytes]] = []
        self.handles: dict[int, IO[bytes]] = {}
        self.hashers: dict[int, hashlib._Hash] = {}

    # python-multipart callbacks (synchronous, cheap: no I/O here)
    def on_part_begin(self) -> None:
        self.part = _PartState()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]
        if len(self.part.header_value) > 8192:
            raise ValidationFailed(msg("media.multipart_header_too_long"))

    def on_header_end(self) -> None:
        self.part.headers[self.part.header_name.strip().lower()] = self.part.header_value.strip()
        self.part.header_name = b""
        self.part.header_value = b""

    def on_headers_finished(self) -> None:
        disposition = self.part.headers.get(b"content-disposition")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise ValidationFailed(msg("media.multipart_part_unnamed"))
        name = _decode_header(options[b"name"])
        self.part.name = name
        if name == self.file_field:
            index = len(self.result.files)
            if index >= self.limits.max_files:
                raise PayloadTooLarge(msg("media.too_many_files", max_files=self.limits.max_files))
            staged = StagedFile(
                index=index,
                filename=_decode_header(options.get(b"filename", b"")),
                declared_type=normalise_content_type(self.part.headers.get(b"content-type")),
                temp_path=self.storage.new_temp_path(),
            )
            self.result.files.append(staged)
            self.hashers[index] = hashlib.sha256()
            self.part.file = staged
        elif name not in self.field_names:
            raise ValidationFailed(errors=[(name, msg("multipart.unexpected_part"))])
        elif name in self.result.fields:
            raise ValidationFailed(errors=[(name, msg("multipart.part_once"))])

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        staged = self.part.file
        if staged is None:
            if len(self.part.data) + len(chunk) > self.limits.max_field_bytes:
                raise PayloadTooLarge(
                    msg(
                        "media.part_too_large",
                        name=self.part.name,
                        max_bytes=self.limits.max_field_bytes,
                    )
                )
            self.part.data += chunk
            return
        staged.size += len(chunk)
        self.total_file_bytes += len(chunk)
        if staged.size > self.limits.max_file_bytes:
            raise PayloadTooLarge(msg("media.file_too_large", max_bytes=self.limits.max_file_bytes))
        if self.total_file_bytes > self.limits.max_total_bytes:
            raise PayloadTooLarge(
                msg("media.files_too_large", max_bytes=self.limits.max_total_bytes)
            )
        if len(staged.head) < SNIFF_BYTES:
            staged.head += chunk[: SNIFF_BYTES - len(staged.head)]
        self.pending.append((staged, chunk))

    def on_part_end(self) -> None:
        if self.part.file is None and self.part.name in self.field_names:
            self.result.fields.setdefault(self.part.name, bytes(self.part.data))

    def on_end(self) -> None:
        self.finished = True

    # Blocking work, in a worker thread
    def flush_pending(self, pending: list[tuple[StagedFile, bytes]]) -> None:
        for staged, chunk in pending:
            handle = self.handles.get(staged.index)
            if handle is None:
                fd = os.open(staged.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                handle = self.handles[staged.index] = os.fdopen(fd, "wb")
            handle.write(chunk)
            self.hashers[staged.index].update(chunk)

    def close_files(self) -> None:
        for staged in self.result.files:
            handle = self.handles.pop(staged.index, None)
            if handle is not None:
                handle.close()
            elif not staged.temp_path.exists():
                # A file part with no bytes: still give it an (empty) temp file.
                staged.temp_path.touch(mode=0o600)
            staged.sha256 = self.hashers[staged.index].hexdigest()

    def discard(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()
        _unlink_all([f.temp_path for f in self.result.files])


async def drain(stream: AsyncIterator[bytes], *, limit: int) -> None:
    """Read and drop the rest of a body already refused (at most ``limit`` more bytes), so the
    client reads the 4xx instead of a connection reset while it is still sending."""
    left = limit
    async for chunk in stream:
        left -= len(chunk)
        if left < 0:
            return


async def read_multipart(
    headers: Mapping[str, str],
    stream: AsyncIterator[bytes],
    *,
    storage: MediaStorage,
    limits: UploadLimits,
    field_names: frozenset[str],
    file_field: str = "files",
) -> ParsedUpload:
    """Parse a multipart/form-data body: named JSON parts in memory, file parts to temp files."""
    length = declared_length(headers)
    if length is not None and length > limits.max_request_bytes:
        raise PayloadTooLarge(msg("media.request_too_large", max_bytes=limits.max_request_bytes))
    content_type = headers.get("content-type", "")
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > MAX_BOUNDARY_CHARS:
        await drain(stream, limit=limits.max_request_bytes)
        raise ValidationFailed(msg("multipart_boundary", max_length=MAX_BOUNDARY_CHARS))

    reader = _MultipartReader(
        storage=storage, limits=limits, field_names=field_names, file_field=file_field
    )
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
            "on_end": reader.on_end,
        },
    )
    received = 0
    try:
        await anyio.to_thread.run_sync(storage.ensure_dirs)
        async for chunk in stream:
            # Without a Content-Length (chunked), the whole body is still bounded.
            received += len(chunk)
            if received > limits.max_request_bytes:
                raise PayloadTooLarge(
                    msg("media.request_too_large", max_bytes=limits.max_request_bytes)
                )
            parser.write(chunk)
            if reader.pending:
                pending, reader.pending = reader.pending, []
                await anyio.to_thread.run_sync(reader.flush_pending, pending)
        parser.finalize()
        if not reader.finished:
            raise ValidationFailed(msg("media.multipart_truncated"))
        await anyio.to_thread.run_sync(reader.close_files)
    except FormParserError:
        await anyio.to_thread.run_sync(reader.discard)
        await drain(stream, limit=limits.max_request_bytes - received)
        raise ValidationFailed(msg("media.multipart_malformed")) from None
    except AppError as exc:
        await anyio.to_thread.run_sync(reader.discard)
        if received <= limits.max_request_bytes:  # a refused part, not an oversized body
            await drain(stream, limit=limits.max_request_bytes - received)
        raise exc from None
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(reader.discard)
        raise
    return reader.result
