"""Who saw a reporter's identity, when and why (GET /api/v1/privacy/disclosures).

Two kinds of disclosure are on record, each where it already lives:
* ``reveal`` — a lead, supervisor or admin decrypted it (``tip.reporter_revealed`` audit
  entries: who, when, the reason given; printing the intake record with the identity is
  audited the same way, app.records.service, so it is listed as a reveal);
* ``intake`` — a staff member typed it when recording a tip at a counter or from the hotline
  (the tip's ``IntakeRecord``, for tips that carried an identity).
The list is newest first over both, with one keyset cursor ``(at, kind, key)``. Nothing of
the identity itself is ever listed. Admins see all; supervisors their province's tips (the
one province rule, ``app.scope.visibility.visible_tips_clause``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.core.cursor import InvalidCursor, Str, Time, decode_cursor, encode_cursor
from app.core.principal import Principal
from app.core.time import as_utc
from app.scope.visibility import visible_tips_clause
from app.tips.models import IntakeRecord, ReporterIdentity, Tip

REVEAL, INTAKE = "reveal", "intake"


@dataclass(frozen=True)
class Disclosure:
    kind: str
    tip_id: str
    reference: str
    actor_id: str | None
    actor_label: str
    at: datetime
    reason: str | None
    key: str  # audit entry id (reveal) or tip id (intake): the tie-breaker

    def sort_key(self) -> tuple[datetime, str, str]:
        return (as_utc(self.at), self.kind, self.key.rjust(20, "0"))


def _parse_cursor(cursor: str | None) -> tuple[datetime, str, str] | None:
    if cursor is None:
        return None
    at, kind, key = decode_cursor(cursor, Time(), Str(16), Str(64))
    if kind not in (REVEAL, INTAKE):
        raise InvalidCursor()
    return at, kind, key


def _before(
    at_column: Any, key_column: Any, kind: str, cursor: tuple[datetime, str, str] | None
) -> ColumnElement[bool] | None:
    """Rows of ``kind`` that sort after the cursor (newest first: (at, kind, key) smaller)."""
    if cursor is None:
        return None
    at, cursor_kind, key = cursor
    if kind < cursor_kind:
        same_at: ColumnElement[bool] = at_column == at
    elif kind > cursor_kind:
        return at_column < at
    else:
        key_value: Any = int(key) if kind == REVEAL else key
        same_at = and_(at_column == at, key_column < key_value)
    return or_(at_column < at, same_at)


async def list_disclosures(
    session: AsyncSession,
    *,
    actor: Principal,
    tip_id: str | None,
    since: datetime | None,
    until: datetime | None,
    actor_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Disclosure], str | None]:
    # long: two sources of disclosures (reveal audit entries, printed intake records) filtered
    #   alike and merged into one keyset page
    position = _parse_cursor(cursor)
    scope = None if actor.role == Role.admin else visible_tips_clause(actor)

    reveals = (
        select(AuditEntry, Tip.reference)
        .join(Tip, Tip.id == AuditEntry.object_id)
        .where(AuditEntry.action == "tip.reporter_revealed", AuditEntry.object_type == "tip")
    )
    intakes = (
        select(IntakeRecord, Tip.reference, User.username)
        .join(Tip, Tip.id == IntakeRecord.tip_id)
        .join(ReporterIdentity, ReporterIdentity.tip_id == Tip.id)
        .outerjoin(User, User.id == IntakeRecord.receiving_officer_id)
        .where(Tip.anonymous.is_(False))
    )
    conditions: list[tuple[Any, list[ColumnElement[bool] | None]]] = [
        (
            reveals,
            [
                AuditEntry.object_id == tip_id if tip_id else None,
                AuditEntry.actor_id == actor_id if actor_id else None,
                AuditEntry.at >= since if since else None,
                AuditEntry.at < until if until else None,
                _before(AuditEntry.at, AuditEntry.id, REVEAL, position),
                scope,
            ],
        ),
        (
            intakes,
            [
                IntakeRecord.tip_id == tip_id if tip_id else None,
                IntakeRecord.receiving_officer_id == actor_id if actor_id else None,
                IntakeRecord.received_at >= since if since else None,
                IntakeRecord.received_at < until if until else None,
                _before(IntakeRecord.received_at, IntakeRecord.tip_id, INTAKE, position),
                scope,
            ],
        ),
    ]
    reveals, intakes = (
        query.where(*[c for c in where if c is not None]) for query, where in conditions
    )
    reveal_rows = await session.execute(
        reveals.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    )
    intake_rows = await session.execute(
        intakes.order_by(IntakeRecord.received_at.desc(), IntakeRecord.tip_id.desc()).limit(
            limit + 1
        )
    )
    items = [
        Disclosure(
            REVEAL, e.object_id or "", ref, e.actor_id, e.actor_label, e.at, e.reason, str(e.id)
        )
        for e, ref in reveal_rows
    ] + [
        Disclosure(
            INTAKE,
            r.tip_id,
            ref,
            r.receiving_officer_id,
            username or "",
            r.received_at,
            "staff intake",
            r.tip_id,
        )
        for r, ref, username in intake_rows
    ]
    items.sort(key=Disclosure.sort_key, reverse=True)
    page, more = items[:limit], len(items) > limit
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = encode_cursor([as_utc(last.at), last.kind, last.key])
    return page, next_cursor
