"""What a receipt holder writes (/track messages, complaints, protection requests) is rate
limited per receipt and per client address, in memory and in Redis; the files a reporter
stores on one tip are capped in all."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.config import Settings
from tests.hardening.conftest import client_for, running
from tests.hardening.test_rate_limits import assert_rate_limited
from tests.tips.helpers import PDF_BYTES, payload, post_multipart

MESSAGES = "/api/v1/track/messages"


async def _receipt(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/api/v1/tips", json=payload())
    assert r.status_code == 201, r.text
    return {"X-Tip-Receipt": r.json()["receipt"]}


def _message(n: int) -> dict[str, str]:
    return {"body": f"Thông tin bổ sung số {n}."}


async def test_per_receipt_whoever_sends(
    app: Any, settings: Settings, limits_backend: str | None
) -> None:
    changes = {
        "redis_url": limits_backend,
        "rate_limit_track_messages": "3/minute",
        "rate_limit_track_messages_client": "100/minute",
    }
    async with (
        running(settings, **changes) as api,
        client_for(api) as client,
        client_for(api, "10.0.0.2") as other,
    ):
        first, second = await _receipt(client), await _receipt(client)
        for n in range(3):
            r = await client.post(MESSAGES, json=_message(n), headers=first)
            assert r.status_code == 201, r.text
        assert_rate_limited(await client.post(MESSAGES, json=_message(4), headers=first))
        # The receipt is spent whoever holds it, and for every kind of write.
        assert_rate_limited(await other.post(MESSAGES, json=_message(5), headers=first))
        assert_rate_limited(
            await client.post("/api/v1/track/protection-requests", json=_message(6), headers=first)
        )
        assert_rate_limited(
            await client.post("/api/v1/track/complaints", json=_message(7), headers=first)
        )
        # Reading is not limited; another receipt is not affected.
        assert (await client.get(MESSAGES, headers=first)).status_code == 200
        assert (await client.post(MESSAGES, json=_message(8), headers=second)).status_code == 201


async def test_per_client_over_all_receipts(
    app: Any, settings: Settings, limits_backend: str | None
) -> None:
    changes = {
        "redis_url": limits_backend,
        "rate_limit_track_messages": "100/minute",
        "rate_limit_track_messages_client": "3/minute",
    }
    async with (
        running(settings, **changes) as api,
        client_for(api) as client,
        client_for(api, "10.0.0.2") as neighbour,
    ):
        receipts = [await _receipt(client) for _ in range(3)]
        for n, receipt in enumerate(receipts):
            r = await client.post(MESSAGES, json=_message(n), headers=receipt)
            assert r.status_code == 201, r.text
        assert_rate_limited(await client.post(MESSAGES, json=_message(3), headers=receipts[0]))
        r = await neighbour.post(MESSAGES, json=_message(4), headers=receipts[0])
        assert r.status_code == 201, r.text


async def test_the_default_limit_stops_a_flood(app: Any, client: httpx.AsyncClient) -> None:
    """The finding: 150 of 150 messages were accepted. With the default settings, no more
    than the per-receipt limit are."""
    receipt = await _receipt(client)
    statuses = [
        (await client.post(MESSAGES, json=_message(n), headers=receipt)).status_code
        for n in range(25)
    ]
    assert statuses.count(201) == 20 and statuses[20:] == [429] * 5


async def test_a_tips_stored_files_are_capped(app: Any, settings: Settings) -> None:
    async with (
        running(settings, max_tip_stored_bytes=len(PDF_BYTES) + 10) as api,
        client_for(api) as client,
    ):
        r = await post_multipart(client, payload(), [("a.pdf", PDF_BYTES, "application/pdf")])
        assert r.status_code == 201, r.text
        receipt = {"X-Tip-Receipt": r.json()["receipt"]}
        r = await post_multipart(
            client,
            {"body": "Ảnh chụp thêm."},
            [("b.pdf", PDF_BYTES, "application/pdf")],
            part="message",
            url=MESSAGES,
            headers={**receipt, "Accept-Language": "en"},
        )
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "tip_storage_full"
        assert r.json()["max_bytes"] == len(PDF_BYTES) + 10
        listed = (await client.get(MESSAGES, headers=receipt)).json()["items"]
        assert listed == []
        # Text still goes through.
        assert (await client.post(MESSAGES, json=_message(1), headers=receipt)).status_code == 201
