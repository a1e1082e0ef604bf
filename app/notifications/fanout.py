"""Expanding outbox rows: a cause becomes inbox entries and deliveries.

Run by the worker in its own transaction, a batch of causes at a time. Causes are claimed
with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock serializes) and marked
expanded in the same statement, and the rows they produce are unique per (cause, user) for
the inbox and (cause, recipient, channel) for deliveries, inserted with ON CONFLICT DO
NOTHING: a cause expanded twice still gives one of each.

A batch costs a handful of statements whatever its size: the claim, the timeline rows and
tips of all its causes, the users of all the units they concern (app.notifications.rules
.Directory), the reporters' contacts, the recent deliveries of their recipients (the hourly
limit), and one INSERT per table. Rows are read as plain rows, never as ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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

EXPAND_BATCH = 200
MERGED_LIMIT = 500  # reporters of merged tips told of one outcome
RATE_WINDOW = timedelta(hours=1)


async def _insert_ignore(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column values), skipping those already there."""
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_keys.setdefault(tuple(row), []).append(row)
    for keys, group in by_keys.items():
        await session.execute(dialect.insert_ignore(model.__table__, keys), group)


def _alert_row(
    *,
    tip_id: str,
    assigned_unit_code: str,
    data: dict[str, Any],
    raised_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "tip_id": tip_id,
        "duty_desk_code": data.get("alerted_unit_code") or assigned_unit_code,
        "raised_at": raised_at,
        "created_at": now,
        "updated_at": now,
    }


async def raise_alert(
    session: AsyncSession, tip: Tip, *, data: dict[str, Any], raised_at: datetime, now: datetime
) -> None:
    """The urgent alert of a ``tip.urgent`` row (``data``: its data), once per tip: raised by
    the worker's expansion, or earlier by an acknowledgement that came first."""
    row = _alert_row(
        tip_id=tip.id,
        assigned_unit_code=tip.assigned_unit_code,
        data=data,
        raised_at=raised_at,
        now=now,
    )
    await _insert_ignore(session, UrgentAlert, [row])


def user_channels(user: rules.Staff, configured: set[str]) -> list[str]:
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


@dataclass(frozen=True)
class _Send:
    """Deliveries to make: one notice of a cause, to one recipient, on ``chans``."""

    cause_id: int
    notice: rules.Notice
    recipient: str
    chans: list[str]
    user_id: str | None
    tip_id: str  # the tip the notice is about for its recipient


async def _sent_lately(
    session: AsyncSession, recipients: Iterable[str], *, now: datetime
) -> dict[str, int]:
    """Deliveries counted against the hourly limit, per recipient, in the last hour."""
    wanted = sorted(set(recipients))
    if not wanted:
        return {}
    rows = await session.execute(
        select(NotificationDelivery.recipient, func.count())
        .where(
            NotificationDelivery.recipient.in_(wanted),
            NotificationDelivery.created_at > now - RATE_WINDOW,
            NotificationDelivery.status != NoticeDeliveryStatus.suppressed,
            NotificationDelivery.urgent.is_(False),
        )
        .group_by(NotificationDelivery.recipient)
    )
    return {str(recipient): int(count) for recipient, count in rows.all()}


async def _delivery_rows(
    session: AsyncSession, sends: Sequence[_Send], *, now: datetime, settings: Settings
) -> list[dict[str, Any]]:
    """The delivery rows of ``sends``, in order. Past ``notify_rate_per_hour`` deliveries to
    one recipient in the last hour, a non-urgent notice is stored suppressed; the ones this
    batch stores count as they are added, as if each cause were expanded on its own."""
    limited = [s for s in sends if s.chans and not s.notice.urgent]
    sent = await _sent_lately(session, (s.recipient for s in limited), now=now)
    rows: list[dict[str, Any]] = []
    for send in sends:
        if not send.chans:
            continue
        over = (
            not send.notice.urgent and sent.get(send.recipient, 0) >= settings.notify_rate_per_hour
        )
        status = NoticeDeliveryStatus.suppressed if over else NoticeDeliveryStatus.pending
        if not send.notice.urgent and not over:
            sent[send.recipient] = sent.get(send.recipient, 0) + len(send.chans)
        rows += [
            {
                "cause_id": send.cause_id,
                "type": send.notice.type,
                "recipient": send.recipient,
                "user_id": send.user_id,
                "tip_id": send.tip_id,
                "channel": channel,
                "urgent": send.notice.urgent,
                "status": status.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for channel in send.chans
        ]
    return rows


def _view(cause: Row[Any], event: Row[Any] | None, tip: Row[Any] | None) -> rules.CauseView:
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


async def merged_into(session: AsyncSession, tip_ids: Iterable[str]) -> dict[str, list[str]]:
    """For each of ``tip_ids``, the tips merged into it, directly or through a tip merged in
    turn, nearest first and by id within a step, at most ``MERGED_LIMIT``: one query per
    step of merging for all of them."""
    found: dict[str, list[str]] = {tip_id: [] for tip_id in tip_ids}
    frontiers = {tip_id: [tip_id] for tip_id in found}
    while frontiers:
        wanted = sorted({tip for frontier in frontiers.values() for tip in frontier})
        children: dict[str, list[str]] = {}
        for child, parent in await session.execute(
            select(Tip.id, Tip.merged_into_id).where(Tip.merged_into_id.in_(wanted))
        ):
            children.setdefault(parent, []).append(child)
        for root, frontier in list(frontiers.items()):
            seen = found[root]
            step = sorted(c for parent in frontier for c in children.get(parent, ()))
            step = [c for c in step if c != root and c not in seen]
            seen += step
            if step and len(seen) < MERGED_LIMIT:
                frontiers[root] = step
            else:
                del frontiers[root]
    return {root: merged[:MERGED_LIMIT] for root, merged in found.items()}


@dataclass
class _Expanded:
    """A claimed cause with what its notices need: its tip, its view, its notices."""

    cause: Row[Any]
    tip: Row[Any]
    view: rules.CauseView
    notices: list[rules.Notice]
    reporter_tips: dict[str, list[str]] = field(default_factory=dict)  # notice type -> tips


async def _claim(session: AsyncSession, *, now: datetime, limit: int) -> list[Row[Any]]:
    """Up to ``limit`` causes not yet expanded, marked expanded in the same statement; their
    rows, oldest first. The candidates are chosen once in a materialized CTE, as in
    app.core.outbox.claim_due (and for the same reason)."""
    pending = (
        select(NotificationCause.id)
        .where(NotificationCause.expanded_at.is_(None))
        .order_by(NotificationCause.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("pending")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = await session.execute(
        update(NotificationCause)
        .where(NotificationCause.id.in_(select(pending.c.id)))
        .where(NotificationCause.expanded_at.is_(None))
        .values(expanded_at=now, updated_at=now)
        .returning(
            NotificationCause.id,
            NotificationCause.type,
            NotificationCause.tip_id,
            NotificationCause.tip_event_id,
            NotificationCause.at,
            NotificationCause.data,
        )
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.all(), key=lambda row: row.id)


async def _rows_by_id(
    session: AsyncSession, columns: Sequence[Any], ids: set[Any]
) -> dict[Any, Row[Any]]:
    if not ids:
        return {}
    rows = await session.execute(select(*columns).where(columns[0].in_(sorted(ids))))
    return {row[0]: row for row in rows}


async def _load(session: AsyncSession, causes: Sequence[Row[Any]]) -> list[_Expanded]:
    """Each cause whose tip exists, with its timeline row's view and its notices."""
    events = await _rows_by_id(
        session,
        (
            TipEvent.id,
            TipEvent.data,
            TipEvent.actor_id,
            TipEvent.public,
            TipEvent.public_status,
            TipEvent.to_status,
            TipEvent.from_status,
        ),
        {c.tip_event_id for c in causes if c.tip_event_id},
    )
    tips = await _rows_by_id(
        session,
        (Tip.id, Tip.urgent, Tip.assigned_unit_code, Tip.assignee_id, Tip.reference),
        {c.tip_id for c in causes if c.tip_id},
    )
    found: list[_Expanded] = []
    for cause in causes:
        tip = tips.get(cause.tip_id) if cause.tip_id else None
        if tip is None:
            continue
        event = events.get(cause.tip_event_id) if cause.tip_event_id else None
        view = _view(cause, event, tip)
        found.append(_Expanded(cause, tip, view, rules.notices_for(view)))
    return found


class _Batch:
    """One batch's expansion: reads shared by its causes, rows written together."""

    def __init__(
        self, session: AsyncSession, *, settings: Settings, cipher: DataCipher, now: datetime
    ) -> None:
        self.session = session
        self.settings = settings
        self.cipher = cipher
        self.now = now
        self.configured = channels.configured(settings)
        self.directory = rules.Directory(session)
        self.inbox: list[dict[str, Any]] = []
        self.sends: list[_Send] = []

    async def prefetch(self, expanded: Sequence[_Expanded]) -> dict[str, ReporterNotifyContact]:
        """Every user of the units the staff notices concern, and every reporter contact the
        reporter notices need (an outcome: also those of the tips merged into it)."""
        units: set[str] = set()
        ids: set[str] = set()
        outcomes = {
            item.tip.id
            for item in expanded
            for notice in item.notices
            if notice.type == "reporter.outcome"
        }
        merged = await merged_into(self.session, outcomes) if outcomes else {}
        reporter_tips: set[str] = set()
        for item in expanded:
            for notice in item.notices:
                if rules.Audience.reporter in notice.audiences:
                    tips = [item.tip.id]
                    if notice.type == "reporter.outcome":
                        tips += merged[item.tip.id]
                    item.reporter_tips[notice.type] = tips
                    reporter_tips.update(tips)
                    continue
                unit = notice.unit_code or item.tip.assigned_unit_code
                units.update(rules.units_to_read(notice, unit_code=unit, data=item.view.data))
                ids.update(
                    str(i) for i in (item.view.data.get("assignee_id"), item.tip.assignee_id) if i
                )
        await self.directory.prefetch(unit_codes=units, user_ids=ids)
        if not reporter_tips:
            return {}
        contacts = await self.session.scalars(
            select(ReporterNotifyContact).where(
                ReporterNotifyContact.tip_id.in_(sorted(reporter_tips))
            )
        )
        return {contact.tip_id: contact for contact in contacts}

    async def staff(self, item: _Expanded, notice: rules.Notice) -> None:
        tip = item.tip
        users = await self.directory.resolve(
            notice.audiences,
            unit_code=notice.unit_code or tip.assigned_unit_code,
            assignee_id=tip.assignee_id,
            data=item.view.data,
        )
        for user in users:
            self.inbox.append(
                {
                    "user_id": user.id,
                    "cause_id": item.cause.id,
                    "type": notice.type,
                    "tip_id": tip.id,
                    "reference": tip.reference,
                    "at": item.cause.at,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            chans = user_channels(user, self.configured)
            self.sends.append(
                _Send(item.cause.id, notice, f"user:{user.id}", chans, user.id, tip.id)
            )

    def reporters(
        self, item: _Expanded, notice: rules.Notice, contacts: dict[str, ReporterNotifyContact]
    ) -> None:
        """The tip's reporter; for an outcome, also the reporters of the tips merged into it
        (API.md: they are told the result too), each about their own tip and reference."""
        for tip_id in item.reporter_tips[notice.type]:
            row = contacts.get(tip_id)
            if row is None:
                continue
            contact = notify_contact.open_contact(row, cipher=self.cipher)
            chans = contact_channels(contact, self.configured)
            self.sends.append(
                _Send(item.cause.id, notice, f"reporter:{tip_id}", chans, None, tip_id)
            )

    async def expand(self, causes: Sequence[Row[Any]]) -> None:
        expanded = await _load(self.session, causes)
        alerts = [
            _alert_row(
                tip_id=item.tip.id,
                assigned_unit_code=item.tip.assigned_unit_code,
                data=item.view.data,
                raised_at=item.cause.at,
                now=self.now,
            )
            for item in expanded
            if item.cause.type == "tip.urgent"
        ]
        contacts = await self.prefetch(expanded)
        for item in expanded:
            for notice in item.notices:
                if rules.Audience.reporter in notice.audiences:
                    self.reporters(item, notice, contacts)
                else:
                    await self.staff(item, notice)
        deliveries = await _delivery_rows(
            self.session, self.sends, now=self.now, settings=self.settings
        )
        await _insert_ignore(self.session, UrgentAlert, alerts)
        # An inbox reads in id order, and UUIDv7s made within one millisecond are not in
        # the order they were made: the batch's ids, sorted, go to its entries in order.
        for entry, entry_id in zip(self.inbox, sorted(new_id() for _ in self.inbox), strict=True):
            entry["id"] = entry_id
        await _insert_ignore(self.session, Notification, self.inbox)
        await _insert_ignore(self.session, NotificationDelivery, deliveries)


async def expand_pending(
    session: AsyncSession,
    *,
    settings: Settings,
    cipher: DataCipher,
    now: datetime,
    limit: int = EXPAND_BATCH,
) -> int:
    """Expand up to ``limit`` causes not yet expanded; how many. The caller commits."""
    causes = await _claim(session, now=now, limit=limit)
    if causes:
        await _Batch(session, settings=settings, cipher=cipher, now=now).expand(causes)
    return len(causes)
