"""Request parsing for staff files: ``POST /tips/{id}/attachments`` (``files`` parts only) and
``POST /tips/{id}/messages`` (JSON, or a ``message`` part and ``files`` parts).

The same streaming reader, limits, content sniffing and cleaning as intake (app.media); the
temporary files are removed when the request is done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from app.core.errors import UnsupportedMediaType, ValidationFailed
from app.core.messages import msg
from app.media import service as media
from app.media.upload import StagedFile, normalise_content_type, read_multipart
from app.tips.dependencies import Submission, submission_reader
from app.triage.schemas import MessageIn


async def staff_files(request: Request) -> AsyncIterator[list[StagedFile]]:
    """One or more ``files`` parts of a multipart body, identified by content (415 else)."""
    settings = request.app.state.settings
    if normalise_content_type(request.headers.get("content-type")) != "multipart/form-data":
        raise UnsupportedMediaType(msg("files.multipart_required"))
    upload = await read_multipart(
        request.headers,
        request.stream(),
        storage=media.storage_for(settings),
        limits=media.upload_limits(settings),
        field_names=frozenset(),
    )
    try:
        if not upload.files:
            raise ValidationFailed(errors=[("files", msg("files.required"))])
        media.identify_uploads(upload.files)
        yield upload.files
    finally:
        await upload.cleanup()


staff_message_submission = submission_reader(MessageIn, part="message")


StaffFiles = Annotated[list[StagedFile], Depends(staff_files, scope="function")]
StaffMessageSubmission = Annotated[
    Submission[MessageIn], Depends(staff_message_submission, scope="function")
]
