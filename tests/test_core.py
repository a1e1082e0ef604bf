"""Core behaviour every endpoint shares."""

from __future__ import annotations

import base64

from app.core.security import DataCipher


async def test_unknown_route_is_problem_json_in_both_languages(client) -> None:
    vi = await client.get("/api/v1/no-such-thing")
    en = await client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert vi.status_code == en.status_code == 404
    assert vi.headers["content-type"].startswith("application/problem+json")
    assert vi.json()["code"] == en.json()["code"] == "not_found"
    assert vi.json()["title"] == "Không tìm thấy"
    assert en.json()["title"] == "Not found"


async def test_record_under_a_removed_key_answers_503_not_500(app, client) -> None:
    """A key removed from the ring before re-encryption finished is a misconfiguration the
    operator must see (503 + log), not an unexplained 500."""
    old = DataCipher(["old:" + base64.urlsafe_b64encode(b"o" * 32).decode()])
    key_id, blob = old.encrypt(b"secret", aad=b"x")

    @app.get("/_test/decrypt")
    async def _decrypt() -> dict[str, str]:
        return {"value": app.state.cipher.decrypt(key_id, blob, aad=b"x").decode()}

    response = await client.get("/_test/decrypt")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


async def test_nul_character_in_a_search_is_bad_input_not_a_server_error(client) -> None:
    response = await client.get(
        "/api/v1/admin-units/communes", params={"q": "ben\x00nghe", "province_code": "79"}
    )
    assert response.status_code in (200, 422)
    assert response.headers["content-type"].startswith(
        "application/problem+json" if response.status_code == 422 else "application/json"
    )
