"""Request parsing for intake and follow-up, and the receipt-holder's tip."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ValidationError

from app.accounts.dependencies import OptionalPrincipal
from app.core.bodies import check_json_text, noted_problem
from app.core.body_limits import declared_length
from app.core.db import SessionDep
from app.core.errors import AppError, Forbidden, NotFound, UnsupportedMediaType, ValidationFailed
from app.core.errors import validation_errors as pydantic_errors
from app.core.messages import msg
from app.core.principal import Principal
from app.core.ratelimit import TRACK_FAILURES, client_address
from app.media import service as media_service
from app.media.storage import MediaStorage
from app.media.upload import (
    ParsedUpload,
    StagedFile,
    normalise_content_type,
    read_body_limited,
    read_multipart,
)
from app.tips.idempotency import (
    MAX_KEY_LENGTH,
    MIN_ANONYMOUS_KEY_LENGTH,
    IdempotencyKey,
    idempotency_key,
    request_fingerprint,
)
from app.tips.intake import IntakeContext
from app.tips.models import Tip
from app.tips.receipts import find_tip_by_receipt
from app.tips.schemas import MessageCreate, TipCreate

ModelT = TypeVar("ModelT", bound=BaseModel)


class MalformedJson(AppError):
    status, code = 422, "malformed_json"


async def get_now() -> datetime:
    """The current time; tests override this dependency to pin the clock."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(get_now)]


@dataclass
class Submission(Generic[ModelT]):
    data: ModelT
    document: Any  # the JSON as sent, for the idempotency fingerprint
    files: list[StagedFile]


def _parse_document(request: Request, model: type[ModelT], raw: bytes) -> tuple[ModelT, Any]:
    noted = noted_problem(request.scope)  # app.core.bodies refused the JSON body
    if noted is not None:
        raise noted
    check_json_text(raw)  # a multipart part is checked here
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedJson(msg("malformed_json")) from None
    try:
        return model.model_validate(document), document
    except ValidationError as exc:
        raise ValidationFailed(errors=pydantic_errors(exc.errors())) from None


async def read_submission(
    request: Request, model: type[ModelT], *, part: str
) -> tuple[Submission[ModelT], ParsedUpload]:
    settings = request.app.state.settings
    content_type = normalise_content_type(request.headers.get("content-type"))
    upload = ParsedUpload()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await read_body_limited(
            request.stream(),
            content_length=declared_length(request.headers),
            max_bytes=settings.max_json_bytes,
        )
    elif content_type == "multipart/form-data":
        upload = await read_multipart(
            request.headers,
            request.stream(),
            storage=media_service.storage_for(settings),
            limits=media_service.upload_limits(settings),
            field_names=frozenset({part}),
        )
        if part not in upload.fields:
            await upload.cleanup()
            raise ValidationFailed(errors=[(part, msg("intake.part_required", part=part))])
        raw = upload.fields[part]
    else:
        raise UnsupportedMediaType(msg("intake.json_or_multipart"))
    try:
        data, document = _parse_document(request, model, raw)
        media_service.identify_uploads(upload.files)
    except BaseException:
        await upload.cleanup()
        raise
    return Submission(data=data, document=document, files=upload.files), upload


def submission_reader(
    model: type[ModelT], *, part: str
) -> Callable[[Request], AsyncIterator[Submission[ModelT]]]:
    """The dependency reading ``model`` from a JSON body or a multipart body (a ``part`` part
    holding the same JSON, and ``files`` parts); its temporary upload files are removed when
    the request is done. The reporter's and the staff's messages use it (intake reads its
    body in :func:`read_intake_request`)."""

    async def read(request: Request) -> AsyncIterator[Submission[ModelT]]:
        submission, upload = await read_submission(request, model, part=part)
        try:
            yield submission
        finally:
            await upload.cleanup()

    read.__name__ = f"{part}_submission"
    return read


message_submission = submission_reader(MessageCreate, part="message")


MessageSubmission = Annotated[
    Submission[MessageCreate], Depends(message_submission, scope="function")
]


def _refuse_machine_clients(actor: Principal | None) -> None:
    """API keys file tips through the Open311 adapter, not this endpoint."""
    if actor is not None and actor.kind == "api_key":
        raise Forbidden(msg("channel.machine_clients"))


IDEMPOTENCY_KEY_HEADER = Header(
    alias="Idempotency-Key",
    description="Any client-made string up to 128 characters (anonymous callers: at "
    "least 16, e.g. a UUID); a retry by the same caller with the same key and body "
    "within 24 hours returns the original 201 response.",
    # Documented, not declared: FastAPI would count the Latin-1 bytes (see _checked_key).
    json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH},
)


def _checked_key(idempotency_key: str | None) -> str | None:
    """The Idempotency-Key header's value, checked before the body is read rather than as a
    declared constraint. Header values arrive as Latin-1; a UTF-8 key's length counts its
    characters, not its bytes."""
    if idempotency_key is None:
        return None
    try:
        key = idempotency_key.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        key = idempotency_key  # not UTF-8: each byte is a character
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            errors=[("Idempotency-Key", msg("idempotency_key_length", max_length=MAX_KEY_LENGTH))]
        )
    return key


def _intake_idempotency(
    request: Request, *, actor: Principal | None, key: str | None, submission: Submission[TipCreate]
) -> IdempotencyKey | None:
    if key is None:
        return None
    if actor is None and len(key) < MIN_ANONYMOUS_KEY_LENGTH:
        # A short anonymous key could be guessed, and its replay holds the receipt.
        raise ValidationFailed(
            errors=[
                (
                    "Idempotency-Key",
                    msg("idempotency_key_anonymous_short", min_length=MIN_ANONYMOUS_KEY_LENGTH),
                )
            ]
        )
    return idempotency_key(
        request.app.state.settings.receipt_key,
        key=key,
        actor=actor,
        fingerprint=request_fingerprint(submission.document, [f.sha256 for f in submission.files]),
    )


async def get_intake_context(request: Request) -> IntakeContext:
    return intake_context(request)


def intake_context(request: Request) -> IntakeContext:
    state = request.app.state
    return IntakeContext(
        locator=state.locator,
        cipher=state.cipher,
        receipt_key=state.settings.receipt_key,
        storage=media_service.storage_for(state.settings),
    )


IntakeContextDep = Annotated[IntakeContext, Depends(get_intake_context)]


@dataclass
class IntakeRequest:
    """Everything POST /tips needs besides the session, read by one dependency."""

    actor: Principal | None
    submission: Submission[TipCreate]
    idempotency: IdempotencyKey | None
    context: IntakeContext
    now: datetime


async def read_intake_request(
    request: Request,
    actor: OptionalPrincipal,
    now: Now,
    idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY_HEADER] = None,
) -> AsyncIterator[IntakeRequest]:
    """The caller (API keys refused), the Idempotency-Key (checked before the body is read),
    the tip read from the body, its replay key and the intake context: one dependency
    instead of a chain of small ones, each of which FastAPI solves again per request. The
    temporary upload files are removed when the request is done."""
    _refuse_machine_clients(actor)
    key = _checked_key(idempotency_key)
    submission, upload = await read_submission(request, TipCreate, part="tip")
    try:
        yield IntakeRequest(
            actor=actor,
            submission=submission,
            idempotency=_intake_idempotency(request, actor=actor, key=key, submission=submission),
            context=intake_context(request),
            now=now,
        )
    finally:
        await upload.cleanup()


IntakeRequestDep = Annotated[IntakeRequest, Depends(read_intake_request, scope="function")]


async def get_receipt_tip(
    request: Request,
    session: SessionDep,
    x_tip_receipt: Annotated[
        str | None,
        Header(
            alias="X-Tip-Receipt",
            description="The receipt given at intake. Missing, malformed or wrong: 404.",
        ),
    ] = None,
) -> Tip:
    """The tip the receipt belongs to. Any failure answers 404 and counts towards the
    caller's failure limit (429 once exceeded)."""
    limits = request.app.state.rate_limits
    address = client_address(request)
    await limits.check(TRACK_FAILURES, address)
    tip = await find_tip_by_receipt(
        session, receipt_key=request.app.state.settings.receipt_key, receipt=x_tip_receipt
    )
    if tip is None:
        await limits.hit(TRACK_FAILURES, address)
        raise NotFound(msg("track.no_tip"))
    return tip


ReceiptTip = Annotated[Tip, Depends(get_receipt_tip)]


async def get_storage(request: Request) -> MediaStorage:
    return media_service.storage_for(request.app.state.settings)


Storage = Annotated[MediaStorage, Depends(get_storage)]
