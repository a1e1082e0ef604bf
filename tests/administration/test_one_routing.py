"""Intake, corrections and the data generator route through the one routing function, so a
province's own rule applies to all three. Places of Lạng Sơn (20): drugs go straight to its
PC04 there; elsewhere the national rule (the commune police) holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.security import DataCipher
from app.devdata.service import load_reference
from app.devdata.synth import Synthesizer
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import TIPS, payload

LANG_SON = "20"
QUOC_KHANH = "06004"  # a commune of Lạng Sơn
HUE_COMMUNE_PROVINCE = "46"
RULE = f"/api/v1/categories/drugs/provinces/{LANG_SON}"


@pytest.fixture
async def rule(client: httpx.AsyncClient, db: AsyncSession, app: Any) -> AsyncIterator[None]:
    """Lạng Sơn's own drugs rule for the test, dropped afterwards (other tests of the package
    list the drugs rules)."""
    admin = auth_headers(app, await make_user(db, role="admin"))
    r = await client.put(RULE, json={"route_to": "PC04", "watch_departments": []}, headers=admin)
    assert r.status_code == 200, r.text
    yield
    assert (await client.delete(RULE, headers=admin)).status_code == 204


async def test_intake_and_a_correction_follow_the_province_rule(
    client: httpx.AsyncClient, db: AsyncSession, app: Any, rule: None
) -> None:
    lead = auth_headers(app, await make_user(db, role="unit_lead", unit_code=f"CAX-{QUOC_KHANH}"))
    filed = await client.post(TIPS, json=payload(location={"commune_code": QUOC_KHANH}))
    assert filed.json()["assigned_unit"]["code"] == f"CAT-{LANG_SON}-PC04"  # intake
    # Filed as a dispute at the commune police, then corrected to drugs: the rule re-routes it.
    tip = await client.post(
        TIPS, json=payload(category_code="other", location={"commune_code": QUOC_KHANH})
    )
    assert tip.json()["assigned_unit"]["code"] == f"CAX-{QUOC_KHANH}"
    r = await client.post(
        f"/api/v1/tips/{tip.json()['id']}/corrections",
        json={"category_code": "drugs", "reason": "Thực chất là mua bán ma túy"},
        headers=lead,
    )
    assert r.status_code == 200, r.text
    assert r.json()["assigned_unit"]["code"] == f"CAT-{LANG_SON}-PC04"


async def test_the_generator_follows_the_province_rule(
    client: httpx.AsyncClient,
    db: AsyncSession,
    app: Any,
    settings: Settings,
    sync_engine: Engine,
    rule: None,
) -> None:
    with sync_engine.connect() as conn:
        reference = load_reference(conn)
    synth = Synthesizer(
        reference,
        cipher=DataCipher(settings.data_keys),
        points={},
        now=datetime.now(UTC),
        seed=1,
    )
    drugs = next(c for c in reference.categories if c.code == "drugs")
    here = next(c for c in reference.communes if c.code == QUOC_KHANH)
    there = next(c for c in reference.communes if c.province_code == HUE_COMMUNE_PROVINCE)
    assert synth._route(here, drugs).assigned_unit_code == f"CAT-{LANG_SON}-PC04"
    assert synth._route(there, drugs).assigned_unit_code == f"CAX-{there.code}"
