"""Scheduled jobs of notifications: urgent alerts nobody acknowledged, tips still overdue
(for resolution or for acknowledgement), privacy requests coming due, expired notice contacts
(``now`` is passed in, so tests move the clock).

An escalation is a ``tip.escalated`` timeline row (on the feed and webhooks, and an outbox row
through app.notifications.hooks) with ``{"level", "reason"}`` (``reason``: a code,
``urgent_unacknowledged`` | ``overdue`` | ``acknowledge_overdue``) and the tip's
``escalation_level``. The level is taken by a conditional UPDATE (``WHERE escalation_level <
level`` and the tip still late) before the row is written, so two overlapping runs escalate a
tip once per level. The level is the tip's, whatever made it late: a tip already at level 1
(an unacknowledged urgent alert, say) is told to the supervisors again only at level 2.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.config import Settings
from app.core.time import as_utc_or_none
from app.notifications.models import UrgentAlert
from app.notifications.service import enqueue
from app.privacy.models import PrivacyRequest, PrivacyRequestStatus
from app.tips.models import ReporterNotifyContact, Tip
from app.tips.timeline import record_event
from app.triage.overdue import acknowledge_overdue_clause, overdue_clause

BATCH = 500
PRIVACY_NOTICE_AHEAD = timedelta(hours=24)


def _record_escalation(
    session: AsyncSession, tip: Tip, *, now: datetime, level: int, reason: str
) -> None:
    record_event(
        session,
        tip=tip,
        type="tip.escalated",
        actor="system",
        at=now,
        data={"level": level, "reason": reason},
    )


async def _raise_level(
    session: AsyncSession, tip: Tip, level: int, *still: ColumnElement[bool]
) -> bool:
    """Take ``level`` for the tip, if it is below and the tip still meets ``still``."""
    result = await session.execute(
        update(Tip)
        .where(Tip.id == tip.id, Tip.escalation_level < level, *still)
        .values(escalation_level=level, updated_at=Tip.updated_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def escalate_unacknowledged(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> int:
    """Urgent alerts not acknowledged within ``urgent_ack_minutes``: tell the supervisors."""
    cutoff = now - timedelta(minutes=settings.urgent_ack_minutes)
    alerts = list(
        await session.scalars(
            select(UrgentAlert)
            .where(
                UrgentAlert.acknowledged_at.is_(None),
                UrgentAlert.escalated_at.is_(None),
                UrgentAlert.raised_at <= cutoff,
            )
            .order_by(UrgentAlert.raised_at)
            .limit(BATCH)
        )
    )
    done = 0
    for alert in alerts:
        marked = await session.execute(
            update(UrgentAlert)
            .where(
                UrgentAlert.tip_id == alert.tip_id,
                UrgentAlert.acknowledged_at.is_(None),
                UrgentAlert.escalated_at.is_(None),
            )
            .values(escalated_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        tip = await session.get(Tip, alert.tip_id)
        if tip is None:
            continue
        await _raise_level(session, tip, 1)
        _record_escalation(session, tip, now=now, level=1, reason="urgent_unacknowledged")
        done += 1
    await session.flush()
    return done


def _level(late_since: datetime, *, now: datetime, delay: timedelta) -> int:
    """0 before ``delay`` has passed since ``late_since``, 1 after it, 2 after twice it."""
    return min(2, int((now - late_since) / delay))


async def _escalate_late(
    session: AsyncSession,
    *,
    now: datetime,
    settings: Settings,
    late: ColumnElement[bool],
    since: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
    reason: str,
) -> int:
    """Tips that meet ``late`` and were late from ``since`` at least ``escalate_after_hours``
    ago: level 1; twice that: level 2 (a run that comes after both gives level 2 at once)."""
    delay = timedelta(hours=settings.escalate_after_hours)
    tips = list(
        await session.scalars(
            select(Tip)
            .where(late, since.is_not(None), Tip.escalation_level < 2, since <= now - delay)
            .order_by(Tip.id)
            .limit(BATCH)
        )
    )
    done = 0
    for tip in tips:
        started = as_utc_or_none(getattr(tip, since.key))
        assert started is not None
        level = _level(started, now=now, delay=delay)
        if level <= tip.escalation_level or not await _raise_level(
            session, tip, level, late, since == started
        ):
            continue
        _record_escalation(session, tip, now=now, level=level, reason=reason)
        done += 1
    await session.flush()
    return done


async def escalate_overdue(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Tips still overdue ``escalate_after_hours`` after the deadline their ``tip.overdue``
    was for: level 1; at twice the delay: level 2."""
    return await _escalate_late(
        session,
        now=now,
        settings=settings,
        late=overdue_clause(now),
        since=Tip.overdue_notified_for,
        reason="overdue",
    )


async def escalate_acknowledge_overdue(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> int:
    """Tips whose ``tip.acknowledge_overdue`` was written and that are still not acknowledged
    ``escalate_after_hours`` after ``acknowledge_by``: level 1; at twice the delay: level 2."""
    return await _escalate_late(
        session,
        now=now,
        settings=settings,
        late=and_(acknowledge_overdue_clause(now), Tip.acknowledge_overdue_at.is_not(None)),
        since=Tip.acknowledge_by,
        reason="acknowledge_overdue",
    )


async def remind_privacy_requests(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> int:
    """``privacy_request.due`` to the unit's leads a day before a request must be answered
    (``answer_by``) or done (``due_at``); once per request and deadline."""
    soon = now + PRIVACY_NOTICE_AHEAD
    rows = await session.scalars(
        select(PrivacyRequest)
        .where(
            PrivacyRequest.status.in_(
                [PrivacyRequestStatus.pending, PrivacyRequestStatus.acknowledged]
            ),
            PrivacyRequest.due_at <= soon,
        )
        .limit(BATCH)
    )
    pending_answer = await session.scalars(
        select(PrivacyRequest)
        .where(
            PrivacyRequest.status == PrivacyRequestStatus.pending,
            PrivacyRequest.answer_by <= soon,
        )
        .limit(BATCH)
    )
    written = 0
    for deadline, requests in (("due_at", list(rows)), ("answer_by", list(pending_answer))):
        for request in requests:
            written += await enqueue(
                session,
                type="privacy_request.due",
                tip_id=request.tip_id,
                at=now,
                data={"privacy_request_id": request.id, "deadline": deadline},
                dedupe_key=f"privacy_request.due:{request.id}:{deadline}",
            )
    return written


async def purge_notify_contacts(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Notice contacts of tips closed longer than ``retention_reporter_days`` ago are erased
    (anonymous tips' too: they have no identity for the reporter purge to find)."""
    cutoff = now - timedelta(days=settings.retention_reporter_days)
    result = await session.execute(
        delete(ReporterNotifyContact)
        .where(
            ReporterNotifyContact.tip_id.in_(
                select(Tip.id).where(Tip.closed_at.is_not(None), Tip.closed_at < cutoff)
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
