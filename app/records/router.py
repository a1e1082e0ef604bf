"""Staff files on a tip, possible duplicates, and the printed records (biên bản tiếp nhận,
sổ tiếp nhận). HTTP only: the rules live in app.triage.files, app.triage.similar and
app.records.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.tips.schemas import FILES_SCHEMA
from app.triage import files, similar
from app.triage.dependencies import ActionableTip, Actor, CurrentTip, Reader
from app.triage.uploads import StaffFiles

router = APIRouter()

_FILES_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": FILES_SCHEMA},
                }
            }
        },
    }
}


@router.post(
    "/tips/{tip_id}/attachments",
    tags=["triage"],
    response_model=list[AttachmentOut],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 413, 415, 422),
    openapi_extra=_FILES_BODY,
)
async def add_tip_attachments(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, uploads: StaffFiles
) -> list[AttachmentOut]:
    """Attach the unit's own files to the tip (staff who may act on it): verification photos,
    a scanned signed record, the recording of a hotline call. Multipart ``files`` parts only,
    with intake's limits (413), types and cleaning (415: type by content, images re-encoded
    without metadata). Listed on the record with ``uploaded_by: staff``; internal: the
    reporter never downloads them (files for the reporter go with a message)."""
    return await files.add_staff_files(
        session,
        tip=tip,
        actor=principal,
        files=uploads,
        storage=media.storage_for(request.app.state.settings),
    )


@router.get(
    "/tips/{tip_id}/similar",
    tags=["triage"],
    response_model=list[similar.SimilarTip],
    responses=problem_responses(401, 403, 404, 422),
)
async def list_similar_tips(
    request: Request,
    session: SessionDep,
    principal: Reader,
    tip: CurrentTip,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[similar.SimilarTip]:
    """Possible duplicates among the tips the caller may see, best first: created within 30
    days of this one, in the same or a neighbouring commune (the same province for a tip
    without a commune), not merged. ``score`` (0–1) weighs similar text (the folded
    description; trigram similarity on PostgreSQL, shared words on SQLite), closeness in place
    (``distance_m`` when both tips have a point) and time, and the same category; tips scoring
    under 0.45 are left out."""
    return await similar.similar_tips(
        session, principal=principal, tip=tip, locator=request.app.state.locator, limit=limit
    )
