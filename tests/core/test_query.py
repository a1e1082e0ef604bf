"""Unknown query parameters answer 422 ``unknown_parameter`` on every /api/v1 operation.

The operations come from the app's own route table (through its OpenAPI document), so an
endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app

BOGUS = "zz_not_a_parameter"


def _operations(settings: Settings) -> list[tuple[str, str, list[str]]]:
    document = create_app(settings).openapi()
    out = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            out.append((method.upper(), path, query))
    return out


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.fixture
def operations(settings: Settings) -> list[tuple[str, str, list[str]]]:
    ops = _operations(settings)
    assert len(ops) > 40  # the whole API, not a handful
    return ops


def _unknown(response: httpx.Response) -> list[str]:
    if response.status_code != 422:
        return []
    body: dict[str, Any] = response.json()
    return [e["field"] for e in body.get("errors") or [] if e["code"] == "unknown_parameter"]


async def test_every_operation_refuses_an_unknown_parameter(
    client: httpx.AsyncClient, operations: list[tuple[str, str, list[str]]]
) -> None:
    missed = []
    for method, path, _ in operations:
        response = await client.request(method, _url(path), params={BOGUS: "1"})
        if _unknown(response) != [BOGUS]:
            missed.append((method, path, response.status_code))
        else:
            assert response.headers["content-type"] == "application/problem+json"
    assert missed == []


async def test_no_declared_parameter_is_called_unknown(
    client: httpx.AsyncClient, operations: list[tuple[str, str, list[str]]]
) -> None:
    wrong = []
    for method, path, query in operations:
        if not query:
            continue
        response = await client.request(method, _url(path), params=dict.fromkeys(query, "1"))
        if _unknown(response):
            wrong.append((method, path, _unknown(response)))
    assert wrong == []


async def test_the_export_with_a_misspelt_filter_exports_nothing(
    client: httpx.AsyncClient, app: Any, db: Any
) -> None:
    from tests.accounts.helpers import auth_headers, make_user

    admin = await make_user(db, role="admin")
    headers = {**auth_headers(app, admin), "Accept-Language": "en"}
    response = await client.get(
        "/api/v1/exports/tips.csv", params={"periode": "2026-11"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "periode",
            "code": "unknown_parameter",
            "message": "The query parameter 'periode' is not supported here.",
        }
    ]
    ok = await client.get(
        "/api/v1/exports/tips.csv", params={"created_from": "2026-11-01"}, headers=headers
    )
    assert ok.status_code == 200


async def test_open311_tolerates_parameters_it_does_not_know(client: httpx.AsyncClient) -> None:
    response = await client.get("/open311/v2/services.json", params={BOGUS: "1"})
    assert response.status_code == 200
