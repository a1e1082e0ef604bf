"""Schemathesis against the app's own OpenAPI document: for every operation, generated
requests (valid and invalid) never get a 5xx, every answer matches what the document says of
it, and the API refuses what the document forbids and accepts what it allows.

The app runs in-process (schemathesis' ASGI transport, with the app's lifespan) on the
suite's database, seeded with staff and tips so that most calls are authorized: one run
sends an admin's token on every call, another an officer's; Open311 calls also carry an
``open311_client`` key. A bounded number of examples per operation keeps the whole file
within a few minutes on two cores (the admin run includes schemathesis' coverage phase:
boundary and invalid values of every parameter, missing headers, other methods).

Every check schemathesis has runs, but these, which cannot apply to single generated calls:

- ``use_after_free`` and ``ensure_resource_availability`` judge a call by the calls before it
  (a resource deleted, then read; created, then missing): they need a stateful run, and pass
  silently on single calls;
- ``object_level_authorization`` replays one identity's reads as its peers, registered with
  an auth provider; this file sends fixed tokens (scopes are attacked in tests/privacy and
  tests/triage, identity by identity).

One is narrowed: ``positive_data_acceptance`` accepts the refusals of rules no OpenAPI schema
can express (a code that must exist, ``period`` or ``from``/``to``, a signed cursor), listed
operation by operation with the ``errors[]`` items they answer with in ``rejections.py``.

Negative cases keep what made them negative: the seeded ids replace generated path
parameters only in positive cases, and a case whose headers were generated invalid is sent
with them (no valid token put over a generated invalid one).

``TINBAO_SCHEMATHESIS_EXAMPLES`` sets the examples per operation (admin; the officer run has
half), ``TINBAO_SCHEMATHESIS_CHECKS=basic`` runs only the server-error and response-schema
checks.

Nothing is excluded: the streaming CSV export, file downloads and Open311's XML documents
are exercised like every other operation.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS as ALL_CHECKS
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.accounts.credentials import api_key_hash, create_access_token, generate_api_key
from app.accounts.models import ApiKey, User
from app.core.config import Settings
from app.main import create_app
from app.openapi_export import generate
from tests.conftest import clean_transactional_tables
from tests.schemathesis.rejections import positive_data_acceptance_explained
from tests.tips.helpers import identified, payload

MAX_EXAMPLES = int(os.environ.get("TINBAO_SCHEMATHESIS_EXAMPLES", "10"))  # per operation, as admin
OFFICER_EXAMPLES = max(1, MAX_EXAMPLES // 2)
# By name: the lowest schemathesis pyproject.toml allows has no object_level_authorization.
NOT_APPLICABLE = {"use_after_free", "ensure_resource_availability", "object_level_authorization"}
CHECKS = (
    [not_a_server_error, response_schema_conformance]
    if os.environ.get("TINBAO_SCHEMATHESIS_CHECKS") == "basic"
    else [
        positive_data_acceptance_explained if check is positive_data_acceptance else check
        for check in ALL_CHECKS.get_all()
        if check.__name__ not in NOT_APPLICABLE
    ]
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

# Ids of seeded objects: half of the positive cases (by a hash of the generated values, so
# that runs repeat) get them as path parameters, to reach real tips and requests, not only the
# 404 of a random id. Put in place, so that schemathesis sees the edit.
KNOWN_IDS: dict[str, list[str]] = {}


def _with_known_ids(case: Any) -> None:
    path = case.path_parameters or {}
    known = [name for name in path if name in KNOWN_IDS]
    component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if not known or component is None or not component.mode.is_positive:
        return
    draw = zlib.crc32(repr(sorted(path.items())).encode())
    if draw % 2:
        for name in known:
            path[name] = KNOWN_IDS[name][draw % len(KNOWN_IDS[name])]


def _headers(case: Any, seeded: Seeded, identity: str) -> dict[str, str]:
    """The identity's credentials, unless the case's own headers are its invalid part."""
    component = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if component is not None and not component.mode.is_positive:
        return {}
    if case.path.startswith("/open311/"):
        return {**seeded.headers[identity], "X-API-Key": seeded.open311_key}
    return seeded.headers[identity]


@dataclass
class Seeded:
    headers: dict[str, dict[str, str]]
    tip_ids: list[str]
    open311_key: str


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


def _seed_open311_key(settings: Settings, engine: Engine) -> str:
    key = generate_api_key()
    with Session(engine) as session:
        session.add(
            ApiKey(
                name="schemathesis",
                role="open311_client",
                province_code="79",
                key_hash=api_key_hash(settings, key),
                prefix=key[:12],
            )
        )
        session.commit()
    return key


@pytest.fixture(scope="module")
def seeded(settings: Settings, sync_engine: Engine) -> Iterator[Seeded]:
    SLOT.app = create_app(settings)
    headers = _seed_users(settings, sync_engine)
    open311_key = _seed_open311_key(settings, sync_engine)
    tip_ids = []
    request_ids = []
    with asgi.get_client(SLOT) as client:
        # The boundaries are simplified once per process (seconds of CPU): done here, not
        # inside a generated call's 10-second deadline.
        r = client.get("/api/v1/admin-units/boundaries", timeout=300)
        assert r.status_code == 200, r.text
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
    yield Seeded(headers=headers, tip_ids=tip_ids, open311_key=open311_key)
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
    _with_known_ids(case)
    case.call_and_validate(headers=_headers(case, seeded, "admin"), checks=CHECKS)


@schema.parametrize()
@hypothesis_settings(
    max_examples=OFFICER_EXAMPLES,
    phases=[Phase.generate],  # the admin run covers the boundary cases already
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_as_officer(case: Any, seeded: Seeded) -> None:
    _with_known_ids(case)
    case.call_and_validate(headers=_headers(case, seeded, "officer"), checks=CHECKS)
