"""Which tips belong to a province: the one rule (API.md), used by the queue, statistics and
the SLA report, the CSV export, the review workbook, the change feed and its webhooks, and
Open311.

A tip belongs to province P when it took place in P (``tips.province_code``), or a unit of P
holds it now (``assigned_unit_code``) or held it before (an entry in that unit's register:
every unit that receives a tip, at intake or by transfer, enters it there). A unit's province
is its current one (``police_units.province_code``).

The rule is also kept evaluated, as data: ``tip_provinces`` holds one row per tip and province
it belongs to (:func:`record_provinces` writes it from :func:`rule_rows`, the rule as a query),
with copies of the tip's columns a summary groups and filters by (``MIRRORED``), so that a
province's summary reads these rows only.
Every write that changes what the rule reads calls it in its own transaction: entering a tip
in a register (intake, transfer, a correction's re-routing: ``app.tips.register``), a
correction of the place (``app.triage.corrections``), the bulk moves of a change-set
(``app.administration``: units' tips, communes' units moving province), and the generator of
test data (``app.devdata``). Every write that changes a copied column calls
:func:`record_columns` (the guarded UPDATE of ``app.triage.updates`` that transitions,
corrections, hand-overs and merges go through; bulk re-routing calls ``record_provinces``,
which copies them too). ``in_province`` (queues, Open311) evaluates the rule itself;
``in_province_received`` (statistics, reviews) reads the stored rows by
``(province_code, first_received_at)``.

This module lives beside the tips because intake writes the rows (``app.tips`` may not import
``app.scope``); ``app.scope.province`` holds who may change a province's reference data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    Executable,
    Select,
    String,
    bindparam,
    delete,
    exists,
    or_,
    select,
    text,
    true,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import ColumnClause, TextClause
from sqlalchemy.sql.visitors import InternalTraversal

from app.core import dialect
from app.tips.models import RegisterEntry, Tip, TipProvince
from app.units.models import PoliceUnit

# Ids per statement when tips are named one by one (well under SQLite's 32,766 parameters).
ID_CHUNK = 1000

# The tip's columns copied onto its stored rows (``tips`` column -> ``tip_provinces`` column):
# what a summary groups and filters by (app.integration.summary).
MIRRORED: dict[str, str] = {
    "category_code": "category_code",
    "assigned_unit_code": "assigned_unit_code",
    "status": "status",
    "outcome": "outcome",
    "kind": "kind",
    "tip_type": "tip_type",
    "channel": "channel",
    "organization_id": "organization_id",
    "movement_model": "movement_model",
    "province_code": "place_province_code",
}
_ROW_COLUMNS = ["tip_id", "province_code", "first_received_at", *MIRRORED.values()]


def stored(column: InstrumentedAttribute[Any]) -> InstrumentedAttribute[Any]:
    """The copy on ``tip_provinces`` of the ``Tip`` column ``column`` (one of ``MIRRORED``)."""
    return getattr(TipProvince, MIRRORED[column.key])


def _copied() -> list[ColumnElement[Any]]:
    """The ``MIRRORED`` columns of ``Tip``, each labelled with its stored name."""
    return [getattr(Tip, name).label(copy) for name, copy in MIRRORED.items()]


class _InProvinceUnits(ColumnElement[bool]):
    """``column`` is the code of one of the province's police units.

    PostgreSQL: ``column = ANY(ARRAY(SELECT ...))``, which the planner treats as a list of
    values known at run time and can look up in an index on ``column`` inside an OR (a
    BitmapOr with the province branch); ``column IN (SELECT ...)`` there is a hashed
    subplan that forces a scan. Other databases: ``IN (SELECT ...)``.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    # Part of the statement cache key, so each province's query binds its own code.
    _traverse_internals = [  # noqa: RUF012 (as SQLAlchemy declares it)
        ("column", InternalTraversal.dp_clauseelement),
        ("units", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnClause[Any] | Any, province: str) -> None:
        self.column = column
        self.units = select(PoliceUnit.code).where(PoliceUnit.province_code == province)


@compiles(_InProvinceUnits)
def _compile_in_province_units(element: _InProvinceUnits, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.units), **kw))


@compiles(_InProvinceUnits, "postgresql")
def _compile_in_province_units_pg(element: _InProvinceUnits, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    units = compiler.process(element.units, **kw)
    return f"{column} = ANY(ARRAY({units}))"


def in_province(province: str) -> ColumnElement[bool]:
    """A WHERE clause on ``Tip``: the tip belongs to ``province`` (see the module's rule)."""
    return or_(
        Tip.province_code == province,
        _InProvinceUnits(Tip.assigned_unit_code, province),
        exists().where(
            RegisterEntry.tip_id == Tip.id,
            _InProvinceUnits(RegisterEntry.unit_code, province),
        ),
    )


def in_province_received(
    province: str, *, start: datetime | None, end: datetime | None
) -> ColumnElement[bool]:
    """The same rule as ``in_province``, for tips first received in ``[start, end)`` (either
    side may be open): statistics and reviews.

    ``tips.id IN`` the stored rows of ``province`` in the window: one range of
    ``ix_tip_provinces_province_received`` (index only), then the tips by primary key. The
    window is on the stored copy of ``first_received_at``; callers need not repeat it on
    ``tips`` (doing so lets PostgreSQL prefer reading the window's tips nationwide).
    """
    marked = select(TipProvince.tip_id).where(TipProvince.province_code == province)
    if start is not None:
        marked = marked.where(TipProvince.first_received_at >= start)
    if end is not None:
        marked = marked.where(TipProvince.first_received_at < end)
    return Tip.id.in_(marked)


def rule_rows(tips: ColumnElement[bool] | None = None) -> CompoundSelect:
    """The rule as rows ``(tip_id, province_code, first_received_at, *MIRRORED)``, one per
    tip and province, for the tips ``tips`` selects (a condition on ``Tip.id``; None: every
    tip).

    Each branch reads ``tips`` (a UNION removes the repeats).
    """
    where = [] if tips is None else [tips]
    copied = _copied()
    placed = select(Tip.id, Tip.province_code, Tip.first_received_at, *copied).where(*where)
    holds = (
        select(Tip.id, PoliceUnit.province_code, Tip.first_received_at, *copied)
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .where(*where)
    )
    held = (
        select(RegisterEntry.tip_id, PoliceUnit.province_code, Tip.first_received_at, *copied)
        .join(Tip, Tip.id == RegisterEntry.tip_id)
        .join(PoliceUnit, PoliceUnit.code == RegisterEntry.unit_code)
        .where(*where)
    )
    return union(placed, holds, held)


def _record_statements(
    bind: AsyncSession | Connection, tips: ColumnElement[bool]
) -> tuple[Executable, Executable]:
    rows = rule_rows(tips).subquery("rule")
    forget = delete(TipProvince).where(
        TipProvince.tip_id.in_(select(Tip.id).where(tips)).self_group()
    )
    write = (
        dialect.insert(bind, TipProvince)
        .from_select(
            _ROW_COLUMNS,
            # WHERE: SQLite reads ``… FROM rule ON CONFLICT`` as a join without one.
            select(*rows.c).where(true()),
        )
        .on_conflict_do_nothing()
    )
    return forget, write


def _conditions(tips: Sequence[str] | Select[Any] | CompoundSelect) -> list[ColumnElement[bool]]:
    if isinstance(tips, (Select, CompoundSelect)):
        return [Tip.id.in_(tips)]
    ids = sorted(set(tips))
    return [Tip.id.in_(ids[i : i + ID_CHUNK]) for i in range(0, len(ids), ID_CHUNK)]


async def record_provinces(
    session: AsyncSession, tips: Sequence[str] | Select[Any] | CompoundSelect
) -> None:
    """Bring the stored rows of ``tips`` (ids, or a SELECT of ids) up to the rule, in the
    caller's transaction: the rows of those tips are replaced by :func:`rule_rows`.

    Pending changes are flushed first (a register entry added to the session counts).
    """
    await session.flush()
    for condition in _conditions(tips):
        for statement in _record_statements(session, condition):
            await session.execute(statement)


# A new tip's rows, from what intake knows: the rule's three branches reduce to its place's
# province and the receiving unit's (holder and only register entry), the unit's as stored
# now. Plain SQL built once, so it is compiled once (the rule's DELETE and INSERT … SELECT
# above are compiled on every call: an ON CONFLICT insert has no cache key).
def _new_tip_statement() -> TextClause:
    """One INSERT of a new tip's stored rows: its place's province and the receiving unit's
    (one row when they are the same), each with the ``MIRRORED`` copies read from the tip's
    row just flushed. Plain text with typed parameters: compiled once and cached (an ORM
    INSERT … SELECT is rebuilt for every tip)."""
    columns = {name: getattr(Tip, name).property.columns[0].name for name in MIRRORED}
    targets = ", ".join(MIRRORED.values())
    sources = ", ".join(f"tips.{columns[name]}" for name in MIRRORED)
    return text(
        # Column names from the models (MIRRORED), never from input.
        f"INSERT INTO tip_provinces (tip_id, province_code, first_received_at, {targets}) "  # noqa: S608
        f"SELECT tips.id, provinces.code, tips.first_received_at, {sources} "
        "FROM tips JOIN (SELECT :province_code AS code "
        "UNION SELECT police_units.province_code FROM police_units "
        "WHERE police_units.code = :unit_code) AS provinces ON 1 = 1 "
        "WHERE tips.id = :tip_id"
    ).bindparams(
        bindparam("tip_id", type_=String()),
        bindparam("province_code", type_=String()),
        bindparam("unit_code", type_=String()),
    )


_NEW_TIP = _new_tip_statement()


async def record_new_tip(
    session: AsyncSession,
    *,
    tip_id: str,
    province_code: str,
    unit_code: str,
) -> None:
    """The stored rows of a tip just received (stored and entered in ``unit_code``'s
    register, nothing else yet): what :func:`record_provinces` would write for it, without
    evaluating the rule."""
    await session.execute(
        _NEW_TIP,
        {
            "tip_id": tip_id,
            "province_code": province_code,
            "unit_code": unit_code,
        },
    )


def record_provinces_sync(conn: Connection, tips: Sequence[str]) -> None:
    """:func:`record_provinces` on a synchronous connection (the bulk generator)."""
    for condition in _conditions(tips):
        for statement in _record_statements(conn, condition):
            conn.execute(statement)


async def record_columns(
    session: AsyncSession, tips: Sequence[str], *, changed: Iterable[str] | None = None
) -> None:
    """Copy the ``MIRRORED`` columns of ``tips`` (ids) from ``tips`` onto their stored rows, in
    the caller's transaction, after a write that changed them. ``changed``: the columns that
    write set (nothing is done when none is copied); None: copy regardless.

    Writes already sent to the database count (pending ORM changes are not flushed here).
    """
    if changed is not None and not MIRRORED.keys() & set(changed):
        return
    values = {copy: getattr(Tip, name) for name, copy in MIRRORED.items()}
    for condition in _conditions(tips):
        await session.execute(
            update(TipProvince)
            .where(TipProvince.tip_id == Tip.id, condition)
            .values(values)
            .execution_options(synchronize_session=False)
        )


def tips_of_units(unit_codes: Iterable[str]) -> CompoundSelect:
    """The ids of the tips a unit among ``unit_codes`` holds or held: those whose provinces
    change when the units move to another province."""
    codes = sorted(set(unit_codes))
    return union(
        select(Tip.id).where(Tip.assigned_unit_code.in_(codes)),
        select(RegisterEntry.tip_id).where(RegisterEntry.unit_code.in_(codes)),
    )


async def provinces_of_tips(session: AsyncSession, tip_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each tip, every province it belongs to (the same rule, as data: for matching
    webhook subscriptions to events in memory)."""
    ids = list(set(tip_ids))
    if not ids:
        return {}
    provinces: dict[str, set[str]] = {tip_id: set() for tip_id in ids}
    for chunk in range(0, len(ids), ID_CHUNK):
        rows = rule_rows(Tip.id.in_(ids[chunk : chunk + ID_CHUNK])).subquery("rule")
        query = select(rows.c[0], rows.c[1])
        for tip_id, province in (await session.execute(query)).tuples():
            provinces[tip_id].add(province)
    return provinces
