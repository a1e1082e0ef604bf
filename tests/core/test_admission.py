"""The intake admission bound (TINBAO_MAX_QUEUED_WRITES): 503 service_busy beyond it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from app.core.admission import WriteAdmission, is_intake, write_limit
from app.core.config import Settings


class Gate:
    """A downstream app whose intake requests wait until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["method"] == "POST":
            self.entered += 1
            await self.gate.wait()
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_beyond_the_bound_intake_is_answered_503_with_retry_after() -> None:
    inner = Gate()
    app = WriteAdmission(inner, limit=2)
    async with _client(app) as client:
        held = [asyncio.create_task(client.post("/api/v1/tips", json={})) for _ in range(2)]
        await _settle()
        assert inner.entered == 2 and app.in_flight == 2
        busy = await client.post("/api/v1/tips", json={}, headers={"Accept-Language": "en"})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.headers["content-type"].startswith("application/problem+json")
        body = busy.json()
        assert body["code"] == "service_busy" and body["status"] == 503
        assert "send it again" in body["detail"]
        vi = await client.post("/open311/v2/requests.json", json={})
        assert vi.status_code == 503
        assert "gửi lại" in vi.json()["detail"]
        assert inner.entered == 2  # the refused ones never reached the app
        # Other requests are not bounded.
        assert (await client.get("/api/v1/tips")).status_code == 201
        inner.gate.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [201, 201]
        assert app.in_flight == 0
        assert (await client.post("/api/v1/tips", json={})).status_code == 201


async def test_a_failing_request_frees_its_place() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    app = WriteAdmission(broken, limit=1)
    async with _client(app) as client:
        for _ in range(3):
            with pytest.raises(RuntimeError):
                await client.post("/api/v1/tips", json={})
    assert app.in_flight == 0


def test_which_requests_are_intake() -> None:
    def scope(method: str, path: str) -> dict[str, str]:
        return {"method": method, "path": path}

    assert is_intake(scope("POST", "/api/v1/tips"))
    assert is_intake(scope("POST", "/open311/v2/requests.xml"))
    assert not is_intake(scope("GET", "/api/v1/tips"))
    assert not is_intake(scope("POST", "/api/v1/tips/abc/notes"))
    assert not is_intake(scope("POST", "/api/v1/track/messages"))


def test_the_bound_defaults_to_32_on_sqlite_and_none_on_postgresql() -> None:
    sqlite = Settings(database_url="sqlite:///./var/x.db")
    postgres = Settings(database_url="postgresql://u@h/db")
    assert write_limit(sqlite) == 32
    assert write_limit(postgres) == 0
    assert write_limit(Settings(database_url="sqlite:///./var/x.db", max_queued_writes=0)) == 0
    assert write_limit(Settings(database_url="postgresql://u@h/db", max_queued_writes=3)) == 3


async def test_the_app_refuses_intake_beyond_the_bound() -> None:
    """The real stack: with the bound reached, a tip gets the 503 before any validation."""
    from app.core import admission
    from app.main import create_app

    settings = Settings(database_url="sqlite:///./var/admission-test.db", max_queued_writes=1)
    app = create_app(settings)
    stack = app.build_middleware_stack()
    found: list[WriteAdmission] = []
    node: Any = stack
    while node is not None and len(found) == 0:
        if isinstance(node, admission.WriteAdmission):
            found.append(node)
        node = getattr(node, "app", None)
    assert found and found[0].limit == 1
    found[0].in_flight = 1  # one intake request in flight
    async with _client(stack) as client:
        answer = await client.post(
            "/api/v1/tips",
            content=json.dumps({"x": 1}),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 503
    assert answer.json()["code"] == "service_busy"
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_openapi_document_declares_the_503_where_admission_can_answer_it() -> None:
    """Every operation the bound covers (from the document, not a list) declares its 503 as
    problem+json with Retry-After, and what the real stack sends there is that: no other
    operation declares it (others declare the database's 503, tests/test_openapi.py)."""
    import re

    from app.core import admission
    from app.main import create_app

    settings = Settings(database_url="sqlite:///./var/admission-test.db", max_queued_writes=1)
    app = create_app(settings)
    document = app.openapi()
    covered = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            path = re.sub(r"\{[^}]+\}", "json", template)
            declared = operation["responses"].get("503")
            if not is_intake({"method": method.upper(), "path": path}):
                # the database's 503 is declared on many operations: never service_busy
                assert declared is None or "service_busy" not in declared["description"]
                continue
            covered.append((method.upper(), path))
            assert declared is not None, (method, template)
            assert "service_busy" in declared["description"]
            assert "application/problem+json" in declared["content"]
            assert declared["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert "Retry-After" in declared["headers"]
    assert sorted(covered) == [("POST", "/api/v1/tips"), ("POST", "/open311/v2/requests.json")]
    stack = app.build_middleware_stack()
    node: Any = stack
    while not isinstance(node, admission.WriteAdmission):
        node = node.app
    node.in_flight = 1
    async with _client(stack) as client:
        for method, path in covered:
            answer = await client.request(method, path, content=b"{}")
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["code"] == "service_busy"
            assert int(answer.headers["retry-after"]) >= 1
