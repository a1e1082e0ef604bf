"""Inbox, preferences, urgent-alert acknowledgement, dead letters; enqueueing causes.

Inbox entries are rendered in the reader's language when read, from the templates: the rows
hold only ids, types and the tip's reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.principal import Principal
from app.audit import service as audit
from app.core import dialect
from app.core.cursor import Int, Str, decode_cursor
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.messages import msg
from app.core.pagination import split_page
from app.notifications import fanout, templates
from app.notifications.models import (
    NoticeDeliveryStatus,
    Notification,
    NotificationCause,
    NotificationDelivery,
    UrgentAlert,
)
from app.notifications.schemas import (
    DeliveryOut,
    InboxPage,
    NotificationOut,
    PreferencesOut,
    PreferencesUpdate,
)
from app.tips.models import Tip, TipEvent
from app.tips.timeline import record_event
from app.units.models import Category


async def enqueue(
    session: AsyncSession,
    *,
    type: str,
    tip_id: str | None,
    at: datetime,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> int:
    """An outbox row for a cause that is not a timeline row (a job's reminder, a protection
    request); with ``dedupe_key``, written at most once. 1 when written, else 0."""
    now = utcnow()
    values = {
        "type": type,
        "tip_id": tip_id,
        "at": at,
        "data": data or {},
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }
    result = await session.execute(
        dialect.insert(session, NotificationCause).values(**values).on_conflict_do_nothing()
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- preferences ---------------------------------------------------------------------------


def preferences_out(user: User) -> PreferencesOut:
    return PreferencesOut(
        email=user.email,
        phone=user.phone,
        locale=user.locale or "vi",
        notify_channels=list(user.notify_channels or []),
        web_push=bool(user.web_push),
        notify_new_tips=user.notify_new_tips,
    )


async def _user_of(session: AsyncSession, principal: Principal) -> User:
    user = await session.get(User, principal.id) if principal.kind == "user" else None
    if user is None:
        raise Forbidden(msg("notifications.users_only"))
    return user


async def update_preferences(
    session: AsyncSession, *, principal: Principal, data: PreferencesUpdate
) -> User:
    user = await _user_of(session, principal)
    sent = data.model_dump(exclude_unset=True, mode="json")
    for field in ("email", "phone", "web_push"):
        if field in sent:
            setattr(user, field, sent[field])
    if sent.get("locale") is not None:
        user.locale = sent["locale"]
    if sent.get("notify_channels") is not None:
        user.notify_channels = sorted(set(sent["notify_channels"]))
    if sent.get("notify_new_tips") is not None:
        user.notify_new_tips = sent["notify_new_tips"]
    user.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="user.notification_preferences",
        object_type="user",
        object_id=user.id,
        data={"changed": sorted(sent)},
    )
    return user


# --- the inbox -----------------------------------------------------------------------------


async def _render(
    session: AsyncSession, rows: Sequence[Notification], locale: str
) -> list[NotificationOut]:
    tips = {
        tip.id: tip
        for tip in await session.scalars(
            select(Tip).where(Tip.id.in_({r.tip_id for r in rows if r.tip_id}))
        )
    }
    categories = {c.code: c for c in await session.scalars(select(Category))} if rows else {}
    levels: dict[int, Any] = {}
    cause_ids = [r.cause_id for r in rows if r.type == "tip.escalated"]
    if cause_ids:
        for cause_id, data in (
            await session.execute(
                select(NotificationCause.id, TipEvent.data)
                .join(TipEvent, TipEvent.id == NotificationCause.tip_event_id)
                .where(NotificationCause.id.in_(cause_ids))
            )
        ).all():
            levels[cause_id] = (data or {}).get("level", 1)
    out = []
    for row in rows:
        tip = tips.get(row.tip_id or "")
        category = categories.get(tip.category_code) if tip else None
        name = (category.name if locale == "vi" else category.name_en) if category else ""
        rendered = templates.render_staff(
            row.type,
            locale,
            reference=row.reference or "",
            unit=tip.assigned_unit_code if tip else "",
            category=name,
            level=levels.get(row.cause_id, 1),
        )
        out.append(
            NotificationOut(
                id=row.id,
                type=row.type,
                tip_id=row.tip_id,
                reference=row.reference,
                at=row.at,
                read_at=row.read_at,
                title=rendered.title,
                body=rendered.body,
            )
        )
    return out


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor, Str(64))
    return str(value)


async def inbox(
    session: AsyncSession,
    *,
    principal: Principal,
    unread_only: bool,
    limit: int,
    cursor: str | None,
    lang: str,
) -> InboxPage:
    """The caller's notices, newest first."""
    user = await _user_of(session, principal)
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    after = _after(cursor)
    if after is not None:
        query = query.where(Notification.id < after)
    rows = (await session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1))).all()
    page, next_cursor = split_page(rows, limit)
    unread = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return InboxPage(
        items=await _render(session, page, lang),
        next_cursor=next_cursor,
        unread=unread or 0,
    )


async def mark_read(
    session: AsyncSession, *, principal: Principal, notification_id: str, lang: str
) -> NotificationOut:
    user = await _user_of(session, principal)
    row = await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if row is None:
        raise NotFound(msg("notifications.not_found"))
    if row.read_at is None:
        row.read_at = utcnow()
        row.updated_at = row.read_at
        await session.flush()
    return (await _render(session, [row], lang))[0]


async def mark_all_read(session: AsyncSession, *, principal: Principal) -> int:
    user = await _user_of(session, principal)
    now = utcnow()
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- urgent alerts -------------------------------------------------------------------------


async def acknowledge_alert(
    session: AsyncSession, *, principal: Principal, tip: Tip, now: datetime | None = None
) -> UrgentAlert:
    """Someone of the alerted duty desk or of the holding unit took the urgent alert up;
    no escalation follows. 404 when the tip raised no alert, 403 for anyone else."""
    now = now or utcnow()
    alert = await session.get(UrgentAlert, tip.id)
    if alert is None:
        # The worker has not expanded the tip.urgent row yet (it runs every 2 s): raise the
        # alert from it now, so an acknowledgement that comes first still counts.
        urgent = await session.scalar(
            select(TipEvent)
            .where(TipEvent.tip_id == tip.id, TipEvent.type == "tip.urgent")
            .order_by(TipEvent.id.desc())
            .limit(1)
        )
        if urgent is not None:
            await fanout.raise_alert(
                session, tip, data=dict(urgent.data or {}), raised_at=urgent.at, now=now
            )
            alert = await session.get(UrgentAlert, tip.id, populate_existing=True)
    if alert is None:
        raise NotFound(msg("notifications.no_urgent_alert"))
    if principal.unit_code not in (alert.duty_desk_code, tip.assigned_unit_code):
        raise Forbidden(msg("notifications.acknowledge_forbidden"))
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = principal.id
        alert.updated_at = now
        record_event(
            session,
            tip=tip,
            type="tip.alert_acknowledged",
            actor=principal,
            at=now,
            unit_code=principal.unit_code,
            data={"escalated": alert.escalated_at is not None},
        )
        await session.flush()
    return alert


# --- dead letters (admin) ------------------------------------------------------------------


def delivery_out(row: NotificationDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        type=row.type,
        channel=row.channel,
        recipient_kind="user" if row.recipient.startswith("user:") else "reporter",
        user_id=row.user_id,
        tip_id=row.tip_id,
        status=row.status,
        attempts=row.attempts,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
    )


async def list_deliveries(
    session: AsyncSession, *, status: NoticeDeliveryStatus, limit: int, cursor: str | None
) -> tuple[list[NotificationDelivery], str | None]:
    query = select(NotificationDelivery).where(NotificationDelivery.status == status)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, Int(0, 2**63 - 1))
        query = query.where(NotificationDelivery.id > after_id)
    rows = (await session.scalars(query.order_by(NotificationDelivery.id).limit(limit + 1))).all()
    return split_page(rows, limit)


async def redeliver(
    session: AsyncSession, *, actor: Principal, delivery_id: int
) -> NotificationDelivery:
    """Put a failed or dead delivery back in the queue, due now, with fresh attempts."""
    if actor.role != Role.admin:
        raise Forbidden(msg("notifications.admin_only"))
    row = await session.scalar(
        select(NotificationDelivery).where(NotificationDelivery.id == delivery_id).with_for_update()
    )
    if row is None:
        raise NotFound(msg("notifications.delivery_not_found"))
    if row.status not in (NoticeDeliveryStatus.dead, NoticeDeliveryStatus.failed):
        raise Conflict(msg("notifications.redeliver_not_failed"))
    now = utcnow()
    row.status = NoticeDeliveryStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_until = None
    row.leased_by = None
    row.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="notification.redelivered",
        object_type="notification_delivery",
        object_id=str(row.id),
        data={"channel": row.channel, "type": row.type},
    )
    return row


async def cancel_reporter_deliveries(session: AsyncSession, *, tip_id: str) -> int:
    """The reporter opted out: what is still queued for them is not sent."""
    now = utcnow()
    result = await session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.recipient == f"reporter:{tip_id}",
            NotificationDelivery.status.in_(
                [NoticeDeliveryStatus.pending, NoticeDeliveryStatus.failed]
            ),
        )
        .values(status=NoticeDeliveryStatus.suppressed, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
