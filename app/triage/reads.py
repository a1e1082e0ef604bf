"""Which reporter messages a unit has read: one marker per (tip, unit).

A unit has read a tip's conversation up to the newest message its staff fetched with
``GET /tips/{id}/messages`` (message ids are time-ordered UUIDv7, so "up to" is an id
comparison). Unread messages are the reporter's messages after the marker. The queue reads
both through an index on ``tip_messages (tip_id, direction, id)``: the newest reporter
message of a tip is one index probe, the marker a primary-key lookup.

"The caller's unit" is the caller's own unit for officers and leads; for supervisors and
admins (who belong to no unit) it is the unit holding the tip. Only officers and leads move
a marker: a supervisor reading a conversation does not make it read for the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.principal import Principal
from app.core import dialect
from app.core.db import Base, TimestampMixin
from app.core.time import utcnow
from app.scope import visibility as scope
from app.tips.models import MessageDirection, Tip, TipMessage

# The newest reporter message of a tip, and the count after a marker, by index.
MESSAGES_BY_DIRECTION = Index(
    "ix_tip_messages_tip_direction_id", TipMessage.tip_id, TipMessage.direction, TipMessage.id
)

_FROM_REPORTER = MessageDirection.from_reporter.value


class TipMessageRead(TimestampMixin, Base):
    """How far a unit has read a tip's conversation."""

    __tablename__ = "tip_message_reads"

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("police_units.code"), primary_key=True)
    last_read_message_id: Mapped[str] = mapped_column(String(36))
    read_at: Mapped[datetime]


def reader_unit(principal: Principal) -> str | None:
    """The unit whose reading a principal's fetch records (officers and leads only)."""
    if principal.role in scope.UNIT_ROLES and principal.unit_code:
        return principal.unit_code
    return None


async def mark_read(
    session: AsyncSession, *, tip: Tip, principal: Principal, message_ids: Sequence[str]
) -> None:
    """Move the caller's unit's marker to the newest of ``message_ids`` (never backwards)."""
    unit = reader_unit(principal)
    if unit is None or not message_ids:
        return
    newest = max(message_ids)
    now = utcnow()
    statement = dialect.insert(session, TipMessageRead).values(
        tip_id=tip.id,
        unit_code=unit,
        last_read_message_id=newest,
        read_at=now,
        created_at=now,
        updated_at=now,
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[TipMessageRead.tip_id, TipMessageRead.unit_code],
        set_={
            "last_read_message_id": excluded.last_read_message_id,
            "read_at": excluded.read_at,
            "updated_at": excluded.updated_at,
        },
        where=TipMessageRead.last_read_message_id < excluded.last_read_message_id,
    )
    await session.execute(statement)


def _unit_for(principal: Principal, tip: Any) -> Any:
    """The unit whose marker counts for ``principal`` on the row's tip."""
    unit = reader_unit(principal)
    return tip.assigned_unit_code if unit is None else literal(unit, type_=String(32))


def marker_of(principal: Principal, tip: Any = Tip) -> ColumnElement[str]:
    """The marker of the caller's unit on the row's tip ('' when it has read nothing).

    ``tip`` is ``Tip`` or an alias of it (the queue's page): the subquery correlates to it,
    also when nested in another subquery (``unread_messages``)."""
    marker = (
        select(TipMessageRead.last_read_message_id)
        .where(
            TipMessageRead.tip_id == tip.id,
            TipMessageRead.unit_code == _unit_for(principal, tip),
        )
        .correlate_except(TipMessageRead)
        .scalar_subquery()
    )
    return func.coalesce(marker, "")


def _from_reporter(tip: Any) -> list[ColumnElement[bool]]:
    return [TipMessage.tip_id == tip.id, TipMessage.direction == _FROM_REPORTER]


def newest_reporter_message_id() -> ColumnElement[str | None]:
    return select(func.max(TipMessage.id)).where(*_from_reporter(Tip)).scalar_subquery()


def has_unread_clause(principal: Principal) -> ColumnElement[bool]:
    """The row's tip has reporter messages the caller's unit has not read."""
    return func.coalesce(newest_reporter_message_id(), "") > marker_of(principal)


def last_reporter_message_at(tip: Any) -> ColumnElement[datetime]:
    """The time of the reporter's newest message on the row's tip (``Tip`` or an alias);
    NULL when the reporter has sent none."""
    return (
        select(func.max(TipMessage.created_at))
        .where(*_from_reporter(tip))
        .correlate_except(TipMessage)
        .scalar_subquery()
    )


def unread_messages(principal: Principal, tip: Any) -> ColumnElement[int]:
    """How many of the reporter's messages on the row's tip the caller's unit has not read.

    A column of the queue's page query (app.triage.queue), so a page costs no statement more
    than its tips: per tip, two probes of ``ix_tip_messages_tip_direction_id`` and the
    marker's primary key."""
    return (
        select(func.count())
        .select_from(TipMessage)
        .where(*_from_reporter(tip), TipMessage.id > marker_of(principal, tip))
        .correlate_except(TipMessage)
        .scalar_subquery()
    )
