"""Schemathesis against the app's own OpenAPI document: for every operation, generated
requests (valid and invalid) never get a 5xx, and every answer matches its documented schema.

The app runs in-process (schemathesis' ASGI transport, with the app's lifespan) on the
suite's database, seeded with staff and tips so that most calls are authorized: one run
sends an admin's token on every call, another an officer's. A bounded number of examples per
operation keeps the whole file within a few minutes on two cores (the admin run includes
schemathesis' coverage phase: boundary and invalid values of every parameter).

Nothing is excluded: the streaming CSV export, file downloads and Open311's XML documents
are exercised like every other operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as ALL_CHECKS
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.accounts.credentials import create_access_token
from app.accounts.models import User
from app.core.config import Settings
from app.main import create_app
from app.openapi_export import generate
from tests.conftest import clean_transactional_tables
from tests.tips.helpers import identified, payload

MAX_EXAMPLES = int(os.environ.get("TINBAO_SCHEMATHESIS_EXAMPLES", "10"))  # per operation, as admin
OFFICER_EXAMPLES = max(1, MAX_EXAMPLES // 2)
CHECKS = (
    list(ALL_CHECKS.get_all())
    if os.environ.get("TINBAO_SCHEMATHESIS_CHECKS") == "all"
    else [not_a_server_error, response_schema_conformance]
)


class AppSlot:
    """The ASGI app schemathesis calls, filled in by the ``seeded`` fixture.

    The schema is loaded at collection time (``schema.parametrize()`` needs it then; the
    fixture-based lazy loader of this schemathesis version does not run on pytest 9), while
    the app can only be built once the test database exists."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the seeded fixture builds the app"
        await self.app(scope, receive, send)


SLOT = AppSlot()
schema = schemathesis.openapi.from_dict(generate())
schema.app = SLOT

# Ids of seeded objects: half of the generated path parameters use them, so that calls reach
# real tips and requests, not only the 404 of a random id.
KNOWN_IDS: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    known = {name: KNOWN_IDS[name] for name in path_parameters or () if name in KNOWN_IDS}
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in known.items()})
    return st.one_of(
        st.just(path_parameters), real.map(lambda ids: {**(path_parameters or {}), **ids})
    )


@dataclass
class Seeded:
    headers: dict[str, dict[str, str]]
    tip_ids: list[str]


def _seed_users(settings: Settings, engine: Engine) -> dict[str, dict[str, str]]:
    specs = {
        "admin": {"role": "admin"},
        "officer": {"role": "officer", "unit_code": "CAX-26740", "province_code": "79"},
        "lead": {"role": "unit_lead", "unit_code": "CAX-26740", "province_code": "79"},
    }
    headers = {}
    with Session(engine) as session:
        for name, spec in specs.items():
            user = User(
                username=f"st-{name}",
                password_hash="not-used",  # tokens are issued directly
                full_name=f"Schemathesis {name}",
                token_version=0,
                **spec,
            )
            session.add(user)
            session.flush()
            token = create_access_token(settings, user_id=user.id, token_version=0, role=user.role)
            headers[name] = {"Authorization": f"Bearer {token.token}"}
        session.commit()
    return headers


@pytest.fixture(scope="module")
def seeded(settings: Settings, sync_engine: Engine) -> Iterator[Seeded]:
    SLOT.app = create_app(settings)
    headers = _seed_users(settings, sync_engine)
    tip_ids = []
    request_ids = []
    with asgi.get_client(SLOT) as client:
        for body in (payload(), identified(), identified(category_code="public_disorder")):
            r = client.post("/api/v1/tips", json=body)
            assert r.status_code == 201, r.text
            tip_ids.append(r.json()["id"])
            receipt = {"X-Tip-Receipt": r.json()["receipt"]}
        r = client.post("/api/v1/track/messages", json={"body": "Bổ sung"}, headers=receipt)
        assert r.status_code == 201, r.text
        for kind in ("access", "erasure"):
            r = client.post("/api/v1/track/privacy-requests", json={"kind": kind}, headers=receipt)
            assert r.status_code == 201, r.text
            request_ids.append(r.json()["id"])
    KNOWN_IDS.update(tip_id=tip_ids, request_id=request_ids)
    yield Seeded(headers=headers, tip_ids=tip_ids)
    asgi.shutdown_lifespans()
    SLOT.app = None
    KNOWN_IDS.clear()
    clean_transactional_tables(sync_engine)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_as_admin(case: Any, seeded: Seeded) -> None:
    case.call_and_validate(headers=seeded.headers["admin"], checks=CHECKS)


@schema.parametrize()
@hypothesis_settings(
    max_examples=OFFICER_EXAMPLES,
    phases=[Phase.generate],  # the admin run covers the boundary cases already
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_as_officer(case: Any, seeded: Seeded) -> None:
    case.call_and_validate(headers=seeded.headers["officer"], checks=CHECKS)
