"""JSON bodies that are not UTF-8 or nest too deeply: clear 4xx, answered after authentication."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.core.bodies import MAX_JSON_DEPTH, json_depth_exceeds
from app.core.config import Settings
from app.main import create_app
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import TIPS, TRACK, jpeg_bytes, payload, post_multipart

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"description": "\xff\xfe caf\xe9"}'
JSON = {"Content-Type": "application/json"}


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_depth_exceeds(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 4)
    assert not json_depth_exceeds(b'{"a": "\\"[[[["}', 1)
    assert json_depth_exceeds(b"[[[]]]", 2)
    assert not json_depth_exceeds(b"[[[]]]", 3)
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert not json_depth_exceeds(nested) and json_depth_exceeds(b"[" + nested + b"]")


async def test_a_100000_deep_array_on_intake_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, content=DEEP, headers=JSON)
    assert response.status_code == 422
    assert response.json()["code"] == "json_too_deep"
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_deep_tip_part_in_multipart_is_a_422(client: httpx.AsyncClient) -> None:
    deep = "[" * 5_000 + "]" * 5_000
    response = await post_multipart(client, deep, [("a.jpg", jpeg_bytes(), "image/jpeg")])
    assert response.status_code == 422
    assert response.json()["code"] == "json_too_deep"


async def test_a_deep_array_on_track_messages_is_a_422(client: httpx.AsyncClient) -> None:
    created = (await client.post(TIPS, json=payload())).json()
    response = await client.post(
        f"{TRACK}/messages",
        content=DEEP,
        headers={**JSON, "X-Tip-Receipt": created["receipt"], "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The JSON is nested more than 32 levels deep."


async def test_invalid_utf8_is_a_400_in_the_callers_language(client: httpx.AsyncClient) -> None:
    response = await client.post(TIPS, content=NOT_UTF8, headers=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
    assert response.json()["detail"] == "Nội dung phải được mã hóa UTF-8."
    english = await client.post(TIPS, content=NOT_UTF8, headers={**JSON, "Accept-Language": "en"})
    assert english.json()["detail"] == "The body must be encoded in UTF-8."


async def test_authentication_comes_before_the_body(
    client: httpx.AsyncClient, app: Any, db: Any
) -> None:
    anonymous = await client.post("/api/v1/users", content=NOT_UTF8, headers=JSON)
    assert anonymous.status_code == 401
    deep = await client.post("/api/v1/users", content=DEEP, headers=JSON)
    assert deep.status_code == 401
    admin = auth_headers(app, await make_user(db, role="admin"))
    response = await client.post("/api/v1/users", content=NOT_UTF8, headers={**JSON, **admin})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"


def _json_operations(settings: Settings) -> list[tuple[str, str]]:
    document = create_app(settings).openapi()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize("content", [NOT_UTF8, DEEP], ids=["not-utf8", "deep"])
async def test_no_operation_lets_a_refused_body_through(
    client: httpx.AsyncClient, app: Any, db: Any, settings: Settings, content: bytes
) -> None:
    operations = _json_operations(settings)
    assert len(operations) > 15
    admin = auth_headers(app, await make_user(db, role="admin"))
    expected = 400 if content is NOT_UTF8 else 422
    wrong = []
    for method, url in operations:
        response = await client.request(method, url, content=content, headers={**JSON, **admin})
        # 403/404: the operation refused the caller or the id before looking at the body.
        if response.status_code not in (expected, 403, 404) or (
            response.status_code == expected
            and response.json()["code"] not in ("invalid_encoding", "json_too_deep")
        ):
            wrong.append((method, url, response.status_code))
    assert wrong == []
