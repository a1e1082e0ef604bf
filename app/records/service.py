"""The printed records: a tip's biên bản tiếp nhận and a unit's sổ tiếp nhận (register).

The register lists, per unit and local year, every entry in number order with the tip's
reference, category, channel and status — no personal data. A unit's register is read by its
own officers and leads, by the supervisors and analysts of its province, and by admins;
anyone else is told the unit's register does not exist (404).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.principal import Principal
from app.admin_units.models import Commune, Province
from app.core.cursor import Int, decode_cursor, encode_cursor
from app.core.errors import NotFound, msg
from app.core.security import DataCipher
from app.core.time import to_local, utcnow
from app.media import service as media
from app.records import labels
from app.records.pdf import (
    IntakeRecordDoc,
    Letterhead,
    RegisterDoc,
    intake_record_pdf,
    register_pdf,
)
from app.scope import visibility as scope
from app.tips.models import IntakeRecord, RegisterEntry, ReporterIdentity, Tip
from app.tips.schemas import LocalDateTime
from app.tips.sealed import open_people
from app.triage import record
from app.units.models import Category, PoliceUnit

REVEAL_REASON = "In biên bản tiếp nhận có thông tin người báo tin (intake-record.pdf)"
MAX_PRINTED_ENTRIES = 100_000  # a year of the busiest duty desk, with room to spare


class RegisterItem(BaseModel):
    register_number: str
    registered_at: LocalDateTime
    reference: str
    category_code: str
    channel: str
    status: str


class RegisterPage(BaseModel):
    items: list[RegisterItem]
    next_cursor: str | None


def _unit_not_found() -> NotFound:
    return NotFound(msg("units.not_found"))


async def readable_unit(session: AsyncSession, *, principal: Principal, code: str) -> PoliceUnit:
    """The unit whose register ``principal`` may read, or 404 (also when out of scope)."""
    unit = await session.get(PoliceUnit, code)
    if unit is None:
        raise _unit_not_found()
    role = principal.role
    allowed = (
        (role == Role.admin and principal.kind == "user")
        or (role in scope.UNIT_ROLES and principal.unit_code == unit.code)
        or (role in scope.PROVINCE_ROLES and principal.province_code == unit.province_code)
    )
    if not allowed:
        raise _unit_not_found()
    return unit


def _entry_status(tip: Tip, unit_code: str) -> str:
    """The tip's status as this unit's register sees it: handed on when another unit holds it."""
    return tip.status if tip.assigned_unit_code == unit_code else "transferred"


async def register_items(
    session: AsyncSession, *, unit: PoliceUnit, year: int, limit: int, after: int | None = None
) -> tuple[list[RegisterItem], int | None]:
    """Up to ``limit`` entries of the unit's register for ``year`` after number ``after``,
    in number order, and the last number if more follow."""
    query = (
        select(RegisterEntry, Tip)
        .join(Tip, Tip.id == RegisterEntry.tip_id)
        .where(RegisterEntry.unit_code == unit.code, RegisterEntry.year == year)
    )
    if after is not None:
        query = query.where(RegisterEntry.seq > after)
    rows = (await session.execute(query.order_by(RegisterEntry.seq).limit(limit + 1))).all()
    page = rows[:limit]
    items = [
        RegisterItem(
            register_number=entry.register_number,
            registered_at=entry.registered_at,
            reference=tip.reference,
            category_code=tip.category_code,
            channel=tip.channel,
            status=_entry_status(tip, unit.code),
        )
        for entry, tip in page
    ]
    more = len(rows) > limit and page
    return items, page[-1][0].seq if more else None


async def register_page(
    session: AsyncSession, *, unit: PoliceUnit, year: int, limit: int, cursor: str | None
) -> RegisterPage:
    after = decode_cursor(cursor, Int())[0] if cursor else None
    items, last = await register_items(session, unit=unit, year=year, limit=limit, after=after)
    return RegisterPage(items=items, next_cursor=encode_cursor([last]) if last else None)


CSV_HEADER = ("register_number", "registered_at", "reference", "category_code", "channel", "status")


def register_csv(items: Sequence[RegisterItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in items:
        writer.writerow(
            [
                item.register_number,
                to_local(item.registered_at).isoformat(),
                item.reference,
                item.category_code,
                item.channel,
                item.status,
            ]
        )
    return out.getvalue()


async def _letterhead(session: AsyncSession, unit: PoliceUnit, number: str) -> Letterhead:
    parent = await session.get(PoliceUnit, unit.parent_code) if unit.parent_code else None
    province = await session.get(Province, unit.province_code)
    today = to_local(utcnow())
    place = province.name if province else ""
    return Letterhead(
        parent_name=parent.name if parent else "",
        unit_name=unit.name,
        number=number,
        place_and_date=f"{place}, ngày {today:%d} tháng {today:%m} năm {today:%Y}",
    )


async def register_document(
    session: AsyncSession, *, unit: PoliceUnit, year: int, items: Sequence[RegisterItem]
) -> bytes:
    names = dict((await session.execute(select(Category.code, Category.name))).tuples().all())
    rows = [
        [
            str(i),
            item.register_number,
            labels.local_time(item.registered_at),
            item.reference,
            names.get(item.category_code, item.category_code),
            labels.CHANNELS.get(item.channel, item.channel),
            labels.STATUSES.get(item.status, item.status),
        ]
        for i, item in enumerate(items, start=1)
    ]
    doc = RegisterDoc(
        letterhead=await _letterhead(session, unit, f"Mã đơn vị: {unit.code}"),
        title=f"Sổ tiếp nhận tố giác, tin báo năm {year}",
        notes=(f"{unit.name} — {len(items)} lượt tiếp nhận",),
        header=[
            "STT",
            "Số vào sổ",
            "Thời gian",
            "Mã tin báo",
            "Lĩnh vực",
            "Hình thức",
            "Tình trạng",
        ],
        rows=rows,
        col_widths=(12, 52, 32, 32, 48, 45, 41),
        footer="Sổ không ghi thông tin cá nhân của người báo tin.",
    )
    created = utcnow()
    return await anyio.to_thread.run_sync(lambda: register_pdf(doc, created=created))


@dataclass(frozen=True)
class _Reporter:
    line: str
    name: str = ""


async def may_print_reporter(session: AsyncSession, principal: Principal, tip: Tip) -> bool:
    """Who may reveal the reporter (app.triage.dependencies.LeadTip) may print the identity."""
    return principal.role in scope.LEADS and await scope.can_act(session, principal, tip)


async def _reporter(
    session: AsyncSession, *, principal: Principal, tip: Tip, cipher: DataCipher, wanted: bool
) -> _Reporter:
    if tip.anonymous:
        return _Reporter("Ẩn danh")
    identity = await session.get(ReporterIdentity, tip.id)
    if identity is None or identity.ciphertext is None:
        return _Reporter("Thông tin người báo tin đã được xóa theo thời hạn lưu trữ")
    if not (wanted and await may_print_reporter(session, principal, tip)):
        return _Reporter("Đã cung cấp danh tính (được bảo mật; chỉ lãnh đạo đơn vị được xem)")
    # Printed = revealed: the same audit entry and timeline note as /reporter/reveal.
    shown = (
        await record.reveal_reporter(
            session, tip=tip, actor=principal, reason=REVEAL_REASON, cipher=cipher
        )
    ).reporter
    parts = [
        f"Họ tên: {shown.full_name}" if shown.full_name else "",
        f"Điện thoại: {shown.phone}" if shown.phone else "",
        f"Email: {shown.email}" if shown.email else "",
        f"Địa chỉ: {shown.address}" if shown.address else "",
        f"Cơ quan, tổ chức: {shown.organization_name}" if shown.organization_name else "",
    ]
    return _Reporter("; ".join(p for p in parts if p), name=shown.full_name or "")


async def _place_of(session: AsyncSession, tip: Tip) -> str:
    commune = await session.get(Commune, tip.commune_code) if tip.commune_code else None
    province = await session.get(Province, tip.province_code)
    parts = [tip.address or "", commune.name if commune else "", province.name if province else ""]
    return ", ".join(p for p in parts if p) or "Chưa xác định"


async def intake_record_document(
    session: AsyncSession,
    *,
    principal: Principal,
    tip: Tip,
    cipher: DataCipher,
    with_reporter: bool,
) -> bytes:
    """The biên bản tiếp nhận of ``tip`` as the unit holding it received it, as a PDF."""
    unit = await session.get(PoliceUnit, tip.assigned_unit_code)
    assert unit is not None
    intake = await session.get(IntakeRecord, tip.id)
    officer_id = intake.receiving_officer_id if intake else tip.assignee_id
    officer = await session.get(User, officer_id) if officer_id else None
    printer = await session.get(User, principal.id) if principal.kind == "user" else None
    category = await session.get(Category, tip.category_code)
    received_at = intake.received_at if intake else tip.received_at
    files = [
        a.filename
        for a in await media.list_attachments(session, tip_id=tip.id)
        if not a.uploaded_by_staff and a.message_id is None
    ]
    reporter = await _reporter(
        session, principal=principal, tip=tip, cipher=cipher, wanted=with_reporter
    )
    place = intake.place if intake else f"{unit.name} (qua hệ thống TinBáo)"
    facts: list[tuple[str, str]] = [
        ("Đơn vị tiếp nhận", f"{unit.name} ({unit.code})"),
        ("Số vào sổ tiếp nhận", tip.register_number),
        ("Mã tin báo", tip.reference),
        ("Thời gian tiếp nhận", labels.local_time(received_at)),
        ("Hình thức tiếp nhận", labels.CHANNELS.get(tip.channel, tip.channel)),
        ("Lĩnh vực", category.name if category else tip.category_code),
        ("Người báo tin", reporter.line),
        ("Thời gian xảy ra", labels.local_time(tip.occurred_at) or "Không rõ"),
        ("Nơi xảy ra", await _place_of(session, tip)),
        ("Người liên quan", open_people(tip, cipher=cipher)[0] or "Không nêu"),
        (
            "Tài liệu, tệp kèm theo",
            f"{len(files)} tệp: {', '.join(files)}" if files else "Không có",
        ),
    ]
    if intake is not None:
        facts.append(("Ghi âm, ghi hình", "Có" if intake.recorded else "Không"))
    facts.append(("Cán bộ tiếp nhận", officer.full_name if officer else ""))
    now = utcnow()
    printed_by = f" bởi {printer.full_name}" if printer else ""
    doc = IntakeRecordDoc(
        letterhead=await _letterhead(session, unit, f"Số: {tip.register_number}"),
        title="Biên bản tiếp nhận",
        subtitle=labels.KIND_TITLES.get(tip.kind, ""),
        opening=f"{labels.spoken_time(received_at)}, tại {place}.",
        facts=facts,
        content=tip.description,
        closing="Biên bản được lập thành 02 bản, đã đọc lại cho người báo tin nghe, công nhận "
        f"đúng và cùng ký tên dưới đây. In lúc {labels.local_time(now)}{printed_by}.",
        signers=(reporter.name, officer.full_name if officer else ""),
    )
    return await anyio.to_thread.run_sync(lambda: intake_record_pdf(doc, created=now))
