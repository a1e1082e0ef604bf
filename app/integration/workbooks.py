"""Spreadsheet workbooks: the tips export as .xlsx, and the review workbook (sơ kết/tổng kết).

Both are written with openpyxl in write-only mode: rows go to a temporary file as they come,
so memory stays bounded whatever the number of tips; the finished file is then streamed from
disk and deleted. Times are Vietnamese wall-clock times (Excel has no time zones), numbers are
numbers, and text that a spreadsheet would read as a formula is prefixed with ``'``.

The review workbook holds one sheet per breakdown — category, unit, channel, Front
organization, movement model, outcome — and the SLA table; each sheet starts with its title,
the period and the scope, then Vietnamese headers, the rows and a total. Its figures are
those of ``stats/summary`` and ``stats/sla`` for the same window and province.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.principal import Principal
from app.admin_units.models import Province
from app.core.time import to_local, utcnow
from app.integration import exports, stats, summary
from app.integration.periods import Window
from app.triage.schemas import QueueFilters

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_NAMES = {
    "web": "Cổng thông tin điện tử",
    "mobile": "Ứng dụng di động",
    "hotline": "Đường dây nóng",
    "walk_in": "Trực tiếp tại cơ quan",
    "open311": "Open311",
    "front": "Mặt trận Tổ quốc",
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


async def stream_file(path: str) -> AsyncIterator[bytes]:
    """The file's bytes, then the file is deleted."""
    try:
        async with await anyio.open_file(path, "rb") as handle:
            while chunk := await handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _new_workbook() -> Workbook:
    return Workbook(write_only=True)


async def _save(workbook: Workbook) -> str:
    handle, path = tempfile.mkstemp(prefix="tinbao-", suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


# --- tips.xlsx ----------------------------------------------------------------------------


async def tips_workbook(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    filters: QueueFilters,
    window: Window,
) -> str:
    """The CSV export's columns and rows as a workbook: the path of the file built."""
    workbook = _new_workbook()
    sheet = workbook.create_sheet("Tin báo")
    sheet.append(exports.HEADER)
    async for batch in exports.iter_rows(
        sessionmaker, principal=principal, filters=filters, window=window
    ):
        rows = [[_value(v) for v in values] for values in batch]
        await anyio.to_thread.run_sync(_append_all, sheet, rows)
    return await _save(workbook)


def _append_all(sheet: WriteOnlyWorksheet, rows: list[list[Any]]) -> None:
    for row in rows:
        sheet.append(row)


# --- review.xlsx --------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    dimension: summary.Dimension
    sheet: str
    title: str
    code_header: str
    name_header: str


BREAKDOWNS = (
    Breakdown(summary.Dimension.category, "Loại tin", "Tin báo theo loại", "Mã loại", "Loại tin"),
    Breakdown(
        summary.Dimension.unit, "Đơn vị", "Tin báo theo đơn vị thụ lý", "Mã đơn vị", "Đơn vị"
    ),
    Breakdown(summary.Dimension.channel, "Kênh", "Tin báo theo kênh tiếp nhận", "Mã kênh", "Kênh"),
    Breakdown(
        summary.Dimension.organization,
        "Tổ chức",
        "Tin báo theo tổ chức Mặt trận",
        "Mã tổ chức",
        "Tổ chức",
    ),
    Breakdown(
        summary.Dimension.movement_model,
        "Mô hình",
        "Tin báo theo mô hình phong trào",
        "Mã mô hình",
        "Mô hình",
    ),
    Breakdown(
        summary.Dimension.outcome,
        "Kết quả",
        "Tin báo theo kết quả giải quyết",
        "Mã kết quả",
        "Kết quả",
    ),
)
COUNT_HEADER = "Số tin báo"
TOTAL_LABEL = "Tổng cộng"
NONE_LABEL = "(không có)"
SLA_SHEET = "Tiến độ (SLA)"
SLA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Đơn vị"),
    ("received", "Tiếp nhận"),
    ("resolved_on_time", "Giải quyết đúng hạn"),
    ("resolved_late", "Giải quyết quá hạn"),
    ("open_overdue", "Đang quá hạn"),
    ("acknowledged_on_time", "Thông báo tiếp nhận đúng hạn"),
    ("acknowledged_late", "Thông báo tiếp nhận quá hạn"),
    ("acknowledge_overdue", "Chưa thông báo, đã quá hạn"),
    ("classified_on_time", "Phân loại đúng hạn (24 giờ)"),
    ("classified_late", "Phân loại quá hạn"),
    ("classify_overdue", "Chưa phân loại, đã quá hạn"),
    ("median_hours_to_first_response", "Trung vị giờ đến phản hồi đầu tiên"),
)
SLA_TOTALS = frozenset(key for key, _ in SLA_COLUMNS[2:-1])


def period_text(period: str | None, window: Window) -> str:
    """``Kỳ: year:2026 (01/01/2026 – 31/12/2026)``; the end shown is the last day included."""

    def day(value: datetime) -> str:
        return to_local(value).strftime("%d/%m/%Y")

    start = day(window.start) if window.start else "…"
    end = day(window.end - timedelta(microseconds=1)) if window.end else "…"
    name = f"{period} " if period else ""
    return f"Kỳ: {name}({start} – {end})"


async def scope_text(session: AsyncSession, province_code: str | None) -> str:
    if province_code is None:
        return "Phạm vi: toàn quốc"
    province = await session.get(Province, province_code)
    name = province.name if province is not None else province_code
    return f"Phạm vi: {name} ({province_code})"


def _heading(
    sheet: WriteOnlyWorksheet, title: str, lines: Sequence[str], headers: Sequence[str]
) -> None:
    bold = Font(bold=True)

    def cell(value: Any) -> WriteOnlyCell:
        written = WriteOnlyCell(sheet, value=value)
        written.font = bold
        return written

    sheet.append([cell(title)])
    for line in lines:
        sheet.append([line])
    sheet.append([])
    sheet.append([cell(h) for h in headers])


def _name(breakdown: Breakdown, group: summary.Group) -> str:
    key = group.key
    if key is None:
        return NONE_LABEL
    if breakdown.dimension is summary.Dimension.channel:
        return CHANNEL_NAMES.get(key, key)
    return group.label or key


async def review_workbook(
    session: AsyncSession,
    *,
    scope: stats.Scope,
    window: Window,
    period: str | None,
) -> str:
    """The review workbook (see the module's docstring): the path of the file built."""
    lines = [period_text(period, window), await scope_text(session, scope.province_code)]
    filters = summary.Filters(province_code=scope.province_code, unit_code=scope.unit_code)
    workbook = _new_workbook()
    for breakdown in BREAKDOWNS:
        groups, total = await summary.summarize(
            session, filters=filters, window=window, dimensions=(breakdown.dimension,)
        )
        sheet = workbook.create_sheet(breakdown.sheet)
        _heading(
            sheet,
            breakdown.title,
            lines,
            [breakdown.code_header, breakdown.name_header, COUNT_HEADER],
        )
        for group in groups:
            sheet.append([group.key, _value(_name(breakdown, group)), group.count])
        sheet.append([TOTAL_LABEL, None, total])
    units = await stats.sla(session, scope=scope, window=window, now=utcnow())
    sheet = workbook.create_sheet(SLA_SHEET)
    _heading(sheet, "Tiến độ giải quyết theo đơn vị", lines, [h for _, h in SLA_COLUMNS])
    for unit in units:
        sheet.append([_value(unit[key]) for key, _ in SLA_COLUMNS])
    sheet.append(
        [
            TOTAL_LABEL,
            None,
            *(
                sum(u[key] for u in units) if key in SLA_TOTALS else None
                for key, _ in SLA_COLUMNS[2:]
            ),
        ]
    )
    return await _save(workbook)
