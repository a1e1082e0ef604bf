"""The staff workflow: queues, the full record, transitions, claim and assignment, transfer,
merge, deadline extensions, notes, the conversation with the reporter, and revealing the
reporter's identity.

Every change is a conditional UPDATE guarded by what the change was decided on (the status,
the unit, the assignee, the due date): when another request changed the tip in between, the
UPDATE matches nothing and the caller gets 409 instead of a lost update. Every change writes a
``TipEvent`` (who, when, what); the public part of it is what the reporter sees on /track.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
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
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.accounts.principal import Principal
from app.admin_units.fold import fold
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor
from app.core.security import DataCipher
from app.media import service as media
from app.media.schemas import AttachmentOut
from app.tips.models import (
    IntakeRecord,
    MessageDirection,
    RegisterEntry,
    ReporterIdentity,
    Tip,
    TipEvent,
    TipMessage,
    TipStatus,
    TipWatcher,
    WatchReason,
)
from app.tips.schemas import UnitRef
from app.tips.service import enter_in_register, public_status_for
from app.triage import scope
from app.triage.errors import AlreadyClaimed, StaleTip, TipClosed
from app.triage.extensions import ExtensionRequest, check_extension
from app.triage.models import DeadlineExtension
from app.triage.overdue import is_overdue, overdue_clause
from app.triage.schemas import (
    DeadlineExtensionOut,
    EventActor,
    ExtensionIn,
    IntakeRecordOut,
    Location,
    MessageOut,
    MessagePage,
    QueueFilters,
    QueueSort,
    RegisterEntryOut,
    ReporterAnonymous,
    ReporterIdentityOut,
    ReporterMasked,
    RevealOut,
    TipDetail,
    TipEventOut,
    TipPage,
    TipSummary,
    TransitionIn,
    UserRef,
)
from app.triage.times import LOCAL_TZ, add_months, as_utc
from app.triage.workflow import (
    TERMINAL_STATUSES,
    TransitionRequest,
    allowed_targets,
    find_transition,
    is_terminal,
    plan_transition,
)
from app.units.models import Category, CategoryKind, PoliceUnit, UnitKind

CRIME_RESOLVE_DAYS = 20  # art. 147(1), counted from receipt by the resolving unit
COMMUNE_TRANSFER_HOURS = 24  # art. 146(3), Circular 28/2020
REMOTE_COMMUNE_TRANSFER_HOURS = 48
RESUME_MONTHS = 1  # art. 149: at most one more month after a suspended tip is resumed
RESOLVING_UNIT_KINDS = frozenset({UnitKind.department.value, UnitKind.provincial.value})


# --- lookups -----------------------------------------------------------------------------


def _not_found() -> NotFound:
    return NotFound(("Không tìm thấy tin báo.", "Tip not found."))


async def get_visible_tip(session: AsyncSession, *, principal: Principal, tip_id: str) -> Tip:
    """The tip, if ``principal`` may see it; otherwise 404 (as if it did not exist)."""
    tip = await session.scalar(
        select(Tip).where(Tip.id == tip_id, scope.visible_tips_clause(principal))
    )
    if tip is None:
        raise _not_found()
    return tip


async def _unit_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(PoliceUnit.code, PoliceUnit.name).where(PoliceUnit.code.in_(codes))
    )
    return dict(rows.tuples().all())


def _unit_ref(code: str, names: dict[str, str]) -> UnitRef:
    return UnitRef(code=code, name=names.get(code, code))


# --- the queue ---------------------------------------------------------------------------

_SORT_TAG = {QueueSort.due_at: "d", QueueSort.newest: "c", QueueSort.priority: "p"}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


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


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(errors=[("cursor", ("Con trỏ không hợp lệ", "Invalid cursor"))])


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _bad_cursor()
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError as exc:
        raise _bad_cursor() from exc


def _order(sort: QueueSort, columns: Any) -> list[Any]:
    """The ORDER BY of ``sort`` on ``columns`` (``Tip``, or a subquery's ``.c``)."""
    c = columns
    if sort is QueueSort.due_at:
        return [c.due_at.asc().nulls_last(), c.id.asc()]
    if sort is QueueSort.priority:
        return [c.urgent.desc(), c.priority.desc(), c.created_at.desc(), c.id.desc()]
    return [c.created_at.desc(), c.id.desc()]


def _sort_keys(sort: QueueSort, cursor: str | None) -> tuple[list[Any], Any]:
    """ORDER BY expressions, and the WHERE clause that continues after ``cursor``.

    Each order is plain columns in one direction, so an index on them serves it and the
    cursor is one row-value range; tips without a due date come last (``NULLS LAST``, which
    PostgreSQL's ascending index order already is).
    """
    order = _order(sort, Tip)
    if cursor is None:
        return order, None
    values = decode_cursor(cursor)
    width = {QueueSort.due_at: 3, QueueSort.priority: 4, QueueSort.newest: 2}[sort]
    if not values or values[0] != _SORT_TAG[sort] or len(values) != width + 1:
        raise _bad_cursor()
    values = values[1:]
    if not isinstance(values[-1], str):
        raise _bad_cursor()
    if sort is QueueSort.due_at:
        if values[0] == 1 and type(values[0]) is int:  # among the tips without a due date
            return order, and_(Tip.due_at.is_(None), Tip.id > values[-1])
        if values[0] != 0 or type(values[0]) is not int:
            raise _bad_cursor()
        due = _parse_time(values[1])
        after = or_(
            _keyset_after([Tip.due_at, Tip.id], [due, values[2]], descending=False),
            Tip.due_at.is_(None),
        )
        return order, after
    if sort is QueueSort.priority:
        if values[0] not in (0, 1) or type(values[0]) is not int or type(values[1]) is not int:
            raise _bad_cursor()
        keys = [Tip.urgent, Tip.priority, Tip.created_at, Tip.id]
        bound = [values[0] == 1, values[1], _parse_time(values[2]), values[3]]
        return order, _keyset_after(keys, bound, descending=True)
    return order, _keyset_after([Tip.created_at, Tip.id], _newest_bound(values), descending=True)


def _newest_bound(values: Sequence[Any]) -> list[Any]:
    """The (created_at, id) a ``newest`` cursor's values (tag dropped) continue after."""
    return [_parse_time(values[0]), values[1]]


def _newest_cursor_bound(cursor: str | None) -> list[Any] | None:
    """The bound of a ``newest`` cursor that ``_sort_keys`` has already accepted."""
    return None if cursor is None else _newest_bound(decode_cursor(cursor)[1:])


def _cursor_for(sort: QueueSort, tip: Tip) -> str:
    if sort is QueueSort.due_at:
        due = tip.due_at
        values: list[Any] = [1 if due is None else 0, as_utc(due).isoformat() if due else None]
    elif sort is QueueSort.priority:
        values = [1 if tip.urgent else 0, tip.priority, as_utc(tip.created_at).isoformat()]
    else:
        values = [as_utc(tip.created_at).isoformat()]
    return encode_cursor([_SORT_TAG[sort], *values, tip.id])


def _summary(tip: Tip, unit_name: str, now: datetime) -> TipSummary:
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
    )


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
    if filters.created_from is not None:
        start = filters.created_from
        start = as_utc(start) if isinstance(start, datetime) else _day_start(start)
        conditions.append(Tip.created_at >= start)
    if filters.created_to is not None:
        end = filters.created_to
        if isinstance(end, datetime):
            conditions.append(Tip.created_at <= as_utc(end))
        else:
            conditions.append(Tip.created_at < _day_start(end + timedelta(days=1)))
    if filters.q:
        conditions.append(Tip.search_text.contains(fold(filters.q), autoescape=True))
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
    order, after = _sort_keys(filters.sort, filters.cursor)
    if after is not None:
        conditions.append(after)
    limit = filters.limit + 1
    query = select(Tip, PoliceUnit.name).join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
    if principal.role in scope.UNIT_ROLES and principal.unit_code:
        ids = _unit_queue_ids(
            principal.unit_code,
            conditions,
            filters.sort,
            limit,
            after=_newest_cursor_bound(filters.cursor)
            if filters.sort is QueueSort.newest
            else None,
        )
        query = query.where(Tip.id.in_(ids))
    else:
        query = query.where(scope.visible_tips_clause(principal), *conditions)
    rows = (await session.execute(query.order_by(*order).limit(limit))).tuples().all()
    page = rows[: filters.limit]
    next_cursor = (
        _cursor_for(filters.sort, page[-1][0]) if len(rows) > filters.limit and page else None
    )
    return TipPage(items=[_summary(tip, name, now) for tip, name in page], next_cursor=next_cursor)


# --- the full record ---------------------------------------------------------------------


def _event_out(event: TipEvent, *, personal_data: bool) -> TipEventOut:
    return TipEventOut(
        id=event.id,
        type=event.type,
        at=event.at,
        actor=EventActor(id=event.actor_id, label=event.actor_label),
        unit_code=event.unit_code,
        from_status=event.from_status,
        to_status=event.to_status,
        public=event.public,
        public_status=event.public_status,
        public_message=event.public_message,
        note=event.note if personal_data else None,
        data=event.data or {},
    )


async def list_events(
    session: AsyncSession, *, principal: Principal, tip: Tip
) -> list[TipEventOut]:
    """The tip's whole timeline, oldest first (internal notes withheld from analysts)."""
    events = await session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id).order_by(TipEvent.at, TipEvent.id)
    )
    personal = scope.sees_personal_data(principal)
    return [_event_out(e, personal_data=personal) for e in events]


async def tip_detail(session: AsyncSession, *, principal: Principal, tip: Tip) -> TipDetail:
    now = utcnow()
    personal = scope.sees_personal_data(principal)
    watchers = list(
        await session.scalars(
            select(TipWatcher.unit_code)
            .where(TipWatcher.tip_id == tip.id, TipWatcher.unit_code != tip.assigned_unit_code)
            .order_by(TipWatcher.created_at, TipWatcher.unit_code)
        )
    )
    names = await _unit_names(session, {tip.assigned_unit_code, *watchers})
    assignee = await session.get(User, tip.assignee_id) if tip.assignee_id else None
    entries = await session.scalars(
        select(RegisterEntry)
        .where(RegisterEntry.tip_id == tip.id)
        .order_by(RegisterEntry.registered_at, RegisterEntry.id)
    )
    extensions = await session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.tip_id == tip.id)
        .order_by(DeadlineExtension.created_at)
    )
    intake = await session.get(IntakeRecord, tip.id)
    attachments = await media.list_attachments(session, tip_id=tip.id)
    reporter: ReporterMasked | ReporterAnonymous | None = None
    if personal:
        reporter = ReporterAnonymous() if tip.anonymous else ReporterMasked()
    return TipDetail(
        id=tip.id,
        reference=tip.reference,
        category_code=tip.category_code,
        kind=tip.kind,
        tip_type=tip.tip_type,
        channel=tip.channel,
        description=tip.description,
        occurred_at=tip.occurred_at,
        persons_involved=tip.persons_involved if personal else None,
        victim=tip.victim if personal else None,
        status=tip.status,
        public_status=public_status_for(tip.status),
        allowed_transitions=allowed_targets(tip.kind, tip.status),
        priority=tip.priority,
        urgent=tip.urgent,
        assigned_unit=_unit_ref(tip.assigned_unit_code, names),
        watching_units=[_unit_ref(code, names) for code in watchers],
        assignee=UserRef(id=assignee.id, full_name=assignee.full_name) if assignee else None,
        register_number=tip.register_number,
        register_entries=[
            RegisterEntryOut(
                unit_code=e.unit_code,
                register_number=e.register_number,
                registered_at=e.registered_at,
            )
            for e in entries
        ],
        received_at=tip.received_at,
        acknowledge_by=tip.acknowledge_by,
        acknowledged_at=tip.acknowledged_at,
        classify_by=tip.classify_by,
        transfer_due_at=tip.transfer_due_at,
        due_at=tip.due_at,
        overdue=is_overdue(tip, now),
        first_response_at=tip.first_response_at,
        closed_at=tip.closed_at,
        outcome=tip.outcome,
        outcome_summary=tip.outcome_summary,
        merged_into_id=tip.merged_into_id,
        location=Location(
            commune_code=tip.commune_code,
            province_code=tip.province_code,
            legacy_commune_code=tip.legacy_commune_code,
            address=tip.address,
            lat=tip.lat,
            lon=tip.lon,
            unknown=tip.location_unknown,
        ),
        location_mismatch=tip.location_mismatch,
        anonymous=tip.anonymous,
        on_behalf_of_organization=tip.on_behalf_of_organization,
        organization_id=tip.organization_id,
        movement_model=tip.movement_model,
        reporter=reporter,
        intake_record=(
            IntakeRecordOut(
                receiving_officer_id=intake.receiving_officer_id,
                received_at=intake.received_at,
                place=intake.place,
                recorded=intake.recorded,
                notes=intake.notes if personal else None,
            )
            if intake
            else None
        ),
        attachments=[AttachmentOut.model_validate(a) for a in attachments],
        deadline_extensions=[_extension_out(x) for x in extensions],
        timeline=await list_events(session, principal=principal, tip=tip),
        created_at=tip.created_at,
        updated_at=tip.updated_at,
    )


# --- writing -----------------------------------------------------------------------------


def _event(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal | None,
    type: str,
    at: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> TipEvent:
    """Add a timeline entry. A public one reaches the reporter's /track timeline as the
    tip's new public status with a neutral message (app.tips); notes never do."""
    event = TipEvent(
        tip_id=tip.id,
        type=type,
        at=at,
        actor_id=actor.id if actor is not None and actor.kind == "user" else None,
        actor_label=actor.label if actor is not None else "system",
        unit_code=tip.assigned_unit_code,
        from_status=from_status,
        to_status=to_status,
        public=public,
        public_status=public_status_for(tip.status) if public else None,
        public_message=None,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


async def _apply(
    session: AsyncSession, tip: Tip, guard: Sequence[ColumnElement[bool]], values: dict[str, Any]
) -> None:
    """UPDATE the tip only if ``guard`` still holds; 409 when another request got there first.

    The in-memory object is brought up to date without marking it dirty.
    """
    result = await session.execute(
        update(Tip)
        .where(Tip.id == tip.id, *guard)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTip(
            (
                "Tin báo vừa được người khác thay đổi; hãy tải lại.",
                "The tip was changed by someone else meanwhile; reload it.",
            )
        )
    for key, value in values.items():
        set_committed_value(tip, key, value)


def _first_response(tip: Tip, now: datetime) -> dict[str, Any]:
    """Fields set on the first staff action on a tip."""
    return {"updated_at": now, "first_response_at": tip.first_response_at or now}


def _ensure_open(tip: Tip) -> None:
    if is_terminal(tip.status):
        raise TipClosed(
            (
                "Tin báo đã kết thúc xử lý.",
                f"The tip is closed ({tip.status}).",
            )
        )


async def transition(
    session: AsyncSession, *, tip: Tip, actor: Principal, data: TransitionIn
) -> Tip:
    """Move the tip through the state machine (409 ``invalid_transition`` if not allowed)."""
    now = utcnow()
    plan = plan_transition(
        kind=tip.kind,
        status=tip.status,
        request=TransitionRequest(
            to=data.to.value,
            note=data.note,
            outcome=data.outcome,
            outcome_summary=data.outcome_summary,
        ),
    )
    before_public = public_status_for(tip.status)
    values: dict[str, Any] = {
        **_first_response(tip, now),
        "status": plan.target.value,
        "outcome": plan.outcome,
    }
    if plan.outcome_summary is not None:
        values["outcome_summary"] = plan.outcome_summary
    if plan.source is TipStatus.received and tip.acknowledged_at is None:
        values["acknowledged_at"] = now
    if plan.closes:
        values["closed_at"] = now
    if plan.resumes:
        values["due_at"] = add_months(now, RESUME_MONTHS)
    await _apply(session, tip, [Tip.status == plan.source.value], values)
    changes_public = public_status_for(tip.status) != before_public or plan.closes
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.status_changed",
        at=now,
        from_status=plan.source.value,
        to_status=plan.target.value,
        note=(data.note or "").strip() or None,
        public=changes_public,
        data={
            "outcome": plan.outcome,
            **({"resumed_due_at": values["due_at"].isoformat()} if plan.resumes else {}),
        },
    )
    await session.flush()
    return tip


async def claim(session: AsyncSession, *, tip: Tip, actor: Principal) -> Tip:
    """Take an unassigned tip of one's own unit. Exactly one of concurrent claims wins: the
    UPDATE only matches while nobody holds the tip."""
    now = utcnow()
    _ensure_open(tip)
    result = await session.execute(
        update(Tip)
        .where(
            Tip.id == tip.id,
            Tip.assignee_id.is_(None),
            Tip.assigned_unit_code == actor.unit_code,
            Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
        )
        .values(
            assignee_id=actor.id,
            updated_at=now,
            first_response_at=func.coalesce(Tip.first_response_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(tip)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if tip.assignee_id == actor.id:
            return tip  # claiming again what one holds changes nothing
        if tip.assignee_id is not None:
            raise AlreadyClaimed(
                (
                    "Tin báo đã có cán bộ khác nhận xử lý.",
                    "Another officer has already claimed this tip.",
                ),
                extra={"assignee_id": tip.assignee_id},
            )
        raise StaleTip(("Tin báo vừa thay đổi; hãy tải lại.", "The tip changed; reload it."))
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.assigned",
        at=now,
        data={"assignee_id": actor.id, "previous_assignee_id": None, "claimed": True},
    )
    await session.flush()
    return tip


async def assign(
    session: AsyncSession, *, tip: Tip, actor: Principal, assignee_id: str | None
) -> Tip:
    """Give the tip to an officer or lead of its unit (or take it back with ``None``)."""
    now = utcnow()
    _ensure_open(tip)
    if assignee_id is not None:
        user = await session.get(User, assignee_id)
        if (
            user is None
            or user.disabled
            or user.role not in scope.UNIT_MEMBERS
            or user.unit_code != tip.assigned_unit_code
        ):
            raise ValidationFailed(
                errors=[
                    (
                        "assignee_id",
                        (
                            "Phải là cán bộ hoặc lãnh đạo của đơn vị đang xử lý tin báo.",
                            "Must be an active officer or lead of the tip's unit.",
                        ),
                    )
                ]
            )
    previous = tip.assignee_id
    if previous == assignee_id:
        return tip
    guard = [
        Tip.assigned_unit_code == tip.assigned_unit_code,
        Tip.assignee_id.is_(None) if previous is None else Tip.assignee_id == previous,
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
    ]
    await _apply(session, tip, guard, {**_first_response(tip, now), "assignee_id": assignee_id})
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.assigned",
        at=now,
        data={"assignee_id": assignee_id, "previous_assignee_id": previous, "claimed": False},
    )
    await session.flush()
    return tip


async def transfer(
    session: AsyncSession, *, tip: Tip, actor: Principal, unit_code: str, reason: str
) -> Tip:
    """Hand the same tip to another police unit, which enters it in its own register.

    The tip starts again at ``received`` there, unassigned; the history, the former unit's
    register entry and its read-only sight of the tip (a ``transfer`` watcher) stay. Due
    dates: a crime tip handed to a resolving unit (a provincial unit or department) is due
    20 days after the hand-over and no longer waits for a transfer; handed to another commune
    police, it must be forwarded within 24 h (48 h for a remote commune) and keeps its due
    date. A security/order report gets its category's resolution period afresh.
    """
    now = utcnow()
    find_transition(tip.kind, tip.status, TipStatus.transferred)
    unit = await session.get(PoliceUnit, unit_code)
    if unit is None or not unit.active:
        raise ValidationFailed(
            errors=[("unit_code", ("Không có đơn vị này.", "No such active police unit."))]
        )
    if unit.code == tip.assigned_unit_code:
        raise ValidationFailed(
            errors=[("unit_code", ("Tin báo đã ở đơn vị này.", "The tip is already there."))]
        )
    source_status, source_unit = tip.status, tip.assigned_unit_code
    values: dict[str, Any] = {
        **_first_response(tip, now),
        "assigned_unit_code": unit.code,
        "status": TipStatus.received.value,
        "assignee_id": None,
        "received_at": now,
    }
    if tip.acknowledged_at is None:
        values["acknowledged_at"] = now
    if tip.classify_by is not None:
        values["classify_by"] = now + timedelta(hours=24)
    if tip.kind == CategoryKind.crime:
        if unit.kind in RESOLVING_UNIT_KINDS:
            values["due_at"] = now + timedelta(days=CRIME_RESOLVE_DAYS)
            values["transfer_due_at"] = None
        else:
            hours = REMOTE_COMMUNE_TRANSFER_HOURS if unit.remote else COMMUNE_TRANSFER_HOURS
            values["transfer_due_at"] = now + timedelta(hours=hours)
    else:
        category = await session.get(Category, tip.category_code)
        days = category.resolve_days if category is not None else 15
        values["due_at"] = now + timedelta(days=days)
        values["transfer_due_at"] = None
    await _apply(
        session,
        tip,
        [Tip.status == source_status, Tip.assigned_unit_code == source_unit],
        values,
    )
    entry = await enter_in_register(session, tip=tip, unit_code=unit.code, at=now)
    # The former unit follows what it handed on; the new unit no longer merely watches.
    watchers = {
        w.unit_code: w
        for w in await session.scalars(select(TipWatcher).where(TipWatcher.tip_id == tip.id))
    }
    if unit.code in watchers:
        await session.delete(watchers[unit.code])
    if source_unit not in watchers:
        session.add(
            TipWatcher(
                tip_id=tip.id,
                unit_code=source_unit,
                reason=WatchReason.transfer,
                tip_created_at=tip.created_at,
            )
        )
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.transferred",
        at=now,
        from_status=source_status,
        to_status=TipStatus.received.value,
        note=reason,
        public=True,
        data={
            "from_unit": source_unit,
            "to_unit": unit.code,
            "register_number": entry.register_number,
            "due_at": tip.due_at.isoformat() if tip.due_at else None,
        },
    )
    await session.flush()
    return tip


async def merge(
    session: AsyncSession, *, tip: Tip, actor: Principal, into_id: str, note: str | None
) -> Tip:
    """Close the tip as a duplicate of another tip the caller can see."""
    now = utcnow()
    find_transition(tip.kind, tip.status, TipStatus.merged)
    into = None
    if into_id != tip.id:
        into = await session.scalar(
            select(Tip).where(Tip.id == into_id, scope.visible_tips_clause(actor))
        )
    if into is None:
        raise ValidationFailed(
            errors=[
                (
                    "into_id",
                    (
                        "Không tìm thấy tin báo khác để gộp vào.",
                        "No other tip with this id that you can see.",
                    ),
                )
            ]
        )
    if into.status == TipStatus.merged:
        raise ValidationFailed(
            errors=[
                (
                    "into_id",
                    (
                        "Tin báo đó đã được gộp vào tin khác; hãy gộp vào tin chính.",
                        f"That tip was itself merged; merge into {into.merged_into_id}.",
                    ),
                )
            ]
        )
    source_status = tip.status
    values = {
        **_first_response(tip, now),
        "status": TipStatus.merged.value,
        "merged_into_id": into.id,
        "closed_at": now,
        "outcome": None,
    }
    if tip.acknowledged_at is None:
        values["acknowledged_at"] = now
    await _apply(session, tip, [Tip.status == source_status], values)
    clean_note = (note or "").strip() or None
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.merged",
        at=now,
        from_status=source_status,
        to_status=TipStatus.merged.value,
        note=clean_note,
        public=True,
        data={"into_id": into.id, "into_reference": into.reference},
    )
    _event(
        session,
        tip=into,
        actor=actor,
        type="tip.duplicate_merged",
        at=now,
        note=clean_note,
        data={"from_id": tip.id, "from_reference": tip.reference},
    )
    await session.flush()
    return tip


def _extension_out(extension: DeadlineExtension) -> DeadlineExtensionOut:
    return DeadlineExtensionOut(
        id=extension.id,
        previous_due_at=extension.previous_due_at,
        until=extension.until,
        reason=extension.reason,
        decision_ref=extension.decision_ref,
        actor_id=extension.actor_id,
        created_at=extension.created_at,
    )


async def extend_deadline(
    session: AsyncSession, *, tip: Tip, actor: Principal, data: ExtensionIn
) -> DeadlineExtensionOut:
    """Push ``due_at`` within the limits of app.triage.extensions (409 ``deadline_limit``)."""
    now = utcnow()
    _ensure_open(tip)
    received_at = as_utc(tip.received_at)
    # Only the current unit's handling counts: extensions since it received the tip.
    prior = await session.scalar(
        select(func.count())
        .select_from(DeadlineExtension)
        .where(DeadlineExtension.tip_id == tip.id, DeadlineExtension.created_at >= received_at)
    )
    decision_ref = (data.decision_ref or "").strip() or None
    check_extension(
        kind=tip.kind,
        received_at=received_at,
        due_at=tip.due_at,
        prior=prior or 0,
        request=ExtensionRequest(until=data.until, reason=data.reason, decision_ref=decision_ref),
        now=now,
    )
    previous = tip.due_at
    until = as_utc(data.until)
    guard = [
        Tip.due_at.is_(None) if previous is None else Tip.due_at == previous,
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
    ]
    await _apply(session, tip, guard, {**_first_response(tip, now), "due_at": until})
    extension = DeadlineExtension(
        tip_id=tip.id,
        previous_due_at=previous,
        until=until,
        reason=data.reason,
        decision_ref=decision_ref,
        actor_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(extension)
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.deadline_extended",
        at=now,
        note=data.reason,
        data={
            "previous_due_at": as_utc(previous).isoformat() if previous else None,
            "until": until.isoformat(),
            "decision_ref": decision_ref,
            "extension": (prior or 0) + 1,
        },
    )
    await session.flush()
    return _extension_out(extension)


async def add_note(session: AsyncSession, *, tip: Tip, actor: Principal, body: str) -> TipEventOut:
    """An internal note on the timeline; never shown to the reporter."""
    now = utcnow()
    await _apply(session, tip, [], _first_response(tip, now))
    event = _event(session, tip=tip, actor=actor, type="tip.note_added", at=now, note=body)
    await session.flush()
    return _event_out(event, personal_data=True)


# --- the conversation with the reporter --------------------------------------------------


async def _message_outs(
    session: AsyncSession, *, tip: Tip, messages: Sequence[TipMessage]
) -> list[MessageOut]:
    files = await media.list_attachments(
        session, tip_id=tip.id, message_ids=[m.id for m in messages]
    )
    by_message: dict[str, list[AttachmentOut]] = {}
    for attachment in files:
        if attachment.message_id is not None:
            by_message.setdefault(attachment.message_id, []).append(
                AttachmentOut.model_validate(attachment)
            )
    author_ids = {m.author_id for m in messages if m.author_id}
    authors: dict[str, User] = {}
    if author_ids:
        authors = {
            u.id: u for u in await session.scalars(select(User).where(User.id.in_(author_ids)))
        }
    out = []
    for m in messages:
        author = authors.get(m.author_id) if m.author_id else None
        out.append(
            MessageOut(
                id=m.id,
                direction=m.direction,
                body=m.body,
                at=m.created_at,
                author=UserRef(id=author.id, full_name=author.full_name) if author else None,
                attachments=by_message.get(m.id, []),
            )
        )
    return out


async def list_messages(
    session: AsyncSession, *, tip: Tip, limit: int, cursor: str | None
) -> MessagePage:
    """The conversation with the reporter, oldest first (message ids are time-ordered)."""
    query = select(TipMessage).where(TipMessage.tip_id == tip.id)
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != 1 or not isinstance(values[0], str):
            raise _bad_cursor()
        query = query.where(TipMessage.id > values[0])
    rows = list(await session.scalars(query.order_by(TipMessage.id).limit(limit + 1)))
    page = rows[:limit]
    return MessagePage(
        items=await _message_outs(session, tip=tip, messages=page),
        next_cursor=encode_cursor([page[-1].id]) if len(rows) > limit and page else None,
    )


async def add_message(
    session: AsyncSession, *, tip: Tip, actor: Principal, body: str
) -> MessageOut:
    """Write to the reporter: shown on /track. Allowed on closed tips too (after
    ``not_prosecuted`` the reporter may complain within 15 days; the channel stays open)."""
    now = utcnow()
    message = TipMessage(
        tip_id=tip.id,
        direction=MessageDirection.to_reporter,
        body=body,
        author_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    await _apply(session, tip, [], _first_response(tip, now))
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.message_added",
        at=now,
        data={"message_id": message.id, "direction": MessageDirection.to_reporter.value},
    )
    await session.flush()
    return (await _message_outs(session, tip=tip, messages=[message]))[0]


# --- the reporter's identity -------------------------------------------------------------


async def reveal_reporter(
    session: AsyncSession, *, tip: Tip, actor: Principal, reason: str, cipher: DataCipher
) -> RevealOut:
    """Decrypt the reporter's identity for a lead (or above) who gives a reason.

    Always leaves two traces in the same transaction: a non-public timeline event and an
    audit entry (who, when, why, which tip; never the identity itself).
    """
    now = utcnow()
    identity = await session.get(ReporterIdentity, tip.id)
    if tip.anonymous or identity is None or identity.ciphertext is None:
        raise NotFound(
            (
                "Tin báo này không có thông tin người báo tin (ẩn danh hoặc đã xóa).",
                "This tip holds no reporter identity (anonymous, or erased).",
            )
        )
    plain = cipher.decrypt(identity.key_id, identity.ciphertext, aad=tip.id.encode())
    fields: dict[str, Any] = json.loads(plain)
    _event(
        session,
        tip=tip,
        actor=actor,
        type="tip.reporter_revealed",
        at=now,
        note=reason,
        data={"role": actor.role},
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="tip.reporter_revealed",
        object_type="tip",
        object_id=tip.id,
        reason=reason,
        data={"reference": tip.reference, "unit_code": tip.assigned_unit_code, "role": actor.role},
    )
    return RevealOut(
        reporter=ReporterIdentityOut(
            full_name=fields.get("full_name"),
            phone=fields.get("phone"),
            email=fields.get("email"),
            address=fields.get("address"),
        )
    )
