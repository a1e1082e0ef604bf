"""Reporter protection: data-subject requests.

* Identified reporters may ask to see (``access``) or delete (``erasure``) their contact
  data (Decree 13/2023; Law on Personal Data Protection 2025). A request is filed by the
  reporter through /track with the receipt, or by staff on the reporter's behalf; it must be
  answered within 2 working days (``answer_by``) and done within 15 days (``due_at``, counted
  in calendar days: the stricter reading). Completing an access request makes the contact
  data visible to the receipt holder on /track for ``ACCESS_WINDOW``; it never goes to staff.
  Erasure removes the identity's ciphertext, unless the tip is still open: then the request is
  refused with the reason ``tip_open``, and recorded.
* Retention (the scheduled purge of identities, and erasing one): ``app.privacy.retention``.

Every step leaves an audit entry holding ids and codes only, never the identity itself.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.audit import service as audit
from app.core.cursor import Str, decode_cursor
from app.core.errors import Conflict, InvalidTransition, NotFound, msg
from app.core.i18n import Lang
from app.core.pagination import split_page
from app.core.security import DataCipher
from app.core.time import as_utc
from app.privacy.correction import apply_correction, seal_correction
from app.privacy.models import (
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestSource,
    PrivacyRequestStatus,
    RefusalReason,
)
from app.privacy.retention import erase_identity
from app.privacy.schemas import (
    ContactData,
    PrivacyRequestOut,
    TrackPrivacyRequestOut,
)
from app.scope import visibility as scope
from app.tips.models import ReporterIdentity, Tip
from app.triage.deadlines import add_working_days, end_of_local_day, load_calendar, local_day
from app.triage.record import get_visible_tip
from app.triage.workflow import TERMINAL_STATUSES

ANSWER_WORKING_DAYS = 2
COMPLETE_DAYS = 15
ACCESS_WINDOW = timedelta(days=30)  # how long a completed access request shows the data

OPEN_STATUSES = (PrivacyRequestStatus.pending.value, PrivacyRequestStatus.acknowledged.value)

REFUSAL_MESSAGES: dict[str, tuple[str, str]] = {
    RefusalReason.tip_open: (
        "Tin báo đang được xử lý: thông tin liên hệ cần được giữ để thông báo kết quả cho bạn. "
        "Bạn có thể yêu cầu lại khi tin báo đã kết thúc xử lý.",
        "The tip is still being handled: your contact data is needed to tell you the outcome. "
        "You may ask again once the tip is closed.",
    ),
}


class NoReporterIdentity(Conflict):
    code = "no_reporter_identity"


class PrivacyRequestOpen(Conflict):
    code = "privacy_request_open"


def _text(message: tuple[str, str], lang: Lang) -> str:
    return message[1] if lang is Lang.en else message[0]


def tip_is_closed(tip: Tip) -> bool:
    return tip.closed_at is not None and tip.status in TERMINAL_STATUSES


async def _held_identity(session: AsyncSession, tip_id: str) -> ReporterIdentity | None:
    identity = await session.get(ReporterIdentity, tip_id)
    if identity is None or identity.ciphertext is None:
        return None
    return identity


# --- filing ------------------------------------------------------------------------------


async def file_request(
    session: AsyncSession,
    *,
    tip: Tip,
    kind: PrivacyRequestKind,
    actor: Principal | None,
    note: str | None = None,
    now: datetime,
    correction: dict[str, Any] | None = None,
    cipher: DataCipher | None = None,
) -> PrivacyRequest:
    """A new request for ``tip``'s reporter: by the reporter (``actor=None``, via /track) or
    by staff. 409 ``no_reporter_identity`` when no contact data is held (an anonymous tip, or
    one already erased); 409 ``privacy_request_open`` when one of this kind is still open."""
    if await _held_identity(session, tip.id) is None:
        raise NoReporterIdentity(msg("privacy.no_reporter_identity"))
    already = await session.scalar(
        select(PrivacyRequest.id).where(
            PrivacyRequest.tip_id == tip.id,
            PrivacyRequest.kind == kind.value,
            PrivacyRequest.status.in_(OPEN_STATUSES),
        )
    )
    if already is not None:
        raise PrivacyRequestOpen(
            msg("privacy.request_open"),
            extra={"request_id": already},
        )
    calendar = await load_calendar(session)
    request = PrivacyRequest(
        tip_id=tip.id,
        kind=kind.value,
        status=PrivacyRequestStatus.pending.value,
        source=(PrivacyRequestSource.reporter if actor is None else PrivacyRequestSource.staff),
        filed_by_id=actor.id if actor is not None and actor.kind == "user" else None,
        note=note,
        answer_by=add_working_days(now, ANSWER_WORKING_DAYS, calendar),
        due_at=end_of_local_day(local_day(now) + timedelta(days=COMPLETE_DAYS)),
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    await session.flush()
    if kind == PrivacyRequestKind.correction:
        assert correction is not None and cipher is not None
        seal_correction(request, correction, cipher=cipher)
        await session.flush()
    await audit.record(
        session,
        actor=actor,
        actor_label=None if actor is not None else "reporter",
        action="privacy_request.filed",
        object_type="privacy_request",
        object_id=request.id,
        data=_audit_data(request, tip),
    )
    return request


async def file_staff_request(
    session: AsyncSession,
    *,
    actor: Principal,
    tip_id: str,
    kind: PrivacyRequestKind,
    note: str | None,
    now: datetime,
    correction: dict[str, Any] | None = None,
    cipher: DataCipher | None = None,
) -> tuple[PrivacyRequest, Tip]:
    """Staff file a request for a tip they may act on (the reporter asked them, e.g. in a
    /track message). A tip outside their scope answers 404; one they may only read, 403."""
    tip = await get_visible_tip(session, principal=actor, tip_id=tip_id)
    await scope.ensure_can_act(session, actor, tip)
    filed = await file_request(
        session,
        tip=tip,
        kind=kind,
        actor=actor,
        note=note,
        now=now,
        correction=correction,
        cipher=cipher,
    )
    return filed, tip


def _audit_data(request: PrivacyRequest, tip: Tip) -> dict[str, str | None]:
    # Ids and codes only: never the identity, never the staff note (it may quote the reporter).
    return {
        "kind": request.kind,
        "source": request.source,
        "tip_id": tip.id,
        "reference": tip.reference,
        "unit_code": tip.assigned_unit_code,
        "status": request.status,
    }


# --- staff: scope, list, acknowledge, complete ---------------------------------------------


def _handled_by(principal: Principal) -> ColumnElement[bool]:
    """Tips whose privacy requests ``principal`` handles: their unit's (leads), their
    province's (supervisors), all (admin)."""
    clause = scope.visible_tips_clause(principal)
    if principal.role in scope.UNIT_ROLES:
        clause = and_(clause, Tip.assigned_unit_code == principal.unit_code)
    return clause


def _not_found() -> NotFound:
    return NotFound(msg("privacy.request_not_found"))


async def get_request(
    session: AsyncSession, *, principal: Principal, request_id: str
) -> tuple[PrivacyRequest, Tip]:
    """The request and its tip, if ``principal`` handles it; otherwise 404."""
    row = (
        await session.execute(
            select(PrivacyRequest, Tip)
            .join(Tip, Tip.id == PrivacyRequest.tip_id)
            .where(PrivacyRequest.id == request_id, _handled_by(principal))
        )
    ).first()
    if row is None:
        raise _not_found()
    return row[0], row[1]


def _overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        PrivacyRequest.status.in_(OPEN_STATUSES),
        or_(
            PrivacyRequest.due_at < now,
            and_(
                PrivacyRequest.status == PrivacyRequestStatus.pending.value,
                PrivacyRequest.answer_by < now,
            ),
        ),
    )


def is_overdue(request: PrivacyRequest, now: datetime) -> bool:
    if request.status not in OPEN_STATUSES:
        return False
    if as_utc(request.due_at) < now:
        return True
    return request.status == PrivacyRequestStatus.pending and as_utc(request.answer_by) < now


async def list_requests(
    session: AsyncSession,
    *,
    principal: Principal,
    status: PrivacyRequestStatus | None,
    kind: PrivacyRequestKind | None,
    overdue: bool | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[tuple[PrivacyRequest, Tip]], str | None]:
    """Oldest first (ids are time-ordered, and every deadline counts from filing, so this is
    also earliest deadline first); the cursor is the last id seen."""
    query = (
        select(PrivacyRequest, Tip)
        .join(Tip, Tip.id == PrivacyRequest.tip_id)
        .where(_handled_by(principal))
        .order_by(PrivacyRequest.id)
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(PrivacyRequest.status == status.value)
    if kind is not None:
        query = query.where(PrivacyRequest.kind == kind.value)
    if overdue is not None:
        clause = _overdue_clause(now)
        query = query.where(clause if overdue else ~clause)
    if cursor:
        (after,) = decode_cursor(cursor, Str())
        query = query.where(PrivacyRequest.id > after)
    rows = [(r[0], r[1]) for r in (await session.execute(query)).all()]
    return split_page(rows, limit, key=lambda row: row[0].id)


def _ensure_open(request: PrivacyRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise InvalidTransition(msg("privacy.request_closed", status=request.status))


async def acknowledge_request(
    session: AsyncSession, *, request: PrivacyRequest, tip: Tip, actor: Principal, now: datetime
) -> PrivacyRequest:
    """Answer the request (within 2 working days): staff have taken it up."""
    await scope.ensure_can_act(session, actor, tip)
    if request.status != PrivacyRequestStatus.pending:
        _ensure_open(request)
        return request  # already acknowledged: nothing to do
    request.status = PrivacyRequestStatus.acknowledged.value
    request.acknowledged_at = now
    request.acknowledged_by_id = actor.id
    request.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="privacy_request.acknowledged",
        object_type="privacy_request",
        object_id=request.id,
        data=_audit_data(request, tip),
    )
    return request


async def complete_request(
    session: AsyncSession,
    *,
    request: PrivacyRequest,
    tip: Tip,
    actor: Principal,
    now: datetime,
    cipher: DataCipher | None = None,
) -> PrivacyRequest:
    """Do what was asked. Access: the data becomes visible to the reporter on /track.
    Erasure: the identity's ciphertext is removed; while the tip is open the request is
    refused instead (reason ``tip_open``). Either way the outcome is audited."""
    await scope.ensure_can_act(session, actor, tip)
    _ensure_open(request)
    action = "privacy_request.completed"
    erased = False
    corrected: list[str] = []
    if request.kind == PrivacyRequestKind.correction:
        assert cipher is not None
        corrected = await apply_correction(
            session, request=request, tip=tip, cipher=cipher, now=now
        )
        request.status = PrivacyRequestStatus.completed.value
    elif request.kind == PrivacyRequestKind.erasure:
        if tip_is_closed(tip):
            erased = await erase_identity(session, tip_id=tip.id, now=now)
            request.status = PrivacyRequestStatus.completed.value
        else:
            request.status = PrivacyRequestStatus.refused.value
            request.refusal_reason = RefusalReason.tip_open.value
            action = "privacy_request.refused"
    else:
        request.status = PrivacyRequestStatus.completed.value
    if request.acknowledged_at is None:
        request.acknowledged_at = now
        request.acknowledged_by_id = actor.id
    request.completed_at = now
    request.completed_by_id = actor.id
    request.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=action,
        object_type="privacy_request",
        object_id=request.id,
        data={
            **_audit_data(request, tip),
            "refusal_reason": request.refusal_reason,
            "identity_erased": erased,
            **({"fields_corrected": corrected} if corrected else {}),
        },
    )
    return request


def _refusal(request: PrivacyRequest) -> RefusalReason | None:
    return RefusalReason(request.refusal_reason) if request.refusal_reason else None


def _refusal_message(request: PrivacyRequest, lang: Lang) -> str | None:
    if request.refusal_reason is None:
        return None
    return _text(REFUSAL_MESSAGES[request.refusal_reason], lang)


def staff_view(
    request: PrivacyRequest, tip: Tip, *, now: datetime, lang: Lang
) -> PrivacyRequestOut:
    return PrivacyRequestOut(
        id=request.id,
        tip_id=tip.id,
        reference=tip.reference,
        kind=PrivacyRequestKind(request.kind),
        status=PrivacyRequestStatus(request.status),
        source=PrivacyRequestSource(request.source),
        note=request.note,
        created_at=request.created_at,
        answer_by=request.answer_by,
        due_at=request.due_at,
        overdue=is_overdue(request, now),
        acknowledged_at=request.acknowledged_at,
        completed_at=request.completed_at,
        refusal_reason=_refusal(request),
        refusal_message=_refusal_message(request, lang),
    )


# --- the reporter's view (/track) ----------------------------------------------------------


async def reporter_requests(
    session: AsyncSession, *, tip: Tip, cipher: DataCipher, now: datetime, lang: Lang
) -> list[TrackPrivacyRequestOut]:
    """The tip's requests, newest first; a completed access request carries the contact data
    for ``ACCESS_WINDOW`` after completion."""
    requests = list(
        await session.scalars(
            select(PrivacyRequest)
            .where(PrivacyRequest.tip_id == tip.id)
            .order_by(PrivacyRequest.id.desc())
        )
    )
    contact: ContactData | None = None
    if any(_shows_data(r, now) for r in requests):
        contact = await _contact_data(session, tip=tip, cipher=cipher)
    return [reporter_view(r, now=now, lang=lang, contact=contact) for r in requests]


def _shows_data(request: PrivacyRequest, now: datetime) -> bool:
    return (
        request.kind == PrivacyRequestKind.access
        and request.status == PrivacyRequestStatus.completed
        and request.completed_at is not None
        and as_utc(request.completed_at) + ACCESS_WINDOW > now
    )


async def _contact_data(
    session: AsyncSession, *, tip: Tip, cipher: DataCipher
) -> ContactData | None:
    identity = await _held_identity(session, tip.id)
    if identity is None or identity.ciphertext is None:
        return None
    fields = json.loads(cipher.decrypt(identity.key_id, identity.ciphertext, aad=tip.id.encode()))
    return ContactData(
        full_name=fields.get("full_name"),
        phone=fields.get("phone"),
        email=fields.get("email"),
        address=fields.get("address"),
        organization_name=fields.get("organization_name"),
    )


def reporter_view(
    request: PrivacyRequest, *, now: datetime, lang: Lang, contact: ContactData | None = None
) -> TrackPrivacyRequestOut:
    return TrackPrivacyRequestOut(
        id=request.id,
        kind=PrivacyRequestKind(request.kind),
        status=PrivacyRequestStatus(request.status),
        created_at=request.created_at,
        answer_by=request.answer_by,
        due_at=request.due_at,
        completed_at=request.completed_at,
        refusal_reason=_refusal(request),
        refusal_message=_refusal_message(request, lang),
        contact_data=contact if _shows_data(request, now) else None,
    )
