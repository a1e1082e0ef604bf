"""Tips and timeline rows written straight into the database, with chosen times and states,
so figures can be computed by hand."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.tips.models import Tip, TipEvent
from app.tips.provinces import record_provinces

HCMC = "79"
HANOI = "01"
SAI_GON_UNIT = "CAX-26740"  # Phường Sài Gòn, HCMC
THU_DAU_MOT_UNIT = "CAX-25747"  # Phường Thủ Dầu Một, HCMC
BA_DINH_UNIT = "CAX-00004"  # Phường Ba Đình, Hà Nội

UNIT_PLACE = {
    SAI_GON_UNIT: ("26740", HCMC),
    THU_DAU_MOT_UNIT: ("25747", HCMC),
    BA_DINH_UNIT: ("00004", HANOI),
}


def vn(text: str) -> datetime:
    """A Vietnamese wall-clock time ("2026-11-20 21:00") as UTC."""
    return datetime.fromisoformat(text + "+07:00").astimezone(UTC)


def tip_row(
    *,
    unit: str = SAI_GON_UNIT,
    created_at: datetime | None = None,
    category_code: str = "drugs",
    **fields: Any,
) -> Tip:
    commune, province = UNIT_PLACE[unit]
    created = created_at or datetime.now(UTC)
    kind = (
        "crime" if category_code in ("drugs", "theft_fraud", "online_fraud") else "security_order"
    )
    values: dict[str, Any] = {
        "reference": "TB-" + secrets.token_hex(4).upper(),
        "receipt_hash": secrets.token_hex(32),
        "category_code": category_code,
        "kind": kind,
        "tip_type": "to_giac" if kind == "crime" else "phan_anh",
        "description": "Mô tả tin báo dùng cho kiểm thử thống kê.",
        "commune_code": commune,
        "province_code": province,
        "channel": "mobile",
        "assigned_unit_code": unit,
        "register_number": f"{unit}/2026/{secrets.token_hex(4)}",
        "received_at": created,
        "first_received_at": created,
        "acknowledge_by": created + timedelta(days=3),
        "created_at": created,
        "updated_at": created,
        "status": "received",
    }
    values.update(fields)
    return Tip(**values)


async def make_tip(db: AsyncSession, **fields: Any) -> Tip:
    tip = tip_row(**fields)
    db.add(tip)
    await db.flush()  # the id
    await record_provinces(db, [tip.id])  # what intake writes with a tip
    await db.commit()
    return tip


async def make_tips(db: AsyncSession, specs: list[dict[str, Any]]) -> list[Tip]:
    tips = [tip_row(**spec) for spec in specs]
    db.add_all(tips)
    await db.flush()  # the ids
    await record_provinces(db, [tip.id for tip in tips])  # what intake writes with a tip
    await db.commit()
    return tips


def event_row(tip: Tip, type: str = "tip.created", **fields: Any) -> TipEvent:
    values: dict[str, Any] = {
        "tip_id": tip.id,
        "type": type,
        "at": datetime.now(UTC),
        "unit_code": tip.assigned_unit_code,
        "actor_label": "system",
        "data": {},
    }
    values.update(fields)
    return TipEvent(**values)
