"""Intake's write path (app.tips.intake_writes): no reference pre-check, the Idempotency-Key
record upserted last, the outbox rows with the timeline rows, receipts drawn uniformly."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import CROCKFORD, random_crockford
from app.notifications.models import NotificationCause
from app.tips import intake
from app.tips.models import IdempotencyRecord, RegisterCounter, RegisterEntry, Tip, TipEvent
from tests.tips.helpers import TIPS, count, identified, payload

KEY = {"Idempotency-Key": "7d2a-intake-writes-0001"}


async def test_a_taken_reference_is_drawn_again_without_a_gap(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await client.post(TIPS, json=payload())
    assert first.status_code == 201, first.text
    taken = first.json()["reference"]
    draws = iter([taken, taken, "TB-ZZZZ-ZZZ9"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(draws))

    second = await client.post(TIPS, json=payload(), headers=KEY)
    assert second.status_code == 201, second.text
    assert second.json()["reference"] == "TB-ZZZZ-ZZZ9"
    assert second.json()["register_number"].endswith("/000002")
    assert await count(db, Tip) == 2
    assert (await db.scalars(select(RegisterCounter.last_number))).one() == 2
    assert sorted((await db.scalars(select(RegisterEntry.seq))).all()) == [1, 2]
    # The receipt is the one whose hash was stored with the tip finally inserted.
    track = await client.get("/api/v1/track", headers={"X-Tip-Receipt": second.json()["receipt"]})
    assert track.status_code == 200, track.text
    assert track.json()["reference"] == "TB-ZZZZ-ZZZ9"


async def test_a_used_key_with_a_refused_body_is_still_a_conflict(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(TIPS, json=payload(), headers=KEY)
    assert first.status_code == 201
    refused = payload(reporter={"full_name": "Trần Thị B", "phone": "0901234567"})
    assert (await client.post(TIPS, json=refused)).status_code == 422
    other = await client.post(TIPS, json=refused, headers=KEY)
    assert other.status_code == 409, other.text
    assert other.json()["code"] == "idempotency_conflict"
    again = await client.post(TIPS, json=payload(), headers=KEY)
    assert again.json() == first.json()
    assert await count(db, Tip) == 1
    assert await count(db, IdempotencyRecord) == 1


async def test_each_timeline_row_of_intake_has_its_outbox_row(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    urgent = await client.post(TIPS, json=identified(urgent=True), headers=KEY)
    plain = await client.post(TIPS, json=payload())
    assert urgent.status_code == plain.status_code == 201
    events = (await db.execute(select(TipEvent.id, TipEvent.type, TipEvent.tip_id))).all()
    assert sorted(e.type for e in events) == ["tip.created", "tip.created", "tip.urgent"]
    causes = (
        await db.execute(
            select(NotificationCause.tip_event_id, NotificationCause.type, NotificationCause.tip_id)
        )
    ).all()
    assert sorted(causes) == sorted((e.id, e.type, e.tip_id) for e in events)
    # A replay writes nothing more.
    await client.post(TIPS, json=identified(urgent=True), headers=KEY)
    assert await count(db, NotificationCause) == 3
    assert await count(db, TipEvent) == 3


def test_receipt_symbols_are_uniform() -> None:
    drawn = "".join(random_crockford(20) for _ in range(4000))  # 80,000 symbols
    assert len(random_crockford(20)) == 20
    seen: Counter[str] = Counter(drawn)
    assert set(seen) == set(CROCKFORD)
    expected = len(drawn) / len(CROCKFORD)  # 2,500 each; sd ~49
    spread: Any = [abs(n - expected) / expected for n in seen.values()]
    assert max(spread) < 0.1, seen
