"""A 405 names in ``Allow`` every method the path serves, whichever router serves it."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/tips", {"GET", "POST"}),
        ("OPTIONS", "/api/v1/categories", {"GET", "POST"}),
        ("DELETE", "/api/v1/categories", {"GET", "POST"}),
        # A concrete path is matched before a templated one (OpenAPI's rule): DELETE
        # /webhooks/{subscription_id} is not a method of /webhooks/dead-letters.
        ("OPTIONS", "/api/v1/webhooks/dead-letters", {"GET"}),
    ],
)
async def test_a_405_lists_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    r = await client.request(method, path)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert set(r.headers["allow"].split(", ")) == allowed
