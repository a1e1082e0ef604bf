"""Intake's writes: the tip and its rows in as few statements as the database allows.

Core statements, not ORM units of work (intake writes a dozen rows per tip and reads none of
them back). In the caller's transaction, in this order:

1. the register counter (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, app.tips.register):
   its row stays locked until the transaction ends, a rollback gives the number back;
2. the tip, ``ON CONFLICT DO NOTHING RETURNING id``: no reference pre-check; on the rare
   conflict (40-bit references, 100-bit receipts) nothing is written and a new reference and
   receipt are drawn — the register number stays the tip's, so no gap;
3. everything else — register entry, the provinces the tip belongs to (app.tips.provinces),
   reporter identity and notice contact (encrypted), the watchers, the timeline rows with
   their outbox rows (app.tips.timeline's followers: app.notifications), a staff intake
   record, and last the Idempotency-Key record. PostgreSQL: one statement, data-modifying
   CTEs around the record's upsert. SQLite (one writer at a time anyway): the same
   statements one by one.

The timeline rows are the change feed's (the sequencer numbers and chains them after commit,
app.integration.feed / app.audit.events): they commit or roll back with the tip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Insert, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import dialect
from app.core.time import utcnow
from app.tips.models import (
    IntakeRecord,
    RegisterEntry,
    ReporterIdentity,
    ReporterNotifyContact,
    Tip,
    TipEvent,
    TipWatcher,
)
from app.tips.timeline import inserted_events_followers

MAX_DRAWS = 10


@dataclass
class TipRows:
    """The rows of one tip besides the tip itself (column values)."""

    register_entry: dict[str, Any]
    events: list[dict[str, Any]]
    identity: dict[str, Any] | None = None
    notify_contact: dict[str, Any] | None = None
    watchers: list[dict[str, Any]] = field(default_factory=list)
    intake_record: dict[str, Any] | None = None
    provinces: Insert | None = None  # app.tips.provinces.received_rows


async def insert_tip(
    session: AsyncSession, draw: Callable[[], tuple[dict[str, Any], str]]
) -> tuple[dict[str, Any], str]:
    """Insert the tip ``draw()`` answers (its values and receipt), drawing again when its
    reference or receipt is taken; answers the values and receipt inserted."""
    for _ in range(MAX_DRAWS):
        values, receipt = draw()
        stmt = dialect.insert(session, Tip).values(values).on_conflict_do_nothing()
        inserted = (await session.execute(stmt.returning(Tip.id))).scalar_one_or_none()
        if inserted is not None:
            return values, receipt
    raise RuntimeError("could not draw a free reference")  # 40 bits: practically unreachable


def _inserts(rows: TipRows) -> list[Insert]:
    now = utcnow()
    stamped = {"created_at": now, "updated_at": now}
    statements = [insert(RegisterEntry).values(rows.register_entry)]
    if rows.provinces is not None:
        statements.append(rows.provinces)
    if rows.identity is not None:
        statements.append(insert(ReporterIdentity).values({**rows.identity, **stamped}))
    if rows.notify_contact is not None:
        statements.append(insert(ReporterNotifyContact).values({**rows.notify_contact, **stamped}))
    if rows.watchers:
        statements.append(insert(TipWatcher).values([{**w, **stamped} for w in rows.watchers]))
    if rows.intake_record is not None:
        statements.append(insert(IntakeRecord).values({**rows.intake_record, **stamped}))
    return statements


async def insert_rows(
    session: AsyncSession, *, tip_id: str, rows: TipRows, last: Insert | None
) -> bool:
    """Insert ``rows`` and then ``last`` (the Idempotency-Key record's upsert, which answers a
    row when it stored the record). False when ``last`` stored nothing: the caller rolls
    back."""
    statements = _inserts(rows)
    now = utcnow()
    if dialect.dialect_name(session) == "postgresql":
        events = (
            insert(TipEvent)
            .values(rows.events)
            .returning(TipEvent.id, TipEvent.type, TipEvent.tip_id, TipEvent.at)
            .cte("inserted_events")
        )
        ctes = [s.cte(f"w{i}") for i, s in enumerate(statements)]
        ctes.append(events)
        ctes += [
            s.cte(f"f{i}") for i, s in enumerate(inserted_events_followers(session, events, now))
        ]
        main: Any = last if last is not None else select(func.count()).select_from(events)
        result = await session.execute(main.add_cte(*ctes, nest_here=False))
        return last is None or result.first() is not None
    for statement in statements:
        await session.execute(statement)
    await session.execute(insert(TipEvent).values(rows.events))
    events_of_tip = (
        select(TipEvent.id, TipEvent.type, TipEvent.tip_id, TipEvent.at)
        .where(TipEvent.tip_id == tip_id)
        .subquery()
    )
    for follower in inserted_events_followers(session, events_of_tip, now):
        await session.execute(follower)
    if last is None:
        return True
    return (await session.execute(last)).first() is not None


def watcher_rows(tip: dict[str, Any], codes: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The watchers' rows: (unit code, reason) pairs."""
    return [
        {
            "tip_id": tip["id"],
            "unit_code": code,
            "reason": reason,
            "tip_created_at": tip["created_at"],
        }
        for code, reason in codes
    ]
