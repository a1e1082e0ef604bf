"""The change feed (GET /api/v1/events): tip timeline rows, numbered in commit order.

Timeline rows (``TipEvent``) get their ids when inserted, so under concurrent transactions
on PostgreSQL a row with a smaller id can commit after one with a larger id: a reader paging
by id would skip it. The feed therefore numbers rows itself, after they commit:

* :func:`sequence_pending` takes one lock (``pg_advisory_xact_lock`` on PostgreSQL; SQLite's
  single write lock), reads the highest position given so far and numbers the committed rows
  that have none, in id order. A row that is not committed yet is invisible to it and gets a
  higher number later; positions only ever grow, and one sequencing transaction publishes
  all its numbers at once, so the committed positions are always a gapless-in-time prefix:
  a reader that has seen position P never later finds a new row below P.
* The same transaction writes the webhook deliveries of each newly numbered event (the
  outbox), so a numbered event is never lost to subscribers.
* Readers sequence before reading (cheap when nothing is pending), and the delivery worker
  sequences on every tick, so nobody waits for a scheduler.

Every timeline row is numbered (that keeps the pending set small); the feed shows only the
published types, so positions are strictly increasing but not contiguous. Item data is
built from a whitelist of fields: codes, statuses, references and times, never free text
(notes, reasons, messages) nor anything about the reporter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import events as audit_events
from app.core import dialect
from app.core.cursor import Int, decode_cursor, encode_cursor
from app.core.principal import Principal
from app.core.time import utcnow
from app.integration import webhooks
from app.integration.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from app.integration.schemas import PUBLISHED_EVENT_TYPES, FeedEvent
from app.scope.visibility import visible_tips_clause
from app.tips.models import Tip, TipEvent
from app.tips.provinces import provinces_of_tips

# TipEvent columns and ``data`` keys a feed item may carry: codes, statuses, ids, times.
_EVENT_COLUMNS = ("unit_code", "from_status", "to_status", "public_status")
_SAFE_DATA_KEYS = frozenset(
    {
        # tip.created / tip.urgent
        "register_number",
        "unit_code",
        "category_code",
        "channel",
        "urgent",
        "alerted_unit_code",
        "assigned_unit_code",
        # tip.status_changed
        "outcome",
        "resumed_due_at",
        # tip.assigned (who the officer is stays internal)
        "claimed",
        # tip.transferred
        "from_unit",
        "to_unit",
        "due_at",
        # tip.merged
        "into_id",
        "into_reference",
        # tip.deadline_extended
        "previous_due_at",
        "until",
        "extension",
        # tip.overdue
        "deadline",
        "status",
        # tip.message_added (the body stays internal)
        "message_id",
        "direction",
        "attachments",
        # tip.rerouted (by an administrative change-set)
        "change_set_id",
        # tip.acknowledged (by the endpoint or a transition), tip.escalated, complaints
        "by",
        "level",
        "complaint_id",
        # reference.changed
        "kind",
        "code",
    }
)

# Key of the advisory lock that serializes sequencing ("TinBaoFd" as an int64).
FEED_LOCK_KEY = 0x54696E42616F4664
SEQUENCE_BATCH = 1000
MAX_POSITION = 2**63 - 1  # BIGINT
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class FeedItem:
    id: int
    type: str
    tip_id: str | None  # None for reference.changed
    at: datetime
    data: dict[str, Any]

    def as_json(self) -> str:
        """The item as the API shows it (the webhook body)."""
        return FeedEvent.model_validate(self, from_attributes=True).model_dump_json()


def _scalar(value: Any) -> bool:
    if isinstance(value, str | int | float | bool) or value is None:
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def item_data(
    event: TipEvent, *, reference: str | None, province_code: str | None
) -> dict[str, Any]:
    """What a feed item says about an event: whitelisted, free of personal data."""
    data: dict[str, Any] = {}
    if reference is not None:
        data = {"reference": reference, "province_code": province_code}
    for column in _EVENT_COLUMNS:
        value = getattr(event, column)
        if value is not None:
            data[column] = value
    for key, value in (event.data or {}).items():
        if key in _SAFE_DATA_KEYS and _scalar(value):
            data[key] = value
    changes = (event.data or {}).get("changes")
    if event.type == "tip.corrected" and isinstance(changes, dict):
        data["changes"] = _safe_changes(changes)
    return data


# Corrected fields a feed item may show with their values; others (address, point) say only
# that they changed.
_SAFE_CHANGE_FIELDS = frozenset(
    {
        "category_code",
        "kind",
        "tip_type",
        "urgent",
        "priority",
        "location.commune_code",
        "location.province_code",
        "location.location_unknown",
    }
)


def _safe_changes(changes: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for field, change in changes.items():
        if not isinstance(field, str) or len(field) > 64:
            continue
        if field in _SAFE_CHANGE_FIELDS and isinstance(change, dict):
            safe[field] = {
                side: change.get(side) for side in ("from", "to") if _scalar(change.get(side))
            }
        else:
            safe[field] = {"masked": True}
    return safe


def _item(event: TipEvent, reference: str | None, province_code: str | None) -> FeedItem:
    assert event.feed_position is not None
    return FeedItem(
        id=event.feed_position,
        type=event.type,
        tip_id=event.tip_id,
        at=event.at,
        data=item_data(event, reference=reference, province_code=province_code),
    )


# --- sequencing ---------------------------------------------------------------------------


async def _serialize_sequencers(session: AsyncSession) -> None:
    noop = update(TipEvent).where(TipEvent.id == -1).values(feed_position=TipEvent.feed_position)
    await dialect.serialize_writers(session, key=FEED_LOCK_KEY, sqlite_noop=noop)


async def has_pending(session: AsyncSession) -> bool:
    pending = await session.scalar(
        select(TipEvent.id).where(TipEvent.feed_position.is_(None)).limit(1)
    )
    return pending is not None


def _matches(
    subscription: WebhookSubscription, event: TipEvent, provinces: set[str] | None
) -> bool:
    """A subscription receives what happened from its creation on (an event written just
    before it, and sequenced after, is history: the feed has it). A subscription of a
    province sees what its supervisors see: the province's tips (``provinces``:
    app.tips.provinces.provinces_of_tips), and every reference change (``provinces`` None)."""
    return (event.type in subscription.events and event.at >= subscription.created_at) and (
        subscription.province_code is None
        or provinces is None
        or subscription.province_code in provinces
    )


# Core, executed with one parameter set per event: the ORM's bulk UPDATE by primary key
# spent more time sorting parameters into statements than PostgreSQL spent updating.
_EVENTS: Table = TipEvent.__table__  # type: ignore[assignment]
_NUMBER = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(feed_position=bindparam("position"), chain_hash=bindparam("hash"))
)


async def sequence_pending(session: AsyncSession, *, batch_size: int = SEQUENCE_BATCH) -> int:
    """Number up to ``batch_size`` committed, unnumbered timeline rows; returns how many.

    Also writes their webhook deliveries. Flushes; the caller commits at once (the lock is
    held until then). Returns 0 quickly, without locking, when nothing is pending.
    """
    if not await has_pending(session):
        return 0
    await _serialize_sequencers(session)
    last = await session.scalar(select(func.max(TipEvent.feed_position))) or 0
    rows = (
        await session.execute(
            select(TipEvent, Tip.reference, Tip.province_code)
            # Outer join: reference.changed events belong to no tip.
            .outerjoin(Tip, Tip.id == TipEvent.tip_id)
            .where(TipEvent.feed_position.is_(None))
            .order_by(TipEvent.id)
            .limit(batch_size)
        )
    ).all()
    if not rows:
        return 0
    # Numbered and chained (app.audit.events) in one go, under the sequencer's lock.
    numbering = await audit_events.chain_numbering(
        session, (row[0] for row in rows), last_position=last
    )
    await session.execute(
        _NUMBER,
        [
            {"event_id": n["id"], "position": n["feed_position"], "hash": n["chain_hash"]}
            for n in numbering
        ],
    )
    await _fan_out(session, rows=rows, first_position=last + 1)
    await session.flush()
    return len(rows)


async def _fan_out(session: AsyncSession, *, rows: Sequence[Any], first_position: int) -> None:
    subscriptions = (
        (
            await session.execute(
                select(WebhookSubscription).where(
                    WebhookSubscription.deleted_at.is_(None), webhooks.owner_enabled()
                )
            )
        )
        .scalars()
        .all()
    )
    if not subscriptions:
        return
    now = utcnow()
    deliveries: list[dict[str, Any]] = []
    tip_provinces = await provinces_of_tips(
        session, (row[0].tip_id for row in rows if row[0].tip_id is not None)
    )
    for offset, (event, reference, province_code) in enumerate(rows):
        if event.type not in PUBLISHED_EVENT_TYPES:
            continue
        provinces = (
            None if event.tip_id is None else tip_provinces.get(event.tip_id, {province_code})
        )
        targets = [s for s in subscriptions if _matches(s, event, provinces)]
        if not targets:
            continue
        position = first_position + offset
        item = FeedItem(
            id=position,
            type=event.type,
            tip_id=event.tip_id,
            at=event.at,
            data=item_data(event, reference=reference, province_code=province_code),
        )
        payload = item.as_json()
        deliveries.extend(
            {
                "subscription_id": s.id,
                "feed_position": position,
                "event_type": event.type,
                "payload": payload,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for s in targets
        )
    if deliveries:
        await session.execute(insert(WebhookDelivery), deliveries)


# --- reading ------------------------------------------------------------------------------


def decode_position(cursor: str | None) -> int:
    """The feed position an ``after`` cursor stands for (0 = the start)."""
    if cursor is None or cursor == "":
        return 0
    (position,) = decode_cursor(cursor, Int(0, MAX_POSITION - 1), param="after")
    return int(position)


def encode_position(position: int) -> str:
    return encode_cursor([position])


async def read_events(
    session: AsyncSession, *, principal: Principal, after: int, limit: int
) -> tuple[list[FeedItem], int]:
    """Published events after ``after`` that the caller may see, and the next position.

    The horizon (the highest committed position) is read first: everything at or below it
    is committed, so when a page is not full the consumer may resume from the horizon
    without ever skipping an event that is numbered later.
    """
    horizon = await session.scalar(select(func.max(TipEvent.feed_position))) or 0
    query = (
        select(TipEvent, Tip.reference, Tip.province_code)
        .outerjoin(Tip, Tip.id == TipEvent.tip_id)
        .where(
            TipEvent.feed_position > after,
            TipEvent.feed_position <= horizon,
            TipEvent.type.in_(PUBLISHED_EVENT_TYPES),
            # Reference changes are public knowledge; tip events follow the tip's scope.
            or_(TipEvent.tip_id.is_(None), visible_tips_clause(principal)),
        )
        .order_by(TipEvent.feed_position)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    items = [_item(event, reference, province) for event, reference, province in rows]
    if len(items) == limit:
        return items, items[-1].id
    return items, max(after, horizon)
