"""Idempotency-Key: a retry returns the first answer and creates nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.tips.idempotency import purge_expired_idempotency
from app.tips.models import IdempotencyRecord, RegisterCounter, Tip
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import (
    PDF_BYTES,
    TIPS,
    count,
    counts,
    jpeg_bytes,
    payload,
    post_multipart,
)

KEY = {"Idempotency-Key": "3f1c-retry-key-0001"}


async def test_same_key_same_body_returns_the_first_answer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(TIPS, json=payload(), headers=KEY)
    assert first.status_code == 201, first.text
    # The same document with its keys in another order is the same request.
    reordered = dict(reversed(list(payload().items())))
    again = await client.post(TIPS, json=reordered, headers=KEY)
    assert again.status_code == 201
    assert again.json() == first.json()  # receipt included
    assert await count(db, Tip) == 1

    record = (await db.scalars(select(IdempotencyRecord))).one()
    assert KEY["Idempotency-Key"] not in record.key_hash
    assert first.json()["receipt"].encode() not in record.response_ciphertext


async def test_same_key_different_body_is_a_conflict(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(TIPS, json=payload(), headers=KEY)
    assert first.status_code == 201
    other = await client.post(TIPS, json=payload(urgent=True), headers=KEY)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency_conflict"
    assert await count(db, Tip) == 1


async def test_files_are_part_of_the_request(client: httpx.AsyncClient, db: AsyncSession) -> None:
    files = [("a.jpg", jpeg_bytes(), "image/jpeg")]
    first = await post_multipart(client, payload(), files, headers=KEY)
    assert first.status_code == 201, first.text
    again = await post_multipart(client, payload(), files, headers=KEY)
    assert again.json() == first.json()
    other = await post_multipart(
        client, payload(), [("a.pdf", PDF_BYTES, "application/pdf")], headers=KEY
    )
    assert other.status_code == 409
    assert await count(db, Tip) == 1


async def test_keys_are_scoped_to_the_caller(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    officer = await make_user(db, role="officer", unit_code="CAX-26740")
    citizen = await client.post(TIPS, json=payload(), headers=KEY)
    staff = await client.post(TIPS, json=payload(), headers={**KEY, **auth_headers(app, officer)})
    assert citizen.status_code == staff.status_code == 201
    assert citizen.json()["id"] != staff.json()["id"]
    assert await count(db, Tip) == 2


async def test_concurrent_identical_retries_create_one_tip(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    responses = await asyncio.gather(
        *(client.post(TIPS, json=payload(), headers=KEY) for _ in range(6))
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert await count(db, Tip) == 1
    # The losers' register numbers were rolled back: no gap.
    counter = (await db.scalars(select(RegisterCounter))).one()
    assert counter.last_number == 1
    following = await client.post(TIPS, json=payload())
    assert following.json()["register_number"].endswith("/000002")


async def test_expired_records_are_replaced_and_purged(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first = await client.post(TIPS, json=payload(), headers=KEY)
    await db.execute(
        update(IdempotencyRecord).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await db.commit()
    later = await client.post(TIPS, json=payload(), headers=KEY)
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]  # after 24 h the key is free again
    assert await count(db, IdempotencyRecord) == 1

    other = await client.post(
        TIPS, json=payload(), headers={"Idempotency-Key": "other-retry-key-0002"}
    )
    assert other.status_code == 201
    purged = await purge_expired_idempotency(db, datetime.now(UTC) + timedelta(hours=24, seconds=1))
    await db.commit()
    assert purged == 2
    assert await count(db, IdempotencyRecord) == 0
    assert (await counts(db))["tips"] == 3  # tips are kept


async def test_anonymous_keys_must_be_long_enough(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A short anonymous key could be guessed, and its replay holds the receipt (issue 10.5)."""
    short = await client.post(
        TIPS, json=payload(), headers={"Idempotency-Key": "a" * 15, "Accept-Language": "en"}
    )
    assert short.status_code == 422, short.text
    error = short.json()["errors"][0]
    assert error["field"] == "Idempotency-Key"
    assert error["code"] == "too_short"
    assert "16" in error["message"]
    vietnamese = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k-1"})
    assert vietnamese.status_code == 422
    assert "ký tự" in vietnamese.json()["errors"][0]["message"]
    assert await count(db, Tip) == 0
    ok = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "a" * 16})
    assert ok.status_code == 201, ok.text


async def test_token_holders_keys_are_their_own(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Another caller resending a known key and body does not get the first receipt; a
    token holder may use a short key (its space is its own)."""
    first = await make_user(db, role="officer", unit_code="CAX-26740")
    second = await make_user(db, role="officer", unit_code="CAX-26740")
    short = {"Idempotency-Key": "k-1"}
    mine = await client.post(TIPS, json=payload(), headers={**short, **auth_headers(app, first)})
    again = await client.post(TIPS, json=payload(), headers={**short, **auth_headers(app, first)})
    theirs = await client.post(TIPS, json=payload(), headers={**short, **auth_headers(app, second)})
    assert mine.status_code == again.status_code == theirs.status_code == 201
    assert again.json()["receipt"] == mine.json()["receipt"]
    assert theirs.json()["receipt"] != mine.json()["receipt"]
    anonymous = await client.post(TIPS, json=payload(), headers={"Idempotency-Key": "k" * 16})
    stranger = await client.post(
        TIPS, json=payload(), headers={"Idempotency-Key": "k" * 16, **auth_headers(app, second)}
    )
    assert stranger.json()["receipt"] != anonymous.json()["receipt"]
    assert await count(db, Tip) == 4
