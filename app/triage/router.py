"""The staff workflow over HTTP: queue, record, transitions, assignment, transfer, merge,
deadlines, notes, messages, attachments and the audited reporter reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.media import service as media
from app.media.schemas import download_response
from app.triage import actions, conversation, handover, queue, record
from app.triage.dependencies import (
    ActionableTip,
    Actor,
    CurrentTip,
    Lead,
    LeadTip,
    PersonalDataTip,
    Reader,
    UnitMember,
    UnitTip,
)
from app.triage.schemas import (
    AssignIn,
    DeadlineExtensionOut,
    ExtensionIn,
    MergeIn,
    MessageIn,
    MessageOut,
    MessagePage,
    NoteIn,
    QueueFilters,
    RevealIn,
    RevealOut,
    TipDetail,
    TipEventOut,
    TipPage,
    TransferIn,
    TransitionIn,
)

router = APIRouter(prefix="/tips", tags=["triage"])

_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 422)


@router.get("", response_model=TipPage, responses=problem_responses(401, 403, 422))
async def list_tips(
    session: SessionDep, principal: Reader, filters: Annotated[QueueFilters, Query()]
) -> TipPage:
    """The caller's queue: tips of their unit (and those it watches or handed on), of their
    province (supervisors, analysts), or all (admin). ``overdue`` means open, not suspended
    and past ``due_at`` or ``transfer_due_at``. ``q`` matches the description and the
    reference with or without diacritics. Front members use ``/api/v1/front/tips``."""
    return await queue.list_queue(session, principal=principal, filters=filters)


@router.get("/{tip_id}", response_model=TipDetail, responses=_READ)
async def get_tip(
    request: Request, session: SessionDep, principal: Reader, tip: CurrentTip
) -> TipDetail:
    """The full record. The reporter is masked (``{"masked": true}``) unless revealed through
    ``/reporter/reveal``; analysts get no reporter block, no persons involved and no notes."""
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.get("/{tip_id}/events", response_model=list[TipEventOut], responses=_READ)
async def get_tip_events(
    session: SessionDep, principal: Reader, tip: CurrentTip
) -> list[TipEventOut]:
    """The tip's whole timeline, oldest first, internal entries included."""
    return await record.list_events(session, principal=principal, tip=tip)


@router.post("/{tip_id}/transitions", response_model=TipDetail, responses=_WRITE)
async def transition_tip(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, body: TransitionIn
) -> TipDetail:
    """Move the tip through the workflow: received → verifying → in_progress → resolved, with
    awaiting_info, suspended (crime tips; resuming gives at most one more month), referred
    and rejected (never crime tips). ``resolved`` needs an ``outcome`` valid for the kind;
    ``rejected``/``referred`` need a ``note``. ``transferred`` and ``merged`` go through
    ``/transfer`` and ``/merge``. An illegal move answers 409 ``invalid_transition`` with
    ``allowed`` listing the possible targets; resolved, rejected, referred and merged are
    final."""
    await actions.transition(session, tip=tip, actor=principal, data=body)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/claim", response_model=TipDetail, responses=_WRITE)
async def claim_tip(
    request: Request, session: SessionDep, principal: UnitMember, tip: UnitTip
) -> TipDetail:
    """Take an unassigned tip of one's own unit. When someone else holds it: 409
    ``already_claimed``. Of concurrent claims exactly one wins."""
    await actions.claim(session, tip=tip, actor=principal)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/assign", response_model=TipDetail, responses=_WRITE)
async def assign_tip(
    request: Request, session: SessionDep, principal: Lead, tip: LeadTip, body: AssignIn
) -> TipDetail:
    """Assign the tip to an active officer or lead of its unit (422 otherwise); null
    unassigns. Unit leads and above."""
    await actions.assign(session, tip=tip, actor=principal, assignee_id=body.assignee_id)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/transfer", response_model=TipDetail, responses=_WRITE)
async def transfer_tip(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, body: TransferIn
) -> TipDetail:
    """Hand the same tip (same id, reference and receipt) to another police unit, which
    enters it in its own register; it starts at ``received`` there, unassigned, with the
    history kept. A crime tip handed to a provincial unit or department is due 20 days
    later; one handed to a commune police must be forwarded within 24 h (48 h if remote).
    The former unit keeps read-only sight of the tip. Unknown or inactive unit: 422."""
    await handover.transfer(
        session, tip=tip, actor=principal, unit_code=body.unit_code, reason=body.reason
    )
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/merge", response_model=TipDetail, responses=_WRITE)
async def merge_tip(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, body: MergeIn
) -> TipDetail:
    """Close the tip as a duplicate of ``into_id``: another tip the caller can see that was
    not itself merged (422 otherwise)."""
    await handover.merge(session, tip=tip, actor=principal, into_id=body.into_id, note=body.note)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post(
    "/{tip_id}/deadline-extensions",
    response_model=DeadlineExtensionOut,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
async def extend_tip_deadline(
    session: SessionDep, principal: Lead, tip: LeadTip, body: ExtensionIn
) -> DeadlineExtensionOut:
    """Extend an open tip's ``due_at`` (unit leads and above). Crime tips (art. 147): a first
    extension up to 2 months after receipt by the current unit, a second up to 4 months in
    all with the procuracy's ``decision_ref`` (else 422); beyond, or a third: 409
    ``deadline_limit``. Security/order reports: one extension of at most 30 days."""
    return await actions.extend_deadline(session, tip=tip, actor=principal, data=body)


@router.post(
    "/{tip_id}/notes",
    response_model=TipEventOut,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
async def add_tip_note(
    session: SessionDep, principal: Actor, tip: ActionableTip, body: NoteIn
) -> TipEventOut:
    """An internal note on the timeline; never shown to the reporter."""
    return await actions.add_note(session, tip=tip, actor=principal, body=body.body)


@router.get(
    "/{tip_id}/messages",
    response_model=MessagePage,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_tip_messages(
    request: Request,
    session: SessionDep,
    tip: PersonalDataTip,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """The conversation with the reporter, oldest first (not for analysts)."""
    return await conversation.list_messages(
        session, tip=tip, limit=limit, cursor=cursor, cipher=request.app.state.cipher
    )


@router.post(
    "/{tip_id}/messages",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
async def add_tip_message(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, body: MessageIn
) -> MessageOut:
    """Write to the reporter; shown on /track. Also on closed tips (after ``not_prosecuted``
    the reporter may complain within 15 days)."""
    return await conversation.add_message(
        session, tip=tip, actor=principal, body=body.body, cipher=request.app.state.cipher
    )


@router.get(
    "/{tip_id}/attachments/{attachment_id}",
    response_class=StreamingResponse,
    responses={
        200: download_response("The file."),
        **_READ,
    },
)
async def download_tip_attachment(
    request: Request, session: SessionDep, tip: PersonalDataTip, attachment_id: str
) -> StreamingResponse:
    """Download an attachment (staff in scope; not analysts). Always as an attachment,
    with ``X-Content-Type-Options: nosniff``."""
    attachment = await media.get_attachment(session, tip_id=tip.id, attachment_id=attachment_id)
    return await media.stream_download(
        attachment, storage=media.storage_for(request.app.state.settings)
    )


@router.post(
    "/{tip_id}/reporter/reveal",
    response_model=RevealOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def reveal_tip_reporter(
    request: Request, session: SessionDep, principal: Lead, tip: LeadTip, body: RevealIn
) -> RevealOut:
    """The reporter's name and contacts, for unit leads (of the tip's unit), supervisors and
    admins, with a reason of 10+ characters. Every reveal is audited (who, when, why, which
    tip) and noted on the internal timeline. 404 when the tip holds no identity."""
    return await record.reveal_reporter(
        session, tip=tip, actor=principal, reason=body.reason, cipher=request.app.state.cipher
    )
