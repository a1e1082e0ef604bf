"""Sending deliveries, at most once per (cause, recipient, channel).

A worker claims due rows (``pending``, or ``failed`` after their backoff) and moves them to
``sending`` in the same committed UPDATE; only then does it send. A row found in ``sending``
with its lease run out belongs to a worker that died between sending and recording: whether
the peer got the message is unknown, so it is never sent again by itself but dead-lettered as
``interrupted`` (an admin may redeliver it). Known failures are retried with the shared
backoff (app.core.outbox) up to ``TINBAO_NOTIFY_MAX_ATTEMPTS``, then dead-lettered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core import outbox
from app.core.config import Settings
from app.core.security import DataCipher
from app.notifications import channels, templates
from app.notifications.channels import Outgoing
from app.notifications.models import NoticeDeliveryStatus as S
from app.notifications.models import NotificationCause, NotificationDelivery
from app.tips import notify_contact
from app.tips.models import ReporterNotifyContact, Tip, TipEvent
from app.units.models import Category

log = logging.getLogger("tinbao.notifications")

LEASE = timedelta(seconds=60)
COMPLAINT_DAYS = 15
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

SENT = Counter("tinbao_notifications_sent_total", "Notices delivered", ["channel"])
FAILURES = Counter(
    "tinbao_notification_failures_total", "Failed notice delivery attempts", ["channel"]
)
DEAD = Counter("tinbao_notifications_dead_total", "Notices dead-lettered", ["channel"])


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    channel: str
    address: Any  # e-mail, phone, or a push subscription; None when gone meanwhile
    message: Outgoing | None


def complaint_deadline(notified_at: datetime) -> date:
    """The last day of the complaint window: 15 days from the day the reporter is told."""
    return notified_at.astimezone(VN_TZ).date() + timedelta(days=COMPLAINT_DAYS)


async def recover_interrupted(session: AsyncSession, *, now: datetime) -> int:
    """Dead-letter sends whose worker died (lease run out while ``sending``)."""
    result = await session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.status == S.sending, NotificationDelivery.lease_until < now)
        .values(
            status=S.dead,
            last_error="interrupted: outcome unknown, not resent",
            lease_until=None,
            leased_by=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim(session: AsyncSession, *, worker_id: str, now: datetime, limit: int) -> list[int]:
    return await outbox.claim_due(
        session,
        NotificationDelivery,
        due_statuses=[S.pending, S.failed],
        worker_id=worker_id,
        now=now,
        limit=limit,
        lease=LEASE,
        claimed_status=S.sending,
    )


def _staff_message(
    delivery: NotificationDelivery, tip: Tip, user: User, category: Category | None, data: Any
) -> Outgoing:
    locale = user.locale or "vi"
    name = (
        (category.name if locale == "vi" else category.name_en) if category else tip.category_code
    )
    rendered = templates.render_staff(
        delivery.type,
        locale,
        reference=tip.reference,
        unit=tip.assigned_unit_code,
        category=name,
        level=(data or {}).get("level", 1),
    )
    return Outgoing(
        notice_id=f"notice-{delivery.id}",
        locale=locale,
        title=rendered.title,
        body=rendered.body,
        sms=rendered.sms,
        push={
            "type": delivery.type,
            "title": rendered.title,
            "body": rendered.body,
            "reference": tip.reference,
            "tip_id": tip.id,
        },
    )


def _reporter_message(
    delivery: NotificationDelivery, tip: Tip, contact: dict[str, Any], event: Any, now: datetime
) -> Outgoing:
    locale = contact.get("locale") or "vi"
    outcome = (event.data or {}).get("outcome") if event is not None else None
    rendered = templates.render_reporter(
        delivery.type,
        locale,
        reference=tip.reference,
        public_status=event.public_status if event is not None else None,
        outcome=outcome,
        complaint_deadline=complaint_deadline(now) if outcome == "not_prosecuted" else None,
    )
    return Outgoing(
        notice_id=f"notice-{delivery.id}",
        locale=locale,
        title=rendered.title,
        body=rendered.body,
        sms=rendered.sms,
        push={
            "type": delivery.type,
            "title": rendered.title,
            "body": rendered.body,
            "reference": tip.reference,
        },
    )


def _address(channel: str, *, user: User | None, contact: dict[str, Any] | None) -> Any:
    if user is not None:
        return {"email": user.email, "sms": user.phone, "web_push": user.web_push}[channel]
    if contact is None:
        return None
    return {
        "email": contact.get("email"),
        "sms": contact.get("phone"),
        "web_push": contact.get("web_push"),
    }[channel]


async def load(
    session: AsyncSession, *, ids: list[int], worker_id: str, cipher: DataCipher, now: datetime
) -> list[Claimed]:
    """Render what was claimed; addresses are read now (a contact erased meanwhile: None)."""
    rows = await session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.id.in_(ids), NotificationDelivery.leased_by == worker_id)
        .order_by(NotificationDelivery.id)
    )
    claimed: list[Claimed] = []
    for delivery in rows:
        cause = await session.get(NotificationCause, delivery.cause_id)
        tip = await session.get(Tip, delivery.tip_id) if delivery.tip_id else None
        event = (
            await session.get(TipEvent, cause.tip_event_id)
            if cause and cause.tip_event_id
            else None
        )
        message: Outgoing | None = None
        address: Any = None
        if tip is not None and delivery.user_id is not None:
            user = await session.get(User, delivery.user_id)
            if user is not None and not user.disabled:
                category = await session.get(Category, tip.category_code)
                message = _staff_message(
                    delivery,
                    tip,
                    user,
                    category,
                    event.data if event else cause.data if cause else {},
                )
                address = _address(delivery.channel, user=user, contact=None)
        elif tip is not None:
            row = await session.get(ReporterNotifyContact, tip.id)
            contact = notify_contact.open_contact(row, cipher=cipher) if row else None
            if contact is not None:
                message = _reporter_message(delivery, tip, contact, event, now)
                address = _address(delivery.channel, user=None, contact=contact)
        claimed.append(Claimed(delivery.id, delivery.attempts, delivery.channel, address, message))
    return claimed


async def attempt(item: Claimed, *, settings: Settings, http: httpx.AsyncClient) -> str | None:
    """Send one claimed delivery; None on success, else a reason (no content). Never raises."""
    if item.message is None or not item.address:
        return "recipient or address gone"
    try:
        await channels.send(
            item.channel, settings=settings, address=item.address, message=item.message, http=http
        )
    except channels.SendFailed as exc:
        return exc.reason
    except Exception as exc:
        return type(exc).__name__
    return None


async def record(
    session: AsyncSession,
    *,
    item: Claimed,
    worker_id: str,
    error: str | None,
    now: datetime,
    settings: Settings,
) -> str:
    gone = error == "recipient or address gone"
    values = outbox.outcome_values(
        ok=error is None,
        attempts=item.attempts + 1,
        now=now,
        max_attempts=1 if gone else settings.notify_max_attempts,
        error=error,
        delivered=S.delivered,
        retry=S.failed,
        dead=S.dead,
    )
    await outbox.record_outcome(
        session,
        NotificationDelivery,
        row_id=item.id,
        worker_id=worker_id,
        expect_status=S.sending,
        values=values,
    )
    status = str(values["status"])
    if status == S.delivered:
        SENT.labels(item.channel).inc()
    else:
        FAILURES.labels(item.channel).inc()
        if status == S.dead:
            DEAD.labels(item.channel).inc()
            log.warning("notice delivery %s dead-lettered (%s)", item.id, error)
    return status
