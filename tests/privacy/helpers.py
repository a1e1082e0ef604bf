"""Helpers for the reporter-protection tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.tips.models import ReporterIdentity
from tests.tips.helpers import payload

TRACK_REQUESTS = "/api/v1/track/privacy-requests"
REQUESTS = "/api/v1/privacy/requests"

# Unique enough that finding them anywhere means they leaked.
NAME = "Trần Thị Bích Ngọc Zư"
PHONE = "0987 654 321"
EMAIL = "bich.ngoc.zu@example.vn"
ADDRESS = "Số 7 ngõ Hạnh Phúc"


def reporter_payload(**overrides: Any) -> dict[str, Any]:
    return payload(
        anonymous=False,
        reporter={"full_name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS},
        **overrides,
    )


def receipt_headers(tip: dict[str, Any]) -> dict[str, str]:
    return {"X-Tip-Receipt": tip["receipt"]}


async def submit_reporter(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/tips", json=reporter_payload(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


async def identity_of(db: AsyncSession, tip_id: str) -> ReporterIdentity:
    db.expire_all()
    identity = await db.get(ReporterIdentity, tip_id)
    assert identity is not None
    return identity


async def audit_entries(db: AsyncSession, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(
        await db.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def days_ago(now: datetime, days: float) -> datetime:
    return (now - timedelta(days=days)).astimezone(UTC)
