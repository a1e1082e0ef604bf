"""The staff queue: what a caller may see, filtered, sorted, one keyset page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units.fold import fold
from app.core.cursor import (
    Element,
    Int,
    InvalidCursor,
    Nullable,
    Str,
    Tag,
    Time,
    decode_cursor,
    encode_cursor,
)
from app.core.errors import Forbidden
from app.core.messages import msg
from app.core.principal import Principal
from app.core.time import as_utc, local_day_start, utcnow
from app.scope import visibility as scope
from app.tips.models import (
    Tip,
    TipWatcher,
)
from app.tips.schemas import UnitRef
from app.tips.status import public_status_for
from app.triage import reads
from app.triage.overdue import is_overdue, overdue_clause
from app.triage.schemas import (
    QueueFilters,
    QueueSort,
    TipPage,
    TipSummary,
)
from app.units.models import PoliceUnit

_SORT_TAG = {QueueSort.due_at: "d", QueueSort.newest: "c", QueueSort.priority: "p"}


def _keyset_after(keys: Sequence[Any], values: Sequence[Any], *, descending: bool) -> Any:
    """Rows strictly after ``values`` in the order of ``keys``, all in one direction.

    A row-value comparison ``(a, b) < (x, y)``: an index on ``(a, b)`` reads it as a range
    (``a < x OR (a = x AND b < y)`` it cannot). SQLite has row values since 3.15.
    """
    row, bound = (
        tuple_(*keys),
        tuple_(*(literal(v, type_=k.type) for k, v in zip(keys, values, strict=True))),
    )
    return row < bound if descending else row > bound


def _order(sort: QueueSort, columns: Any) -> list[Any]:
    """The ORDER BY of ``sort`` on ``columns`` (``Tip``, or a subquery's ``.c``)."""
    c = columns
    if sort is QueueSort.due_at:
        return [c.due_at.asc().nulls_last(), c.id.asc()]
    if sort is QueueSort.priority:
        return [c.urgent.desc(), c.priority.desc(), c.created_at.desc(), c.id.desc()]
    return [c.created_at.desc(), c.id.desc()]


_ID = Str()
# What each order's cursor holds after its tag: the sort keys of the last row, then its id.
_CURSOR_SHAPES: dict[QueueSort, tuple[Element, ...]] = {
    # 1 = among the tips without a due date (which come last), else 0 and the due date
    QueueSort.due_at: (Tag("d"), Int(0, 1), Nullable(Time()), _ID),
    QueueSort.priority: (Tag("p"), Int(0, 1), Int(-(2**31), 2**31 - 1), Time(), _ID),
    QueueSort.newest: (Tag("c"), Time(), _ID),
}


def _continue_after(sort: QueueSort, cursor: str) -> tuple[Any, list[Any] | None]:
    """The WHERE clause that continues after ``cursor`` and, for ``newest``, its
    ``(created_at, id)`` bound (the unit queue walks its watchers from it).

    Each order is plain columns in one direction, so an index on them serves it and the
    cursor is one row-value range; tips without a due date come last (``NULLS LAST``, which
    PostgreSQL's ascending index order already is).
    """
    values = decode_cursor(cursor, *_CURSOR_SHAPES[sort])[1:]
    if sort is QueueSort.due_at:
        without_due, due, tip_id = values
        if without_due:
            return and_(Tip.due_at.is_(None), Tip.id > tip_id), None
        if due is None:
            raise InvalidCursor()
        after = or_(
            _keyset_after([Tip.due_at, Tip.id], [due, tip_id], descending=False),
            Tip.due_at.is_(None),
        )
        return after, None
    if sort is QueueSort.priority:
        urgent, priority, created_at, tip_id = values
        keys = [Tip.urgent, Tip.priority, Tip.created_at, Tip.id]
        bound = [urgent == 1, priority, created_at, tip_id]
        return _keyset_after(keys, bound, descending=True), None
    bound = list(values)
    return _keyset_after([Tip.created_at, Tip.id], bound, descending=True), bound


def _cursor_for(sort: QueueSort, tip: Tip) -> str:
    if sort is QueueSort.due_at:
        due = tip.due_at
        values: list[Any] = [1 if due is None else 0, due]
    elif sort is QueueSort.priority:
        values = [1 if tip.urgent else 0, tip.priority, tip.created_at]
    else:
        values = [tip.created_at]
    return encode_cursor([_SORT_TAG[sort], *values, tip.id])


def _summary(
    tip: Tip, unit_name: str, now: datetime, *, last_message_at: datetime | None, unread: int
) -> TipSummary:
    return TipSummary(
        id=tip.id,
        reference=tip.reference,
        category_code=tip.category_code,
        kind=tip.kind,
        tip_type=tip.tip_type,
        status=tip.status,
        public_status=public_status_for(tip.status),
        urgent=tip.urgent,
        priority=tip.priority,
        assigned_unit=UnitRef(code=tip.assigned_unit_code, name=unit_name),
        assignee_id=tip.assignee_id,
        province_code=tip.province_code,
        commune_code=tip.commune_code,
        location_mismatch=tip.location_mismatch,
        created_at=tip.created_at,
        received_at=tip.received_at,
        acknowledge_by=tip.acknowledge_by,
        transfer_due_at=tip.transfer_due_at,
        due_at=tip.due_at,
        overdue=is_overdue(tip, now),
        escalation_level=tip.escalation_level,
        last_reporter_message_at=last_message_at,
        unread_messages=unread,
    )


def check_search_allowed(principal: Principal, filters: QueueFilters) -> None:
    """``q`` reads people's words: 403 for analysts and API keys (API.md). The export calls
    this before it starts streaming."""
    if filters.q and not scope.sees_personal_data(principal):
        raise Forbidden(msg("triage.search_forbidden"))


def queue_conditions(
    principal: Principal, filters: QueueFilters, now: datetime
) -> list[ColumnElement[bool]]:
    """The filters of a queue request as WHERE conditions (the caller's scope aside).

    Shared with the CSV export (app.integration.exports), which honours the same filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Tip.status.in_([s.value for s in filters.status]))
    if filters.category_code:
        conditions.append(Tip.category_code == filters.category_code)
    if filters.unit_code:
        conditions.append(Tip.assigned_unit_code == filters.unit_code)
    if filters.assignee_id == "none":
        conditions.append(Tip.assignee_id.is_(None))
    elif filters.assignee_id:
        assignee = principal.id if filters.assignee_id == "me" else filters.assignee_id
        conditions.append(Tip.assignee_id == assignee)
    if filters.overdue is not None:
        clause = overdue_clause(now)
        # NULL deadlines make the clause NULL, not false: coalesce before negating.
        conditions.append(clause if filters.overdue else not_(func.coalesce(clause, False)))
    if filters.urgent is not None:
        conditions.append(Tip.urgent.is_(filters.urgent))
    if filters.escalated is not None:
        level = Tip.escalation_level
        conditions.append(level > 0 if filters.escalated else level == 0)
    conditions.extend(_case_conditions(principal, filters, now))
    if filters.created_from is not None:
        start = filters.created_from
        start = as_utc(start) if isinstance(start, datetime) else local_day_start(start)
        conditions.append(Tip.created_at >= start)
    if filters.created_to is not None:
        end = filters.created_to
        if isinstance(end, datetime):
            conditions.append(Tip.created_at <= as_utc(end))
        else:
            conditions.append(Tip.created_at < local_day_start(end + timedelta(days=1)))
    if filters.q:
        check_search_allowed(principal, filters)
        conditions.append(Tip.search_text.contains(fold(filters.q), autoescape=True))
    return conditions


def _case_conditions(
    principal: Principal, filters: QueueFilters, now: datetime
) -> list[ColumnElement[bool]]:
    """Channel, kind, type, place, acknowledgement, deadline and unread-message filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.channel is not None:
        conditions.append(Tip.channel == filters.channel.value)
    if filters.kind is not None:
        conditions.append(Tip.kind == filters.kind.value)
    if filters.tip_type is not None:
        conditions.append(Tip.tip_type == filters.tip_type.value)
    if filters.commune_code is not None:
        conditions.append(Tip.commune_code == filters.commune_code)
    if filters.acknowledge_overdue is not None:
        late = and_(Tip.acknowledged_at.is_(None), Tip.acknowledge_by < now)
        conditions.append(late if filters.acknowledge_overdue else not_(late))
    if filters.due_before is not None:
        bound = filters.due_before
        bound = as_utc(bound) if isinstance(bound, datetime) else local_day_start(bound)
        conditions.append(Tip.due_at < bound)
    if filters.has_unread_messages is not None:
        unread = reads.has_unread_clause(principal)
        conditions.append(unread if filters.has_unread_messages else not_(unread))
    return conditions


def _unit_queue_ids(
    unit: str,
    conditions: list[Any],
    sort: QueueSort,
    limit: int,
    *,
    after: Sequence[Any] | None = None,
) -> Any:
    """The ids of the first ``limit`` tips a unit's queue shows, as a subquery.

    A unit sees the tips assigned to it and, read-only, the tips it watches, which include
    every tip it handed on (``transfer`` keeps a ``transfer`` watcher for the former unit,
    so its register entries need no separate branch). Each part is cut at ``limit`` in the
    queue's order and the page is the first ``limit`` of their union; an OR of the two,
    with EXISTS, can use no index and sorted every tip. The assigned part walks
    ``ix_tips_unit_created``. Newest first, the watched part walks
    ``ix_tip_watchers_unit_created`` (the watcher holds the tip's ``created_at``) from the
    cursor's ``after`` bound and stops at ``limit``. Other orders start from all the unit's
    watchers (a few thousand at most) and sort them: the ``OFFSET 0`` keeps PostgreSQL from
    walking every tip by date and probing the watchers of each, which it otherwise prefers.
    """
    assigned = (
        select(Tip.id)
        .where(Tip.assigned_unit_code == unit, *conditions)
        .order_by(*_order(sort, Tip))
        .limit(limit)
        .subquery()
    )
    if sort is QueueSort.newest:
        keys = [TipWatcher.tip_created_at, TipWatcher.tip_id]
        walk = [_keyset_after(keys, after, descending=True)] if after is not None else []
        watched_newest = (
            select(Tip.id)
            .select_from(TipWatcher)
            .join(Tip, Tip.id == TipWatcher.tip_id)
            .where(
                TipWatcher.unit_code == unit,
                *walk,
                Tip.assigned_unit_code != unit,
                *conditions,
            )
            .order_by(TipWatcher.tip_created_at.desc(), TipWatcher.tip_id.desc())
            .limit(limit)
            .subquery()
        )
        return union_all(select(assigned.c.id), select(watched_newest.c.id))
    watched_tips = (
        select(Tip.id, Tip.created_at, Tip.due_at, Tip.urgent, Tip.priority)
        .join(TipWatcher, TipWatcher.tip_id == Tip.id)
        .where(TipWatcher.unit_code == unit, Tip.assigned_unit_code != unit, *conditions)
        .offset(0)
        .subquery()
    )
    watched = (
        select(watched_tips.c.id).order_by(*_order(sort, watched_tips.c)).limit(limit).subquery()
    )
    return union_all(select(assigned.c.id), select(watched.c.id))


async def list_queue(
    session: AsyncSession, *, principal: Principal, filters: QueueFilters
) -> TipPage:
    """The caller's queue: what they may see, filtered, sorted, one keyset page."""
    now = utcnow()
    conditions = queue_conditions(principal, filters, now)
    order = _order(filters.sort, Tip)
    newest_bound = None
    if filters.cursor is not None:
        after, newest_bound = _continue_after(filters.sort, filters.cursor)
        conditions.append(after)
    limit = filters.limit + 1
    where: list[ColumnElement[bool]]
    if principal.role in scope.UNIT_ROLES and principal.unit_code:
        ids = _unit_queue_ids(
            principal.unit_code, conditions, filters.sort, limit, after=newest_bound
        )
        where = [Tip.id.in_(ids)]
    else:
        where = [scope.visible_tips_clause(principal), *conditions]
    # The page's ids first (its own FROM: not correlated to the outer tips), then its rows
    # with their conversation state, in one statement: the state's subqueries run for the
    # page's rows only. Two more statements per page cost more than the page's tips did.
    page_ids = select(Tip.id).where(*where).order_by(*order).limit(limit).correlate(None)
    paged = (
        select(
            Tip,
            PoliceUnit.name,
            reads.last_reporter_message_at(Tip),
            reads.unread_messages(principal, Tip),
        )
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .where(Tip.id.in_(page_ids))
        .order_by(*order)
    )
    rows = (await session.execute(paged)).tuples().all()
    page = rows[: filters.limit]
    next_cursor = (
        _cursor_for(filters.sort, page[-1][0]) if len(rows) > filters.limit and page else None
    )
    items = [
        _summary(tip, name, now, last_message_at=last_at, unread=unread)
        for tip, name, last_at, unread in page
    ]
    return TipPage(items=items, next_cursor=next_cursor)
