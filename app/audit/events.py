"""The audit chain's second strand: every tip event, hash-chained in feed order.

Tip events are written by many concurrent transactions (intake, workflow, the scheduler)
through one writer (``app.tips.timeline.record_event``). Chaining them at write time would make
every such transaction wait for the previous event's hash, serializing intake on one lock.
Instead the chain is built where events are already serialized: the feed sequencer
(``app.integration.feed.sequence_pending``) numbers committed events in one locked
transaction, within seconds of their commit, and there each event gets

    chain_hash = sha256(previous event's chain_hash + canonical JSON of the event)

in feed order (the first one's predecessor is 64 zeros). Intake never waits for it.

Editing an event (a transfer's unit, a note, a status) breaks its hash; deleting one breaks
the next; deleting the newest ones is caught by the anchors (``app.audit.anchor``), which also
seal the events' head into the audit log itself (``audit.anchored``), so each strand vouches
for the other. Events numbered before this chain existed (``chain_hash`` NULL at the start of
the feed) are reported, not failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import GENESIS_HASH, canonical_json, canonical_time
from app.tips.models import TipEvent

_BATCH = 1000


def event_hash(prev_hash: str, event: TipEvent, position: int) -> str:
    fields: dict[str, Any] = {
        "id": event.id,
        "position": position,
        "tip_id": event.tip_id,
        "type": event.type,
        "at": canonical_time(event.at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "unit_code": event.unit_code,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "public": bool(event.public),
        "public_status": event.public_status,
        "public_message": event.public_message,
        "note": event.note,
        "data": event.data or {},
    }
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode()).hexdigest()


async def head(session: AsyncSession) -> tuple[int, str] | None:
    """(position, chain_hash) of the newest chained event, or None."""
    row = (
        await session.execute(
            select(TipEvent.feed_position, TipEvent.chain_hash)
            .where(TipEvent.feed_position.is_not(None), TipEvent.chain_hash.is_not(None))
            .order_by(TipEvent.feed_position.desc())
            .limit(1)
        )
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return int(row[0]), str(row[1])


async def chain_numbering(
    session: AsyncSession, events: Iterable[TipEvent], *, last_position: int
) -> list[dict[str, Any]]:
    """The sequencer's UPDATE parameters: position and chain hash of each new event, in order.
    Call under the sequencer's lock, with ``last_position`` the highest position given."""
    prev = await session.scalar(
        select(TipEvent.chain_hash).where(TipEvent.feed_position == last_position)
    )
    prev_hash = prev or GENESIS_HASH
    numbering = []
    for position, event in enumerate(events, last_position + 1):
        prev_hash = event_hash(prev_hash, event, position)
        numbering.append({"id": event.id, "feed_position": position, "chain_hash": prev_hash})
    return numbering


@dataclass(frozen=True)
class EventsVerifyResult:
    ok: bool
    checked: int
    unchained: int  # events numbered before the chain existed
    first_bad_position: int | None
    head_position: int | None
    head_hash: str | None


async def verify_events(session: AsyncSession) -> EventsVerifyResult:
    """Walk the events in feed order, recomputing each hash from its predecessor."""
    checked = unchained = 0
    after = 0
    prev_hash: str | None = None
    head_position: int | None = None
    while True:
        batch = (
            (
                await session.execute(
                    select(TipEvent)
                    .where(TipEvent.feed_position > after)
                    .order_by(TipEvent.feed_position)
                    .limit(_BATCH)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        for event in batch:
            position = int(event.feed_position or 0)
            after = position
            if event.chain_hash is None and prev_hash is None:
                unchained += 1  # before the chain began
                continue
            checked += 1
            expected = event_hash(prev_hash or GENESIS_HASH, event, position)
            if event.chain_hash != expected:
                return EventsVerifyResult(False, checked, unchained, position, head_position, None)
            prev_hash, head_position = expected, position
        if len(batch) < _BATCH:
            break
    return EventsVerifyResult(True, checked, unchained, None, head_position, prev_hash)


async def hash_at(session: AsyncSession, position: int) -> str | None:
    return await session.scalar(
        select(TipEvent.chain_hash).where(TipEvent.feed_position == position)
    )
