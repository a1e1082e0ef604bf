"""Staff, tips and calls for the triage tests.

The scene: Ho Chi Minh City (province 79). Tips are filed at Phường Sài Gòn (CAX-26740); a
drug tip is watched by the drug police department CAT-79-PC04. Another commune police
(CAX-26737, Tân Định) and Hà Nội (province 01) are out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.tips.models import Tip, TipEvent
from tests.accounts.helpers import auth_headers, make_api_key, make_organization, make_user
from tests.tips.helpers import SAI_GON, TIPS, identified, payload

UNIT_A = f"CAX-{SAI_GON}"  # Phường Sài Gòn
UNIT_B = "CAX-26737"  # Phường Tân Định, same province
PC04 = "CAT-79-PC04"
CSDT = "CAT-79-CSDT"
DUTY_DESK = "CAT-79"
CON_DAO = "CAX-26732"  # a remote island commune (Đặc khu Côn Đảo)


@dataclass(frozen=True)
class Person:
    """What tests need of a user, copied out (ORM objects expire when tests reload rows)."""

    id: str
    full_name: str
    role: str


@dataclass
class Staff:
    """Everyone the tests act as; ``headers[name]`` authenticates as ``name``."""

    users: dict[str, Person]
    headers: dict[str, dict[str, str]]

    def __getitem__(self, name: str) -> Person:
        return self.users[name]


async def make_staff(db: AsyncSession, app: Any) -> Staff:
    org = await make_organization(
        db, name="Hội Nông dân phường Sài Gòn", kind="member_org", province_code="79"
    )
    other_org = await make_organization(
        db, name="Đoàn Thanh niên", kind="member_org", province_code="79"
    )
    specs: dict[str, dict[str, Any]] = {
        "admin": {"role": "admin"},
        "officer_a": {"role": "officer", "unit_code": UNIT_A, "province_code": "79"},
        "officer_a2": {"role": "officer", "unit_code": UNIT_A, "province_code": "79"},
        "lead_a": {"role": "unit_lead", "unit_code": UNIT_A, "province_code": "79"},
        "officer_b": {"role": "officer", "unit_code": UNIT_B, "province_code": "79"},
        "lead_b": {"role": "unit_lead", "unit_code": UNIT_B, "province_code": "79"},
        "officer_pc04": {"role": "officer", "unit_code": PC04, "province_code": "79"},
        "officer_csdt": {"role": "officer", "unit_code": CSDT, "province_code": "79"},
        "lead_csdt": {"role": "unit_lead", "unit_code": CSDT, "province_code": "79"},
        "supervisor_79": {"role": "province_supervisor", "province_code": "79"},
        "supervisor_01": {"role": "province_supervisor", "province_code": "01"},
        "analyst_79": {"role": "analyst", "province_code": "79"},
        "analyst_01": {"role": "analyst", "province_code": "01"},
        "front": {"role": "front_member", "organization_id": org.id},
        "front_other": {"role": "front_member", "organization_id": other_org.id},
    }
    users = {}
    headers = {}
    for name, spec in specs.items():
        user: User = await make_user(db, full_name=f"Người dùng {name}", **spec)
        users[name] = Person(id=user.id, full_name=user.full_name, role=user.role)
        headers[name] = auth_headers(app, user)
    _, key = await make_api_key(db, app, role="analyst", province_code="79")
    headers["analyst_key_79"] = {"X-API-Key": key}
    return Staff(users=users, headers=headers)


async def submit(
    client: httpx.AsyncClient, body: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """File a tip through the public intake (anonymous drug tip at Phường Sài Gòn by default)."""
    headers = kw.pop("headers", None) or {}
    r = await client.post(TIPS, json=body or payload(**kw), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def submit_identified(client: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    return await submit(client, identified(**kw))


async def submit_security(client: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    return await submit(client, payload(category_code="public_disorder", **kw))


async def set_tip(db: AsyncSession, tip_id: str, **values: Any) -> None:
    """Arrange: change a tip's columns directly (e.g. move its dates into the past)."""
    await db.execute(update(Tip).where(Tip.id == tip_id).values(**values))
    await db.commit()


async def load_tip(db: AsyncSession, tip_id: str) -> Tip:
    db.expire_all()
    tip = await db.get(Tip, tip_id)
    assert tip is not None
    return tip


async def events_of(db: AsyncSession, tip_id: str, type_: str | None = None) -> list[TipEvent]:
    db.expire_all()
    query = select(TipEvent).where(TipEvent.tip_id == tip_id)
    if type_:
        query = query.where(TipEvent.type == type_)
    return list(await db.scalars(query.order_by(TipEvent.id)))


def move(to: str, **fields: Any) -> dict[str, Any]:
    return {"to": to, **fields}
