"""Staff files on a tip, possible duplicates, and the printed records (biên bản tiếp nhận,
sổ tiếp nhận). HTTP only: the rules live in app.triage.files, app.triage.similar and
app.records.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.time import to_local, utcnow
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.records import service
from app.records.service import RegisterPage
from app.tips.schemas import FILES_SCHEMA
from app.triage import files, similar
from app.triage.dependencies import (
    ActionableTip,
    Actor,
    CurrentTip,
    PersonalDataReader,
    PersonalDataTip,
    Reader,
)
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


PDF = "application/pdf"
CSV = "text/csv"
_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _pdf_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=PDF,
        headers={**_NO_STORE, "Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/tips/{tip_id}/intake-record.pdf",
    tags=["triage"],
    response_class=Response,
    responses={
        200: {
            "description": "The biên bản tiếp nhận, A4, in Vietnamese.",
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def print_intake_record(
    request: Request,
    session: SessionDep,
    principal: PersonalDataReader,
    tip: PersonalDataTip,
    reporter: Annotated[
        bool,
        Query(description="Print the reporter's identity when the caller may reveal it."),
    ] = True,
) -> Response:
    """The record of receipt (biên bản tiếp nhận) of the tip by the unit holding it: unit,
    register number, date and time, channel, what was received, the receiving officer, and
    signature lines for the reporter and the officer; A4, Vietnamese, with a shipped font.
    Staff who see the tip's personal data (not analysts). The reporter's identity is printed
    only for a caller who may reveal it (unit lead of the holding unit, supervisor, admin) and
    printing it is audited exactly as ``/reporter/reveal`` is; ``reporter=false`` prints it
    masked (no audit)."""
    content = await service.intake_record_document(
        session,
        principal=principal,
        tip=tip,
        cipher=request.app.state.cipher,
        with_reporter=reporter,
    )
    return _pdf_response(content, f"bien-ban-tiep-nhan-{tip.reference}.pdf")


def _wanted(accept: str | None) -> str:
    """The register's format from Accept: PDF, CSV, else JSON (q-values respected)."""
    best, best_q = "application/json", 0.0
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media.lower() in (PDF, CSV, "application/json") and q > best_q:
            best, best_q = media.lower(), q
    return best


@router.get(
    "/units/{code}/register",
    tags=["units"],
    response_model=RegisterPage,
    responses={
        200: {
            "description": "The register: JSON pages, or the whole year as CSV or as a "
            "printable A4 PDF (Accept: text/csv, application/pdf).",
            "content": {
                CSV: {"schema": {"type": "string"}},
                PDF: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def get_unit_register(
    session: SessionDep,
    principal: Reader,
    code: Annotated[str, Path(max_length=32)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    """The unit's sổ tiếp nhận for a year (default: the current year, Vietnamese time), in
    number order: ``register_number``, ``registered_at``, the tip's ``reference``,
    ``category_code``, ``channel`` and ``status`` (``transferred`` once another unit holds
    it). No personal data. The unit's officers and leads, its province's supervisors and
    analysts, admins; any other unit answers 404. ``limit``/``cursor`` page the JSON; CSV and
    PDF hold the whole year."""
    unit = await service.readable_unit(session, principal=principal, code=code)
    year = year or to_local(utcnow()).year
    wanted = _wanted(accept)
    if wanted == "application/json":
        return await service.register_page(
            session, unit=unit, year=year, limit=limit, cursor=cursor
        )
    items, _ = await service.register_items(
        session, unit=unit, year=year, limit=service.MAX_PRINTED_ENTRIES
    )
    name = f"so-tiep-nhan-{unit.code}-{year}"
    if wanted == CSV:
        return Response(
            service.register_csv(items),
            media_type="text/csv; charset=utf-8",
            headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    content = await service.register_document(session, unit=unit, year=year, items=items)
    return _pdf_response(content, f"{name}.pdf")
