"""Expanding outbox rows: a cause becomes inbox entries and deliveries.

Run by the worker in its own transaction. Causes are claimed with ``FOR UPDATE SKIP LOCKED``
(PostgreSQL; SQLite's write lock serializes), and the rows they produce are unique per
(cause, user) for the inbox and (cause, recipient, channel) for deliveries, inserted with
ON CONFLICT DO NOTHING: a cause expanded twice still gives one of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core import dialect
from app.core.config import Settings
from app.core.db import new_id
from app.core.security import DataCipher
from app.notifications import channels, rules
from app.notifications.models import (
    NoticeDeliveryStatus,
    Notification,
    NotificationCause,
    NotificationDelivery,
    NotifyChannel,
    UrgentAlert,
)
from app.tips import notify_contact
from app.tips.models import ReporterNotifyContact, Tip, TipEvent

EXPAND_BATCH = 100
MERGED_LIMIT = 500  # reporters of merged tips told of one outcome
RATE_WINDOW = timedelta(hours=1)


async def _insert_ignore(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column values), skipping those already there."""
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_keys.setdefault(tuple(row), []).append(row)
    for keys, group in by_keys.items():
        await session.execute(dialect.insert_ignore(model.__table__, keys), group)


async def raise_alert(
    session: AsyncSession, tip: Tip, *, data: dict[str, Any], raised_at: datetime, now: datetime
) -> None:
    """The urgent alert of a ``tip.urgent`` row (``data``: its data), once per tip: raised by
    the worker's expansion, or earlier by an acknowledgement that came first."""
    row = {
        "tip_id": tip.id,
        "duty_desk_code": data.get("alerted_unit_code") or tip.assigned_unit_code,
        "raised_at": raised_at,
        "created_at": now,
        "updated_at": now,
    }
    await _insert_ignore(session, UrgentAlert, [row])


def user_channels(user: User, configured: set[str]) -> list[str]:
    """The channels the user asked for, that are configured and that the user has an
    address on."""
    have: dict[str, bool] = {
        NotifyChannel.email: bool(user.email),
        NotifyChannel.sms: bool(user.phone),
        NotifyChannel.web_push: bool(user.web_push),
    }
    return [c for c in (user.notify_channels or []) if c in configured and have.get(c, False)]


def contact_channels(contact: dict[str, Any], configured: set[str]) -> list[str]:
    have = {
        NotifyChannel.email: bool(contact.get("email")),
        NotifyChannel.sms: bool(contact.get("phone")),
        NotifyChannel.web_push: bool(contact.get("web_push")),
    }
    return [c.value for c in NotifyChannel if c.value in configured and have[c]]


async def _over_limit(
    session: AsyncSession, *, recipient: str, now: datetime, settings: Settings
) -> bool:
    sent = await session.scalar(
        select(func.count())
        .select_from(NotificationDelivery)
        .where(
            NotificationDelivery.recipient == recipient,
            NotificationDelivery.created_at > now - RATE_WINDOW,
            NotificationDelivery.status != NoticeDeliveryStatus.suppressed,
            NotificationDelivery.urgent.is_(False),
        )
    )
    return (sent or 0) >= settings.notify_rate_per_hour


async def _delivery_rows(
    session: AsyncSession,
    *,
    cause: NotificationCause,
    notice: rules.Notice,
    recipient: str,
    chans: Sequence[str],
    user_id: str | None,
    now: datetime,
    settings: Settings,
    tip_id: str | None = None,
) -> list[dict[str, Any]]:
    """``tip_id``: the tip the notice is about for its recipient (default the cause's)."""
    if not chans:
        return []
    limited = not notice.urgent and await _over_limit(
        session, recipient=recipient, now=now, settings=settings
    )
    status = NoticeDeliveryStatus.suppressed if limited else NoticeDeliveryStatus.pending
    return [
        {
            "cause_id": cause.id,
            "type": notice.type,
            "recipient": recipient,
            "user_id": user_id,
            "tip_id": tip_id or cause.tip_id,
            "channel": channel,
            "urgent": notice.urgent,
            "status": status.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for channel in chans
    ]


def _view(cause: NotificationCause, event: TipEvent | None, tip: Tip | None) -> rules.CauseView:
    data = dict(event.data or {}) if event is not None else dict(cause.data or {})
    return rules.CauseView(
        type=cause.type,
        data=data,
        tip_urgent=bool(tip and tip.urgent),
        actor_id=event.actor_id if event is not None else None,
        public=bool(event and event.public),
        public_status=event.public_status if event is not None else None,
        to_status=event.to_status if event is not None else None,
        from_status=event.from_status if event is not None else None,
    )


async def merged_into(session: AsyncSession, tip_id: str) -> list[str]:
    """The tips merged into ``tip_id``, directly or through a tip merged in turn; ids."""
    found: list[str] = []
    frontier = [tip_id]
    while frontier and len(found) < MERGED_LIMIT:
        rows = await session.scalars(
            select(Tip.id).where(Tip.merged_into_id.in_(frontier)).order_by(Tip.id)
        )
        frontier = [r for r in rows if r != tip_id and r not in found]
        found += frontier
    return found[:MERGED_LIMIT]


async def _reporter_deliveries(
    session: AsyncSession,
    *,
    cause: NotificationCause,
    notice: rules.Notice,
    tip: Tip,
    configured: set[str],
    cipher: DataCipher,
    now: datetime,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The tip's reporter; for an outcome, also the reporters of the tips merged into it
    (API.md: they are told the result too), each about their own tip and reference."""
    tips = [tip.id]
    if notice.type == "reporter.outcome":
        tips += await merged_into(session, tip.id)
    rows: list[dict[str, Any]] = []
    for tip_id in tips:
        row = await session.get(ReporterNotifyContact, tip_id)
        if row is None:
            continue
        contact = notify_contact.open_contact(row, cipher=cipher)
        rows += await _delivery_rows(
            session,
            cause=cause,
            notice=notice,
            recipient=f"reporter:{tip_id}",
            chans=contact_channels(contact, configured),
            user_id=None,
            now=now,
            settings=settings,
            tip_id=tip_id,
        )
    return rows


async def expand(
    session: AsyncSession,
    cause: NotificationCause,
    *,
    settings: Settings,
    cipher: DataCipher,
    now: datetime,
) -> None:
    event = await session.get(TipEvent, cause.tip_event_id) if cause.tip_event_id else None
    tip = await session.get(Tip, cause.tip_id) if cause.tip_id else None
    view = _view(cause, event, tip)
    configured = channels.configured(settings)
    inbox: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    if cause.type == "tip.urgent" and tip is not None:
        await raise_alert(session, tip, data=view.data, raised_at=cause.at, now=now)
    for notice in rules.notices_for(view):
        if tip is None:
            continue
        if rules.Audience.reporter in notice.audiences:
            deliveries += await _reporter_deliveries(
                session,
                cause=cause,
                notice=notice,
                tip=tip,
                configured=configured,
                cipher=cipher,
                now=now,
                settings=settings,
            )
            continue
        users = await rules.resolve_users(
            session,
            notice.audiences,
            unit_code=notice.unit_code or tip.assigned_unit_code,
            assignee_id=tip.assignee_id,
            data=view.data,
        )
        for user in users:
            inbox.append(
                {
                    "id": new_id(),
                    "user_id": user.id,
                    "cause_id": cause.id,
                    "type": notice.type,
                    "tip_id": tip.id,
                    "reference": tip.reference,
                    "at": cause.at,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            deliveries += await _delivery_rows(
                session,
                cause=cause,
                notice=notice,
                recipient=f"user:{user.id}",
                chans=user_channels(user, configured),
                user_id=user.id,
                now=now,
                settings=settings,
            )
    await _insert_ignore(session, Notification, inbox)
    await _insert_ignore(session, NotificationDelivery, deliveries)


async def expand_pending(
    session: AsyncSession,
    *,
    settings: Settings,
    cipher: DataCipher,
    now: datetime,
    limit: int = EXPAND_BATCH,
) -> int:
    """Expand up to ``limit`` causes not yet expanded; how many. The caller commits."""
    causes = list(
        await session.scalars(
            select(NotificationCause)
            .where(NotificationCause.expanded_at.is_(None))
            .order_by(NotificationCause.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for cause in causes:
        marked = await session.execute(
            update(NotificationCause)
            .where(NotificationCause.id == cause.id, NotificationCause.expanded_at.is_(None))
            .values(expanded_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        await expand(session, cause, settings=settings, cipher=cipher, now=now)
    return len(causes)
