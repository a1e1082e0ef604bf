"""Complaints and protection requests over HTTP: the reporter files them with the receipt
(tag "track"); staff read them on the tip (tag "triage")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from app.complaints import protection, service
from app.complaints.models import ProtectionStatus
from app.complaints.schemas import (
    ComplaintOut,
    ProtectionDecisionIn,
    ProtectionOut,
    ReporterTextIn,
    TrackComplaintOut,
    TrackedTipView,
    TrackProtectionOut,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.i18n import negotiate
from app.tips import track
from app.tips.dependencies import Now, ReceiptTip
from app.tips.router import TRACK_DESCRIPTION
from app.tips.track_limits import limit_track_writes
from app.triage.dependencies import Lead, LeadTip, PersonalDataTip

router = APIRouter()


# The reporter's /track view: the tip (app.tips.track) with what they filed here.
@router.get(
    "/track",
    tags=["track"],
    response_model=TrackedTipView,
    summary="Follow a tip with its receipt",
    description=TRACK_DESCRIPTION
    + "\n`complaint_deadline` is set while a complaint against a `not_prosecuted` decision "
    "may be filed (`POST /track/complaints`); `complaints` and `protection_requests` list "
    "what the reporter filed (a protection request's status, never its content).",
    responses=problem_responses(404, 429),
)
async def track_tip(
    request: Request, session: SessionDep, tip: ReceiptTip, now: Now
) -> TrackedTipView:
    lang = negotiate(request.headers.get("accept-language"))
    tracked = await track.tracked_tip(session, tip=tip, lang=lang, cipher=request.app.state.cipher)
    return await service.track_view(session, tip=tip, tracked=tracked, now=now)


TRACK_NOTE = (
    "The receipt goes in the `X-Tip-Receipt` header, never in the URL; a missing or wrong "
    "receipt answers 404 and repeated failures 429. Counts towards the same per-receipt and "
    "per-client limits as `/track/messages` (429)."
)


@router.post(
    "/track/complaints",
    tags=["track"],
    status_code=status.HTTP_201_CREATED,
    response_model=TrackComplaintOut,
    dependencies=[Depends(limit_track_writes)],
    responses=problem_responses(404, 409, 422, 429),
    summary="Complain about a decision not to prosecute",
    description="After a `not_prosecuted` outcome, within 15 days of the day you were told of "
    "it (`complaint_deadline` on `/track`; the last day counts in Vietnamese time). 409 "
    "`complaint_not_open` before such a decision, `complaint_window_closed` after the last "
    "day (with `complaint_deadline`), `complaint_already_filed` for a second complaint about "
    "the same decision (add to it with a message). The text is stored encrypted; the unit's "
    "leads are told. " + TRACK_NOTE,
)
async def file_complaint(
    request: Request,
    response: Response,
    session: SessionDep,
    tip: ReceiptTip,
    body: ReporterTextIn,
    now: Now,
) -> TrackComplaintOut:
    complaint = await service.file_complaint(
        session, tip=tip, body=body.body, cipher=request.app.state.cipher, now=now
    )
    response.headers["Cache-Control"] = "no-store"
    return TrackComplaintOut(id=complaint.id, filed_at=complaint.filed_at)


@router.post(
    "/track/protection-requests",
    tags=["track"],
    status_code=status.HTTP_201_CREATED,
    response_model=TrackProtectionOut,
    dependencies=[Depends(limit_track_writes)],
    responses=problem_responses(404, 422, 429),
    summary="Ask for protection",
    description="Ask for protection of yourself or your family (Law on Denunciation 2018 "
    "art. 47). The request is stored encrypted and reaches the unit's leadership at once; "
    "`/track` shows its status (`received`, `granted`, `refused`, `ended`), never its "
    "content. " + TRACK_NOTE,
)
async def file_protection_request(
    request: Request,
    response: Response,
    session: SessionDep,
    tip: ReceiptTip,
    body: ReporterTextIn,
    now: Now,
) -> TrackProtectionOut:
    row = await protection.file_request(
        session, tip=tip, body=body.body, cipher=request.app.state.cipher, now=now
    )
    response.headers["Cache-Control"] = "no-store"
    return TrackProtectionOut(
        id=row.id, filed_at=row.filed_at, status=ProtectionStatus(row.status), decided_at=None
    )


@router.get(
    "/tips/{tip_id}/complaints",
    tags=["triage"],
    response_model=list[ComplaintOut],
    responses=problem_responses(401, 403, 404),
)
async def list_tip_complaints(
    request: Request, session: SessionDep, tip: PersonalDataTip
) -> list[ComplaintOut]:
    """The reporter's complaints against the decision not to prosecute, oldest first, with
    their text (staff in scope; not analysts nor API keys)."""
    return await service.staff_complaints(session, tip=tip, cipher=request.app.state.cipher)


@router.get(
    "/tips/{tip_id}/protection-requests",
    tags=["triage"],
    response_model=list[ProtectionOut],
    responses=problem_responses(401, 403, 404),
)
async def list_tip_protection_requests(
    request: Request, response: Response, session: SessionDep, principal: Lead, tip: LeadTip
) -> list[ProtectionOut]:
    """The reporter's protection requests with their content, oldest first: the holding
    unit's leads, the province's supervisors and admins (403 for those who may only read
    the tip). Every request read is audited (`protection_request.read`)."""
    response.headers["Cache-Control"] = "no-store"
    return await protection.staff_requests(
        session, tip=tip, actor=principal, cipher=request.app.state.cipher
    )


@router.post(
    "/tips/{tip_id}/protection-requests/{request_id}/status",
    tags=["triage"],
    response_model=ProtectionOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def decide_protection_request(
    request: Request,
    session: SessionDep,
    principal: Lead,
    tip: LeadTip,
    request_id: Annotated[str, Path(max_length=36, description="The request's id.")],
    body: ProtectionDecisionIn,
    now: Now,
) -> ProtectionOut:
    """Decide a protection request: `received` → `granted` | `refused`, `granted` → `ended`;
    anything else is 409 `invalid_transition` with `allowed`. Audited (the decision and, as
    the answer holds the content, a read). The reporter sees the new status on `/track`."""
    return await protection.decide(
        session,
        tip=tip,
        request_id=request_id,
        status=body.status,
        actor=principal,
        cipher=request.app.state.cipher,
        now=now,
    )
