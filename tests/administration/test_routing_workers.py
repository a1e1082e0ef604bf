"""A routing change reaches every worker process: a server with two workers, a province rule
set through one of them, and intake answered by both routing new tips the new way once the
reference cache's lifetime (TINBAO_REFERENCE_CACHE_SECONDS, here 1 s) has passed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.credentials import create_access_token
from app.core.config import Settings
from tests.accounts.helpers import make_user
from tests.hardening.server import Server
from tests.tips.helpers import TIPS, payload

CAN_THO = "92"


async def _unit_of_new_tip(client: httpx.AsyncClient, commune: str) -> str:
    r = await client.post(TIPS, json=payload(location={"commune_code": commune}))
    assert r.status_code == 201, r.text
    return r.json()["assigned_unit"]["code"]


async def test_a_rule_reaches_both_workers(
    settings: Settings, db: AsyncSession, tmp_path: Path
) -> None:
    admin = await make_user(db, role="admin")
    token = create_access_token(settings, user_id=admin.id, token_version=0, role="admin").token
    server = Server(
        settings, tmp_path / "server.log", workers=2, TINBAO_REFERENCE_CACHE_SECONDS="1"
    )
    async with server, httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        communes = await client.get(
            "/api/v1/admin-units/communes", params={"province_code": CAN_THO}
        )
        commune = communes.json()[0]["code"]
        # Both workers hold a snapshot with the national rule (drugs → the commune police).
        for _ in range(10):
            assert await _unit_of_new_tip(client, commune) == f"CAX-{commune}"
        r = await client.put(
            f"/api/v1/categories/drugs/provinces/{CAN_THO}",
            json={"route_to": "PC04", "watch_departments": []},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        # Poll (bounded) until 20 intakes in a row, spread over both workers by the kernel,
        # route the new way: a worker still on the old snapshot would break the run.
        in_a_row = 0
        for _ in range(600):
            if await _unit_of_new_tip(client, commune) == f"CAT-{CAN_THO}-PC04":
                in_a_row += 1
                if in_a_row == 20:
                    break
            else:
                in_a_row = 0
                await asyncio.sleep(0.05)
        assert in_a_row == 20, server.output()[-2000:]
