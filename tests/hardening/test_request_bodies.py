"""Every operation with a body, taken from the route table, refuses a body over its cap with
413 problem+json before anything reads it, anonymous (before authentication): declared by
Content-Length (the body is never read) and streamed without one (cut off at the cap)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.core.body_limits import MULTIPART
from app.media.service import upload_limits
from tests.hardening.conftest import client_for, running

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# A well-formed start of an upload, so that the parser does not refuse it for its form first.
FILE_PART = (
    b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)
CAPS = {"max_json_bytes": 2048, "max_tip_bytes": 8192, "max_file_bytes": 4096}


def operations_with_body(application: Any) -> list[tuple[str, str, list[str]]]:
    """(method, path, documented body types) of every operation with a request body, from the
    OpenAPI document FastAPI builds from the route table; then two requests no operation
    expects a body on (the guard caps every request, matched or not)."""
    found = []
    for template, operations in application.openapi()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                path = re.sub(r"\{[^}]+\}", "json", template)
                types = list(operation["requestBody"]["content"])
                found.append((method.upper(), path, types))
    extra = [("GET", "/api/v1/categories"), ("POST", "/no/such/route")]
    return [*found, *((method, path, ["application/json"]) for method, path in extra)]


class Body:
    """A streamed body of ``size`` bytes that records how much of it was read."""

    def __init__(self, size: int, chunk: int = 1024, prefix: bytes = b"") -> None:
        self.size, self.chunk, self.sent, self.prefix = size, chunk, 0, prefix

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.prefix:
            self.sent += len(self.prefix)
            yield self.prefix
        while self.sent < self.size:
            piece = min(self.chunk, self.size - self.sent)
            self.sent += piece
            yield b"x" * piece


def assert_too_large(r: Any, *, lang: str = "vi") -> None:
    assert r.status_code == 413, (r.request.method, r.request.url, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "payload_too_large"
    assert body["status"] == 413
    assert r.headers["content-language"] == lang
    assert body["title"] == ("Payload too large" if lang == "en" else "Dữ liệu quá lớn")


async def test_every_operation_with_a_body_is_capped(app, settings):
    async with running(settings, **CAPS) as api, client_for(api) as client:
        operations = operations_with_body(api)
        assert len(operations) > 20  # the route table, not a hand-picked list
        json_cap = CAPS["max_json_bytes"]
        multipart_cap = upload_limits(api.state.settings).max_request_bytes
        seen_multipart = 0
        refused_first: set[tuple[str, str]] = set()
        for method, path, types in operations:
            kinds = [(t, json_cap, b"") for t in types if t != MULTIPART]
            if MULTIPART in types:
                seen_multipart += 1
                kinds.append((MULTIPART + "; boundary=b", multipart_cap, FILE_PART))
            for content_type, cap, prefix in kinds:
                for lang in ("vi", "en"):
                    headers = {"Content-Type": content_type, "Accept-Language": lang}
                    # Declared: answered without reading a byte of the body.
                    declared = Body(cap + 1)
                    r = await client.request(
                        method,
                        path,
                        content=declared,
                        headers={**headers, "Content-Length": str(cap + 1)},
                    )
                    assert_too_large(r, lang=lang)
                    assert declared.sent == 0
                    # Streamed (chunked): cut off at the cap, not read to the end; or not read
                    # at all when the operation refuses the caller first (a receipt unknown).
                    streamed = Body(cap * 4, prefix=prefix)
                    r = await client.request(method, path, content=streamed, headers=headers)
                    assert streamed.sent <= cap + streamed.chunk
                    unread = streamed.sent <= len(prefix) + streamed.chunk
                    if unread and (r.status_code in (401, 404, 422) or method == "GET"):
                        refused_first.add((method, path))
                    else:
                        assert_too_large(r, lang=lang)
        assert seen_multipart >= 2  # /tips and /track/messages take uploads
        # Those that answer before reading (an unknown receipt, a form without its fields,
        # staff uploads without a token) are few: the body was never read, so it is bounded too.
        assert len(refused_first) <= 6, refused_first


async def test_multipart_cap_only_where_uploads_are_taken(app, settings):
    """A multipart body under the upload cap but over the JSON cap, sent to an operation that
    takes no uploads, is refused by the JSON cap: nobody gets 50 MiB buffered by sending the
    wrong content type."""
    async with running(settings, **CAPS) as api, client_for(api) as client:
        size = CAPS["max_json_bytes"] + 1
        assert size < upload_limits(api.state.settings).max_request_bytes
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        for path in ("/api/v1/users", "/api/v1/auth/token"):
            r = await client.post(path, content=b"x" * size, headers=headers)
            assert_too_large(r)
            streamed = Body(size * 2, prefix=FILE_PART)
            r = await client.post(path, content=streamed, headers=headers)
            assert r.status_code in (413, 422), r.text
            assert streamed.sent <= size + streamed.chunk  # never read past the JSON cap


async def test_bodies_under_the_cap_still_reach_the_operation(app, settings):
    async with running(settings, **CAPS) as api, client_for(api) as client:
        r = await client.post("/api/v1/users", json={"username": "x"})
        assert r.status_code == 401  # read, then authentication: not the guard's business
        r = await client.post(
            "/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password"}
        )
        assert r.status_code in (400, 401), r.text


@pytest.mark.parametrize("size", [0, 1])
async def test_the_cap_is_inclusive(app, settings, size):
    async with running(settings, **CAPS) as api, client_for(api) as client:
        body = b"{" + b" " * (CAPS["max_json_bytes"] - 2 + size) + b"}"
        r = await client.post(
            "/api/v1/tips", content=body, headers={"Content-Type": "application/json"}
        )
        assert (r.status_code == 413) is (size == 1), r.text
