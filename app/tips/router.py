"""Citizen and Front-member intake (tag "tips") and reporter follow-up (tag "track")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.ratelimit import INTAKE, limit
from app.media import service as media_service
from app.media.schemas import download_response
from app.tips import intake, track, track_limits
from app.tips.dependencies import (
    IntakeRequestDep,
    MessageSubmission,
    Now,
    ReceiptTip,
    Storage,
)
from app.tips.schemas import (
    MessageCreate,
    MessageOut,
    TipCreate,
    TipCreated,
    json_or_multipart_body,
)

router = APIRouter()

INTAKE_DESCRIPTION = """
Receive a tip from a citizen (no token), a Front member or staff (Bearer token).

JSON, or `multipart/form-data` with a `tip` part holding the same JSON and zero or more
`files` parts. Rules beyond the schema (each breach is a 422 naming the field):

* the place: `location.commune_code` (today's code, or a pre-2025 code that maps to one
  commune; `legacy_commune_code` to say it is a pre-2025 code), or `lat`/`lon` inside a commune.
  A split pre-2025 commune answers 422 `ambiguous_commune` with `candidates` unless the point
  decides. A code and a point that disagree: the code wins, the tip is flagged
  `location_mismatch`;
* `location_unknown: true` needs `location.province_code`, at least one file and a
  description of 50+ characters, and goes to the provincial duty desk `CAT-<province>`;
* `anonymous: true` (the default) forbids `reporter`; `anonymous: false` needs
  `reporter.full_name` and a phone or email. `on_behalf_of_organization: true` needs
  `organization_name` (optional `organization_tax_code`) and cannot be anonymous;
* Front members are never anonymous: the name and organization come from the token, the
  channel is `front`, and `movement_model` may name the movement the tip came from;
* `hotline`/`walk_in` are for staff (403 otherwise), who may add an `intake_record` (the
  receipt record; by default one is made with the staff member as receiving officer);
  `open311` is the Open311 adapter's and `front` the Front members'.

Files: at most `TINBAO_MAX_FILES_PER_TIP` files, each up to `TINBAO_MAX_FILE_BYTES`, together
up to `TINBAO_MAX_TIP_BYTES` (413 `payload_too_large`, also when Content-Length announces more).
A type outside the allow-list, or content that disagrees with the declared type or the
extension, is 415 `unsupported_media_type`.

`Idempotency-Key`: the same key (per caller) with the same body within 24 hours returns the
original 201 body, receipt included, and creates nothing; with a different body, 409
`idempotency_conflict`.

The `receipt` is shown only here: it is the reporter's credential for `/track`.
"""


@router.post(
    "/tips",
    tags=["tips"],
    status_code=201,
    response_model=TipCreated,
    summary="Submit a tip",
    description=INTAKE_DESCRIPTION,
    # Rate-limited before anything else; the rest is one dependency (read_intake_request).
    dependencies=[Depends(limit(INTAKE))],
    responses=problem_responses(401, 403, 409, 413, 415, 422, 429),
    openapi_extra=json_or_multipart_body(TipCreate, "tip"),
)
async def create_tip(session: SessionDep, intake_request: IntakeRequestDep) -> TipCreated:
    submission = intake_request.submission
    return await intake.create_tip(
        session,
        data=submission.data,
        files=submission.files,
        actor=intake_request.actor,
        context=intake_request.context,
        idempotency=intake_request.idempotency,
        now=intake_request.now,
    )


TRACK_DESCRIPTION = """
The reporter's view of their tip. The receipt goes in the `X-Tip-Receipt` header, never in
the URL. A missing, malformed or wrong receipt answers 404 (after a constant-time check);
repeated failures from one address answer 429.
"""


@router.get(
    "/track/messages",
    tags=["track"],
    response_model=Page[MessageOut],
    summary="Read the conversation about a tip",
    description=TRACK_DESCRIPTION,
    responses=problem_responses(404, 422, 429),
)
async def list_track_messages(
    request: Request,
    session: SessionDep,
    tip: ReceiptTip,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[MessageOut]:
    return await track.list_messages(
        session, tip=tip, limit=limit, cursor=cursor, cipher=request.app.state.cipher
    )


@router.post(
    "/track/messages",
    tags=["track"],
    status_code=201,
    response_model=MessageOut,
    summary="Add information to a tip",
    description=TRACK_DESCRIPTION
    + '\nJSON `{"body"}`, or multipart with a `message` part (the same JSON) and `files` '
    "parts (the same limits and types as intake). Each write counts against the receipt "
    "(`TINBAO_RATE_LIMIT_TRACK_MESSAGES`) and the client address "
    "(`TINBAO_RATE_LIMIT_TRACK_MESSAGES_CLIENT`): 429 with Retry-After beyond either. The "
    "files a reporter stores on a tip are capped in all at `TINBAO_MAX_TIP_STORED_BYTES` "
    "(413 `tip_storage_full`).",
    responses=problem_responses(404, 413, 415, 422, 429),
    openapi_extra=json_or_multipart_body(MessageCreate, "message"),
    dependencies=[Depends(track_limits.limit_track_writes)],
)
async def add_track_message(
    request: Request,
    session: SessionDep,
    tip: ReceiptTip,
    submission: MessageSubmission,
    storage: Storage,
    now: Now,
) -> MessageOut:
    await track_limits.ensure_room(
        session,
        tip_id=tip.id,
        files=submission.files,
        max_bytes=request.app.state.settings.max_tip_stored_bytes,
    )
    return await track.add_reporter_message(
        session,
        tip=tip,
        body=submission.data.body,
        files=submission.files,
        storage=storage,
        cipher=request.app.state.cipher,
        now=now,
    )


@router.get(
    "/track/attachments/{attachment_id}",
    tags=["track"],
    response_class=StreamingResponse,
    summary="Download a file of the conversation",
    description=TRACK_DESCRIPTION
    + "\nFiles of the conversation (the reporter's own and those the unit attached to its "
    "messages to the reporter) and the files sent with the tip; never the unit's internal "
    "files (404).",
    responses={
        200: download_response("The file, as it is stored."),
        **problem_responses(404, 429),
    },
)
async def download_track_attachment(
    attachment_id: str, session: SessionDep, tip: ReceiptTip, storage: Storage
) -> StreamingResponse:
    attachment = await track.get_message_attachment(session, tip=tip, attachment_id=attachment_id)
    return await media_service.stream_download(attachment, storage=storage)
