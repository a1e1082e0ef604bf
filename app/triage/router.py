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
from app.tips.schemas import json_or_multipart_body
from app.triage import actions, conversation, corrections, handover, queue, reads, record
from app.triage.dependencies import (
    ActionableTip,
    Actor,
    CurrentTip,
    Lead,
    LeadTip,
    NotableTip,
    PersonalDataReader,
    PersonalDataTip,
    Reader,
    UnitMember,
    UnitTip,
)
from app.triage.schemas import (
    AssignIn,
    CorrectionIn,
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
from app.triage.uploads import StaffMessageSubmission

router = APIRouter(prefix="/tips", tags=["triage"])

_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 422)
# Writes answer 403 ``forbidden`` (reason ``read_only``) for a tip the caller sees but may not
# change (watched, formerly held), reason ``out_of_province`` for a supervisor whose province no
# longer holds it.


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
    final. ``public_message`` adds a line for the reporter's /track timeline (also when the
    public status does not change). The first transition classifies the tip and, out of
    ``received``, acknowledges it."""
    await actions.transition(session, tip=tip, actor=principal, data=body)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post(
    "/{tip_id}/acknowledge",
    response_model=TipDetail,
    responses=problem_responses(401, 403, 404, 409),
)
async def acknowledge_tip(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip
) -> TipDetail:
    """The unit acknowledges receipt to the reporter (Joint Circular 01/2017 art. 14(1), within
    ``acknowledge_by``): sets ``acknowledged_at``, adds a line to the reporter's /track timeline
    and notifies them. The first transition out of ``received`` acknowledges too. Acknowledging
    an acknowledged tip changes nothing (200). A closed tip: 409 ``tip_closed``; a tip the
    caller may only read: 403 ``forbidden`` (reason ``read_only``)."""
    await actions.acknowledge(session, tip=tip, actor=principal)
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/corrections", response_model=TipDetail, responses=_WRITE)
async def correct_tip(
    request: Request, session: SessionDep, principal: Actor, tip: ActionableTip, body: CorrectionIn
) -> TipDetail:
    """Correct what intake got wrong: ``category_code`` (the kind and the legal clocks follow:
    crime clocks count from receipt, and at a commune police the 24/48 h limit to forward),
    ``tip_type`` (``kien_nghi_khoi_to`` only here or by staff intake), ``urgent`` (true alerts
    the duty desk), ``priority``, ``location`` (as at intake; a place whose routing gives
    another unit re-routes the tip there as a transfer, while it is still at the unit intake
    chose). ``reason`` is required. Unit leads and above for ``tip_type`` and crime ↔
    security/order changes (403 ``forbidden`` otherwise). Recorded as ``tip.corrected`` with
    ``{"changes": {field: {"from", "to"}}}`` (address and point masked). A correction
    classifies the tip. 422 ``nothing_to_correct`` when nothing differs, 422 for a missing
    reason, unknown category or place; 409 ``tip_closed`` on a closed tip."""
    await corrections.correct(
        session, tip=tip, actor=principal, data=body, locator=request.app.state.locator
    )
    return await record.tip_detail(
        session, principal=principal, tip=tip, cipher=request.app.state.cipher
    )


@router.post("/{tip_id}/claim", response_model=TipDetail, responses=_WRITE)
async def claim_tip(
    request: Request, session: SessionDep, principal: UnitMember, tip: UnitTip
) -> TipDetail:
    """Take an unassigned tip of one's own unit (or, for the duty desk alerted to an urgent
    tip, that tip). When someone else holds it: 409 ``already_claimed``. Of concurrent claims
    exactly one wins."""
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
    The former unit keeps read-only sight of the tip. Unknown or inactive unit: 422.
    Where each role may transfer: officers and leads to units of their own province or to the
    investigation agency (``CAT-<province>-CSDT``) of the province where the tip took place;
    supervisors also to another province's duty desk (``CAT-<province>``); admin anywhere.
    Elsewhere: 403 ``transfer_not_allowed``. The reporter's timeline reads "handed to the
    competent unit", never a second "received"."""
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
    """Close the tip as a duplicate of ``into_id``: another tip the caller may act on that was
    not itself merged. ``into_id`` the caller cannot see answers 404 exactly like a missing
    one; one it may only read, 403 ``forbidden`` (reason ``read_only``); itself or a merged
    tip, 422. The merged tip's reporter then follows the tip it was merged into on /track."""
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
    session: SessionDep, principal: Actor, tip: NotableTip, body: NoteIn
) -> TipEventOut:
    """An internal note on the timeline; never shown to the reporter. Besides those who may
    act on the tip, the units that watch it (a department's copy, the alerted duty desk) may
    add notes; a former holder may not (403 ``forbidden`` (reason ``read_only``))."""
    return await actions.add_note(session, tip=tip, actor=principal, body=body.body)


@router.get(
    "/{tip_id}/messages",
    response_model=MessagePage,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_tip_messages(
    request: Request,
    session: SessionDep,
    principal: PersonalDataReader,
    tip: PersonalDataTip,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """The conversation with the reporter, oldest first (not for analysts). An officer's or
    lead's fetch marks the page read for their unit (the queue's ``unread_messages``)."""
    page = await conversation.list_messages(
        session, tip=tip, limit=limit, cursor=cursor, cipher=request.app.state.cipher
    )
    await reads.mark_read(
        session, tip=tip, principal=principal, message_ids=[m.id for m in page.items]
    )
    return page


@router.post(
    "/{tip_id}/messages",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
    openapi_extra=json_or_multipart_body(MessageIn, "message"),
)
async def add_tip_message(
    request: Request,
    session: SessionDep,
    principal: Actor,
    tip: ActionableTip,
    submission: StaffMessageSubmission,
) -> MessageOut:
    """Write to the reporter; shown on /track. Also on closed tips (after ``not_prosecuted``
    the reporter may complain within 15 days). JSON ``{"body"}``, or multipart with a
    ``message`` part (the same JSON) and ``files`` parts: the same limits, types and cleaning
    as intake (413, 415). The reporter downloads these files from
    ``/track/attachments/{attachment_id}``."""
    return await conversation.add_message(
        session,
        tip=tip,
        actor=principal,
        body=submission.data.body,
        cipher=request.app.state.cipher,
        files=submission.files,
        storage=media.storage_for(request.app.state.settings),
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
