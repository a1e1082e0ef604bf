"""Data-subject requests: staff handle them (tag "privacy"); reporters file and follow them
with their receipt (tag "track")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.accounts.dependencies import require_roles
from app.accounts.models import Role
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.i18n import negotiate
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.principal import Principal
from app.integration.periods import resolve_window
from app.privacy import disclosures, service
from app.privacy.dependencies import Filer, HandledRequest, Handler
from app.privacy.models import PrivacyRequestKind, PrivacyRequestStatus
from app.privacy.schemas import (
    DisclosureOut,
    PrivacyRequestIn,
    PrivacyRequestOut,
    TrackPrivacyRequestIn,
    TrackPrivacyRequestOut,
)
from app.tips.dependencies import Now, ReceiptTip

router = APIRouter()

DEADLINES = (
    "A request must be answered within 2 working days (`answer_by`: acknowledged, or "
    "completed) and done within 15 days (`due_at`)."
)


@router.post(
    "/privacy/requests",
    tags=["privacy"],
    status_code=status.HTTP_201_CREATED,
    response_model=PrivacyRequestOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def file_privacy_request(
    request: Request, session: SessionDep, principal: Filer, body: PrivacyRequestIn, now: Now
) -> PrivacyRequestOut:
    """File a reporter's request to see (`access`) or delete (`erasure`) their contact data,
    after the reporter asked (e.g. in a /track message). Staff who may act on the tip; a tip
    outside the caller's scope answers 404. 409 `no_reporter_identity` when no contact data
    is held, 409 `privacy_request_open` when a request of this kind is still open."""
    privacy_request, tip = await service.file_staff_request(
        session,
        actor=principal,
        tip_id=body.tip_id,
        kind=body.kind,
        note=body.note,
        now=now,
        correction=body.reporter.model_dump() if body.reporter else None,
        cipher=request.app.state.cipher,
    )
    lang = negotiate(request.headers.get("accept-language"))
    return service.staff_view(privacy_request, tip, now=now, lang=lang)


@router.get(
    "/privacy/requests",
    tags=["privacy"],
    response_model=Page[PrivacyRequestOut],
    responses=problem_responses(401, 403, 422),
    description="Requests on tips the caller handles: a unit lead's unit, a supervisor's "
    "province, or all (admin); oldest (earliest deadline) first. " + DEADLINES,
)
async def list_privacy_requests(
    request: Request,
    session: SessionDep,
    principal: Handler,
    now: Now,
    status: PrivacyRequestStatus | None = None,
    kind: PrivacyRequestKind | None = None,
    overdue: Annotated[bool | None, Query(description="Open and past a deadline.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[PrivacyRequestOut]:
    rows, next_cursor = await service.list_requests(
        session,
        principal=principal,
        status=status,
        kind=kind,
        overdue=overdue,
        limit=limit,
        cursor=cursor,
        now=now,
    )
    lang = negotiate(request.headers.get("accept-language"))
    return Page(
        items=[service.staff_view(r, tip, now=now, lang=lang) for r, tip in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/privacy/requests/{request_id}",
    tags=["privacy"],
    response_model=PrivacyRequestOut,
    responses=problem_responses(401, 403, 404),
)
async def get_privacy_request(
    request: Request, handled: HandledRequest, now: Now
) -> PrivacyRequestOut:
    """One request (unit leads of the tip's unit, supervisors in the province, admins)."""
    privacy_request, tip = handled
    lang = negotiate(request.headers.get("accept-language"))
    return service.staff_view(privacy_request, tip, now=now, lang=lang)


@router.post(
    "/privacy/requests/{request_id}/acknowledge",
    tags=["privacy"],
    response_model=PrivacyRequestOut,
    responses=problem_responses(401, 403, 404, 409),
)
async def acknowledge_privacy_request(
    request: Request, session: SessionDep, principal: Handler, handled: HandledRequest, now: Now
) -> PrivacyRequestOut:
    """Answer the request: it has been taken up (the reporter sees `acknowledged` on /track).
    Acknowledging twice changes nothing; a closed request answers 409."""
    privacy_request, tip = handled
    await service.acknowledge_request(
        session, request=privacy_request, tip=tip, actor=principal, now=now
    )
    lang = negotiate(request.headers.get("accept-language"))
    return service.staff_view(privacy_request, tip, now=now, lang=lang)


@router.post(
    "/privacy/requests/{request_id}/complete",
    tags=["privacy"],
    response_model=PrivacyRequestOut,
    responses=problem_responses(401, 403, 404, 409),
)
async def complete_privacy_request(
    request: Request, session: SessionDep, principal: Handler, handled: HandledRequest, now: Now
) -> PrivacyRequestOut:
    """Do what the reporter asked. `access`: the contact data becomes visible to the reporter
    on `GET /api/v1/track/privacy-requests` (for 30 days), never to staff. `erasure`: the
    identity is deleted (the tip becomes like an anonymous one); while the tip is open the
    request is `refused` instead, with `refusal_reason: "tip_open"`. `correction`: the
    corrected fields replace the held ones (re-encrypted under the current data key; the
    audit names the fields, never their values). Audited; a closed
    request answers 409 `invalid_transition`."""
    privacy_request, tip = handled
    await service.complete_request(
        session,
        request=privacy_request,
        tip=tip,
        actor=principal,
        now=now,
        cipher=request.app.state.cipher,
    )
    lang = negotiate(request.headers.get("accept-language"))
    return service.staff_view(privacy_request, tip, now=now, lang=lang)


TRACK_NOTE = (
    "The receipt goes in the `X-Tip-Receipt` header, never in the URL; a missing or wrong "
    "receipt answers 404 and repeated failures 429."
)


@router.post(
    "/track/privacy-requests",
    tags=["track"],
    status_code=status.HTTP_201_CREATED,
    response_model=TrackPrivacyRequestOut,
    responses=problem_responses(404, 409, 422, 429),
    description="Ask to see (`access`), delete (`erasure`) or correct (`correction`, with the "
    "corrected `reporter` fields) the contact data you gave with the tip. "
    "409 `no_reporter_identity` for an anonymous tip (nothing is held), 409 "
    "`privacy_request_open` while one of this kind is open. " + DEADLINES + " " + TRACK_NOTE,
)
async def file_track_privacy_request(
    request: Request,
    response: Response,
    session: SessionDep,
    tip: ReceiptTip,
    body: TrackPrivacyRequestIn,
    now: Now,
) -> TrackPrivacyRequestOut:
    privacy_request = await service.file_request(
        session,
        tip=tip,
        kind=body.kind,
        actor=None,
        now=now,
        correction=body.reporter.model_dump() if body.reporter else None,
        cipher=request.app.state.cipher,
    )
    response.headers["Cache-Control"] = "no-store"
    lang = negotiate(request.headers.get("accept-language"))
    return service.reporter_view(privacy_request, now=now, lang=lang)


@router.get(
    "/track/privacy-requests",
    tags=["track"],
    response_model=list[TrackPrivacyRequestOut],
    responses=problem_responses(404, 429),
    description="Your requests, newest first. A completed access request shows the contact "
    "data held, for 30 days. " + TRACK_NOTE,
)
async def list_track_privacy_requests(
    request: Request, response: Response, session: SessionDep, tip: ReceiptTip, now: Now
) -> list[TrackPrivacyRequestOut]:
    response.headers["Cache-Control"] = "no-store"
    lang = negotiate(request.headers.get("accept-language"))
    return await service.reporter_requests(
        session, tip=tip, cipher=request.app.state.cipher, now=now, lang=lang
    )


DisclosureReader = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.province_supervisor))
]


@router.get(
    "/privacy/disclosures",
    tags=["privacy"],
    response_model=Page[DisclosureOut],
    responses=problem_responses(401, 403, 422),
)
async def list_disclosures(
    session: SessionDep,
    principal: DisclosureReader,
    tip_id: Annotated[str | None, Query(max_length=36)] = None,
    from_: Annotated[
        str | None,
        Query(alias="from", max_length=40, description="A day or an RFC 3339 time; inclusive."),
    ] = None,
    to: Annotated[
        str | None, Query(max_length=40, description="A day (inclusive) or a time (exclusive).")
    ] = None,
    actor_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[DisclosureOut]:
    """Who saw a reporter's identity, when and why, newest first: every reveal (with its
    reason) and every staff intake that typed it. Admins: all tips; supervisors: their
    province's. What a breach report (72 h) needs; the identity itself is never listed."""
    window = resolve_window(period=None, from_=from_, to=to)
    items, next_cursor = await disclosures.list_disclosures(
        session,
        actor=principal,
        tip_id=tip_id,
        since=window.start,
        until=window.end,
        actor_id=actor_id,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[DisclosureOut.model_validate(item) for item in items], next_cursor=next_cursor
    )
