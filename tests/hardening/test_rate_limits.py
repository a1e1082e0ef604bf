"""Rate limits per client address — intake (/api/v1/tips and Open311), failed receipt
look-ups (/api/v1/track*), logins — on both backends: in memory, and Redis (shared by every
worker). Over the limit: 429 with Retry-After."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import DEFAULT_PASSWORD, make_api_key, make_user
from tests.hardening.conftest import client_for, running
from tests.tips.helpers import payload

WRONG_RECEIPT = {"X-Tip-Receipt": "K7QM-2X9P-4HTR-ZW8C-VN3D"}


def assert_rate_limited(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "rate_limited" and r.json()["status"] == 429
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= 60
    return retry_after


async def test_intake_per_address(app, settings, limits_backend):
    async with (
        running(settings, redis_url=limits_backend, rate_limit_intake="3/minute") as api,
        client_for(api) as client,
        client_for(api, "10.0.0.2") as neighbour,
    ):
        for _ in range(3):
            assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        assert_rate_limited(await client.post("/api/v1/tips", json=payload()))
        # Every attempt counts, valid or not.
        assert_rate_limited(await client.post("/api/v1/tips", json={}))
        # Another address is not affected.
        assert (await neighbour.post("/api/v1/tips", json=payload())).status_code == 201


async def test_counters_are_shared_between_workers_only_with_redis(app, settings, limits_backend):
    limits = {"redis_url": limits_backend, "rate_limit_intake": "2/minute"}
    async with (
        running(settings, **limits) as first,
        running(settings, **limits) as second,
        client_for(first) as one,
        client_for(second) as other,
    ):
        for _ in range(2):
            assert (await one.post("/api/v1/tips", json=payload())).status_code == 201
        r = await other.post("/api/v1/tips", json=payload())
        if limits_backend:  # Redis: the second worker sees the first one's count
            assert_rate_limited(r)
        else:  # in memory: each process counts on its own
            assert r.status_code == 201


async def test_open311_intake_shares_the_intake_limit(app, db, settings, limits_backend):
    _, key = await make_api_key(db, app, role="open311_client", province_code="79")
    form = {
        "api_key": key,
        "service_code": "drugs",
        "description": "Nhóm thanh niên tụ tập sử dụng ma túy ở cuối hẻm 12 mỗi tối.",
        "attribute[commune_code]": "26740",
    }
    async with (
        running(settings, redis_url=limits_backend, rate_limit_intake="3/minute") as api,
        client_for(api) as client,
    ):
        assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        for _ in range(2):
            r = await client.post("/open311/v2/requests.json", data=form)
            assert r.status_code == 201, r.text
        r = await client.post("/open311/v2/requests.json", data=form)
        assert r.status_code == 429
        assert r.json()[0]["code"] == 429  # in Open311's own error shape
        assert 1 <= int(r.headers["retry-after"]) <= 60


async def test_only_failed_receipt_lookups_count(app, settings, limits_backend):
    changes = {"redis_url": limits_backend, "rate_limit_track_failures": "3/minute"}
    async with (
        running(settings, **changes) as api,
        client_for(api) as client,
        client_for(api, "10.0.0.3") as neighbour,
    ):
        tip = (await client.post("/api/v1/tips", json=payload())).json()
        mine = {"X-Tip-Receipt": tip["receipt"]}
        # Successful look-ups are not limited.
        for _ in range(6):
            assert (await client.get("/api/v1/track", headers=mine)).status_code == 200
        # Failures are: three wrong (or malformed, or missing) receipts ...
        assert (await client.get("/api/v1/track", headers=WRONG_RECEIPT)).status_code == 404
        r = await client.get("/api/v1/track/messages", headers={"X-Tip-Receipt": "x"})
        assert r.status_code == 404
        assert (await client.get("/api/v1/track")).status_code == 404
        # ... and the address is refused, even with the right receipt, on every /track call.
        assert_rate_limited(await client.get("/api/v1/track", headers=WRONG_RECEIPT))
        assert_rate_limited(await client.get("/api/v1/track", headers=mine))
        assert_rate_limited(
            await client.post("/api/v1/track/messages", json={"body": "x"}, headers=mine)
        )
        assert_rate_limited(
            await client.post(
                "/api/v1/track/privacy-requests", json={"kind": "access"}, headers=mine
            )
        )
        assert (await neighbour.get("/api/v1/track", headers=mine)).status_code == 200


async def test_failed_logins_are_limited(app, db, settings, limits_backend):
    user = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    async with (
        running(settings, redis_url=limits_backend, rate_limit_login="2/minute") as api,
        client_for(api) as client,
    ):
        form = {"username": user.username, "password": "wrong-password"}
        for _ in range(2):
            assert (await client.post("/api/v1/auth/token", data=form)).status_code == 401
        # This address and username are refused now, the right password too.
        form["password"] = DEFAULT_PASSWORD
        assert_rate_limited(await client.post("/api/v1/auth/token", data=form))
