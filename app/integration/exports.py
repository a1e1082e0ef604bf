"""CSV export of tips: the caller's queue, as a spreadsheet, without personal data.

What the file holds: codes, statuses, register numbers and times (RFC 3339, Vietnamese
offset). What it never holds: anything about the reporter (identity, contacts, whether they
stayed anonymous), the description, the address, the exact point, persons involved, victims,
outcome summaries, notes, messages and officers' identities. Free text written by people can
name people, so it stays out; the one short label kept, ``movement_model``, is protected against
spreadsheet formula injection like every cell.

The file is UTF-8 with a byte-order mark (so spreadsheet programs read Vietnamese correctly)
and CRLF line ends, and is streamed in keyset batches: memory stays constant and no long
transaction is held. Every export is written to the audit log before the first byte is sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.audit import service as audit
from app.core.principal import Principal
from app.core.time import to_local, utcnow
from app.integration.periods import Window
from app.scope.visibility import visible_tips_clause
from app.tips.models import Tip
from app.tips.status import public_status_for
from app.triage.overdue import overdue_clause
from app.triage.queue import check_search_allowed, queue_conditions
from app.triage.schemas import QueueFilters

BOM = "\ufeff"
BATCH_SIZE = 500

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("id", Tip.id),
    ("reference", Tip.reference),
    ("created_at", Tip.created_at),
    ("category_code", Tip.category_code),
    ("kind", Tip.kind),
    ("tip_type", Tip.tip_type),
    ("channel", Tip.channel),
    ("status", Tip.status),
    ("outcome", Tip.outcome),
    ("urgent", Tip.urgent),
    ("priority", Tip.priority),
    ("province_code", Tip.province_code),
    ("commune_code", Tip.commune_code),
    ("location_unknown", Tip.location_unknown),
    ("assigned_unit_code", Tip.assigned_unit_code),
    ("register_number", Tip.register_number),
    ("received_at", Tip.received_at),
    ("acknowledge_by", Tip.acknowledge_by),
    ("acknowledged_at", Tip.acknowledged_at),
    ("transfer_due_at", Tip.transfer_due_at),
    ("due_at", Tip.due_at),
    ("first_response_at", Tip.first_response_at),
    ("closed_at", Tip.closed_at),
    ("merged_into_id", Tip.merged_into_id),
    ("on_behalf_of_organization", Tip.on_behalf_of_organization),
    ("organization_id", Tip.organization_id),
    ("movement_model", Tip.movement_model),
)
# Computed columns, after the stored ones.
HEADER = (
    [name for name, _ in COLUMNS[:8]]
    + ["public_status"]
    + [name for name, _ in COLUMNS[8:]]
    + ["overdue"]
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_conditions(
    principal: Principal, filters: QueueFilters, now: datetime
) -> list[ColumnElement[bool]]:
    """The queue's scope and filters (GET /api/v1/tips), as WHERE conditions."""
    return [visible_tips_clause(principal), *queue_conditions(principal, filters, now)]


async def record_export(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: QueueFilters,
    period: str | None = None,
    file_format: str = "csv",
) -> None:
    """The audit entry of an export (the search text itself is not kept: it may name people).
    403 first when the caller may not search with ``q``."""
    check_search_allowed(principal, filters)
    described = filters.model_dump(
        mode="json", exclude_none=True, exclude={"sort", "limit", "cursor", "q"}
    )
    if filters.q:
        described["q"] = "(text search)"
    if period:
        described["period"] = period
    described["format"] = file_format
    await audit.record(
        session, actor=principal, action="tips.exported", object_type="tip", data=described
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return to_local(value).isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text  # a spreadsheet must show it, not evaluate it
    return text


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


async def iter_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    filters: QueueFilters,
    window: Window,
) -> AsyncIterator[list[list[Any]]]:
    """The rows of the export (HEADER's order), a batch at a time, oldest tip first."""
    now = utcnow()
    conditions = export_conditions(principal, filters, now)
    if window.start is not None:
        conditions.append(Tip.first_received_at >= window.start)
    if window.end is not None:
        conditions.append(Tip.first_received_at < window.end)
    overdue = func.coalesce(overdue_clause(now), False).label("overdue")
    after: tuple[datetime, str] | None = None
    while True:
        query = select(*(column for _, column in COLUMNS), overdue).where(*conditions)
        if after is not None:
            # A row value: each batch is a range of ix_tips_created, not a sort of the table.
            bound = tuple_(
                literal(after[0], type_=Tip.created_at.type), literal(after[1], type_=Tip.id.type)
            )
            query = query.where(tuple_(Tip.created_at, Tip.id) > bound)
        query = query.order_by(Tip.created_at, Tip.id).limit(BATCH_SIZE)
        async with sessionmaker() as session:
            rows = (await session.execute(query)).all()
        if not rows:
            return
        batch = []
        for row in rows:
            values = list(row)
            status = values[7]
            overdue_value = bool(values.pop())
            batch.append([*values[:8], public_status_for(status), *values[8:], overdue_value])
        yield batch
        if len(rows) < BATCH_SIZE:
            return
        after = (rows[-1].created_at, rows[-1].id)


async def iter_csv(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    filters: QueueFilters,
    window: Window,
) -> AsyncIterator[bytes]:
    """The CSV file, a batch of rows at a time, oldest tip first."""
    yield (BOM + _line(HEADER)).encode()
    async for batch in iter_rows(sessionmaker, principal=principal, filters=filters, window=window):
        chunk = io.StringIO()
        for values in batch:
            chunk.write(_line(values))
        yield chunk.getvalue().encode()
