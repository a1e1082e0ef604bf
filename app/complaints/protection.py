"""Protection requests (Law on Denunciation 2018 art. 47-48; CPC art. 484-487).

More confidential than the tip: the content is sealed; it is on no timeline and in no feed
(a ``tip.*`` event would reach analysts, API keys and webhooks, and its mere existence says
the reporter fears reprisal). What is kept instead: an audit entry for the filing, for every
read of the content (who, when, which request) and for every decision. The unit's leads are
told at once through the notification outbox (``protection_request.new``). Reading and
deciding: the holding unit's leads, the province's supervisors and admins (who may act on
the tip). Statuses: ``received`` → ``granted`` | ``refused``; ``granted`` → ``ended`` (the
measures were lifted). The reporter sees each request's status on ``/track``, never its
content.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.audit import service as audit
from app.complaints.models import ProtectionRequest, ProtectionStatus
from app.complaints.schemas import ProtectionOut, TrackProtectionOut
from app.core.db import new_id
from app.core.errors import InvalidTransition, NotFound, msg
from app.core.security import DataCipher
from app.notifications.service import enqueue
from app.tips import followup_sealing as sealing
from app.tips.models import Tip

NEXT: dict[ProtectionStatus, frozenset[ProtectionStatus]] = {
    ProtectionStatus.received: frozenset({ProtectionStatus.granted, ProtectionStatus.refused}),
    ProtectionStatus.granted: frozenset({ProtectionStatus.ended}),
    ProtectionStatus.refused: frozenset(),
    ProtectionStatus.ended: frozenset(),
}


async def file_request(
    session: AsyncSession, *, tip: Tip, body: str, cipher: DataCipher, now: datetime
) -> ProtectionRequest:
    request_id = new_id()
    key_id, blob = sealing.seal(cipher, sealing.PROTECTION, request_id, body)
    row = ProtectionRequest(
        id=request_id,
        tip_id=tip.id,
        status=ProtectionStatus.received.value,
        filed_at=now,
        key_id=key_id,
        ciphertext=blob,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await enqueue(
        session,
        type="protection_request.new",
        tip_id=tip.id,
        at=now,
        data={"protection_request_id": request_id},
        dedupe_key=f"protection:{request_id}",
    )
    await audit.record(
        session,
        actor=None,
        actor_label="reporter",
        action="protection_request.filed",
        object_type="protection_request",
        object_id=request_id,
        data={"tip_id": tip.id, "reference": tip.reference, "unit_code": tip.assigned_unit_code},
    )
    return row


async def _requests(session: AsyncSession, tip: Tip) -> list[ProtectionRequest]:
    rows = await session.scalars(
        select(ProtectionRequest)
        .where(ProtectionRequest.tip_id == tip.id)
        .order_by(ProtectionRequest.filed_at, ProtectionRequest.id)
    )
    return list(rows)


async def reporter_requests(session: AsyncSession, tip: Tip) -> list[TrackProtectionOut]:
    return [
        TrackProtectionOut(
            id=r.id,
            filed_at=r.filed_at,
            status=ProtectionStatus(r.status),
            decided_at=r.decided_at,
        )
        for r in await _requests(session, tip)
    ]


def _out(row: ProtectionRequest, cipher: DataCipher) -> ProtectionOut:
    return ProtectionOut(
        id=row.id,
        filed_at=row.filed_at,
        status=ProtectionStatus(row.status),
        decided_at=row.decided_at,
        decided_by_id=row.decided_by_id,
        body=sealing.open_text(cipher, sealing.PROTECTION, row.id, row.key_id, row.ciphertext),
    )


async def _audit_read(session: AsyncSession, *, actor: Principal, tip: Tip, row_id: str) -> None:
    await audit.record(
        session,
        actor=actor,
        action="protection_request.read",
        object_type="protection_request",
        object_id=row_id,
        data={"tip_id": tip.id, "reference": tip.reference, "role": actor.role},
    )


async def staff_requests(
    session: AsyncSession, *, tip: Tip, actor: Principal, cipher: DataCipher
) -> list[ProtectionOut]:
    """Every request of the tip with its content; each one read is audited."""
    rows = await _requests(session, tip)
    for row in rows:
        await _audit_read(session, actor=actor, tip=tip, row_id=row.id)
    return [_out(row, cipher) for row in rows]


async def decide(
    session: AsyncSession,
    *,
    tip: Tip,
    request_id: str,
    status: ProtectionStatus,
    actor: Principal,
    cipher: DataCipher,
    now: datetime,
) -> ProtectionOut:
    """Set a request's status (see NEXT); audited. The answer holds the content: a read."""
    row = await session.scalar(
        select(ProtectionRequest)
        .where(ProtectionRequest.id == request_id, ProtectionRequest.tip_id == tip.id)
        .with_for_update()
    )
    if row is None:
        raise NotFound(msg("protection.not_found"))
    current = ProtectionStatus(row.status)
    if status not in NEXT[current]:
        allowed = sorted(s.value for s in NEXT[current])
        raise InvalidTransition(
            msg("protection.transition", status=current.value, target=status.value),
            extra={"allowed": allowed},
        )
    row.status = status.value
    row.decided_at = now
    row.decided_by_id = actor.id if actor.kind == "user" else None
    row.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="protection_request.decided",
        object_type="protection_request",
        object_id=row.id,
        data={"tip_id": tip.id, "from": current.value, "to": status.value, "role": actor.role},
    )
    await _audit_read(session, actor=actor, tip=tip, row_id=row.id)
    return _out(row, cipher)
