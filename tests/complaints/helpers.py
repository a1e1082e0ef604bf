"""Arranging a decided tip and a pinned clock for the complaint and protection tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.tips.dependencies import get_now
from app.tips.models import TipEvent
from tests.triage.helpers import move

TRACK = "/api/v1/track"
COMPLAINTS = f"{TRACK}/complaints"
PROTECTION = f"{TRACK}/protection-requests"


def receipt(created: dict[str, Any]) -> dict[str, str]:
    return {"X-Tip-Receipt": created["receipt"]}


def pin_clock(app: Any, now: datetime) -> None:
    app.dependency_overrides[get_now] = lambda: now


async def resolve(
    client: httpx.AsyncClient, tip_id: str, headers: dict[str, str], outcome: str
) -> None:
    base = f"/api/v1/tips/{tip_id}"
    r = await client.post(f"{base}/transitions", json=move("verifying"), headers=headers)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{base}/transitions",
        json=move("resolved", outcome=outcome, outcome_summary="Quyết định đã có."),
        headers=headers,
    )
    assert r.status_code == 200, r.text


@dataclass(frozen=True)
class Decision:
    id: int
    at: datetime


async def decision(db: AsyncSession, tip_id: str) -> Decision:
    """The resolving transition, copied out (ORM rows expire when tests reload)."""
    db.expire_all()
    event = await db.scalar(
        select(TipEvent)
        .where(TipEvent.tip_id == tip_id, TipEvent.to_status == "resolved")
        .order_by(TipEvent.id.desc())
    )
    assert event is not None
    return Decision(id=event.id, at=event.at)
