"""Register numbers ("sổ tiếp nhận"): per unit and year, unique and gapless under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.tips import intake
from app.tips.models import RegisterCounter, RegisterEntry, Tip, TipProvince
from app.tips.register import enter_in_register
from tests.tips.helpers import TIPS, payload

CONCURRENT_INTAKES = 30


def _seq(register_number: str) -> int:
    return int(register_number.rsplit("/", 1)[1])


async def test_concurrent_intakes_at_one_unit_get_gapless_numbers(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    responses = await asyncio.gather(
        *(client.post(TIPS, json=payload()) for _ in range(CONCURRENT_INTAKES))
    )
    assert [r.status_code for r in responses] == [201] * CONCURRENT_INTAKES, [
        r.text for r in responses if r.status_code != 201
    ]
    numbers = sorted(_seq(r.json()["register_number"]) for r in responses)
    assert numbers == list(range(1, CONCURRENT_INTAKES + 1))

    entries = list(await db.scalars(select(RegisterEntry)))
    assert sorted(e.seq for e in entries) == numbers
    assert len({e.register_number for e in entries}) == CONCURRENT_INTAKES
    counter = (await db.scalars(select(RegisterCounter))).one()
    assert (counter.unit_code, counter.last_number) == ("CAX-26740", CONCURRENT_INTAKES)


async def test_each_unit_counts_on_its_own(client: httpx.AsyncClient) -> None:
    first = await client.post(TIPS, json=payload())
    other = await client.post(TIPS, json=payload(location={"commune_code": "26737"}))
    second = await client.post(TIPS, json=payload())
    assert _seq(first.json()["register_number"]) == 1
    assert other.json()["register_number"].startswith("CAX-26737/")
    assert _seq(other.json()["register_number"]) == 1
    assert _seq(second.json()["register_number"]) == 2


async def test_a_transfer_enters_the_tip_in_the_receiving_register(
    app: Any, client: httpx.AsyncClient
) -> None:
    created = await client.post(TIPS, json=payload())
    tip_id = created.json()["id"]
    at = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    async with app.state.sessionmaker() as session:
        tip = await session.get(Tip, tip_id)
        assert tip is not None
        entry = await enter_in_register(session, tip=tip, unit_code="CAT-79-CSDT", at=at)
        await session.commit()
    assert entry.register_number == "CAT-79-CSDT/2026/000001"
    async with app.state.sessionmaker() as session:
        tip = await session.get(Tip, tip_id)
        assert tip is not None and tip.register_number == "CAT-79-CSDT/2026/000001"
        entries = await session.scalars(
            select(RegisterEntry.unit_code).where(RegisterEntry.tip_id == tip_id)
        )
        assert sorted(entries) == ["CAT-79-CSDT", "CAX-26740"]


async def test_a_reference_already_taken_is_drawn_again_and_gives_its_number_back(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intake does not look a reference up first: the unique index refuses a taken one, the
    attempt is rolled back (its register number too) and a new reference is drawn."""
    first = await client.post(TIPS, json=payload())
    taken = first.json()["reference"]
    draws = iter([taken, taken, "TB-FREE-0001"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(draws))

    second = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k" * 20})

    assert second.status_code == 201, second.text
    assert second.json()["reference"] == "TB-FREE-0001"
    assert _seq(second.json()["register_number"]) == 2  # the two failed attempts gave 2 back
    references = list(await db.scalars(select(Tip.reference).order_by(Tip.reference)))
    assert references == sorted([taken, "TB-FREE-0001"])
    provinces = await db.scalars(
        select(TipProvince.province_code).where(TipProvince.tip_id == second.json()["id"])
    )
    assert list(provinces) == ["79"]
    replay = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k" * 20})
    assert replay.json() == second.json()


async def test_a_reference_taken_every_time_answers_503_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = (await client.post(TIPS, json=payload())).json()["reference"]
    monkeypatch.setattr(intake, "new_reference", lambda: taken)
    answer = await client.post(TIPS, json=payload())
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert len(list(await db.scalars(select(Tip.id)))) == 1
    counter = (await db.scalars(select(RegisterCounter))).one()
    assert counter.last_number == 1
