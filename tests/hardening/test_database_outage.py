"""The database goes away and comes back: requests answer 503 problem+json with
Retry-After (never 500), /readyz says 503, /healthz stays up, and the same process serves
again once the database is back — no restart.

PostgreSQL only: the outage is a TCP proxy between the app and the database, cut and
restored by the test (the machine's PostgreSQL is shared and is never stopped). SQLite has
no connection to cut: an open file stays readable whatever happens to its path. CI runs the
suite on PostgreSQL (.ci/run sets TINBAO_TEST_DATABASE_URL), so this test runs there.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.hardening.conftest import client_for, running
from tests.hardening.proxy import CuttableProxy
from tests.tips.helpers import payload


def assert_unavailable(r: httpx.Response, *, retry_after: bool = True) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "service_unavailable"
    if retry_after:
        assert int(r.headers["retry-after"]) >= 1


async def calls(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    return {
        "categories": await client.get("/api/v1/categories"),
        "intake": await client.post("/api/v1/tips", json=payload()),
        "track": await client.get("/api/v1/track", headers={"X-Tip-Receipt": "0" * 20}),
        "readyz": await client.get("/readyz"),
    }


async def test_database_outage_answers_503_and_recovers(app, settings, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL only (see the module docstring); CI runs it on PostgreSQL")
    url = make_url(settings.database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with (
            running(settings, database_url=proxied) as api,
            client_for(api, raise_app_exceptions=False) as client,
        ):
            up = await calls(client)
            assert up["categories"].status_code == 200
            assert up["intake"].status_code == 201
            assert up["readyz"].status_code == 200

            await proxy.cut()
            for _ in range(2):  # pooled connections dropped, then new ones refused
                down = await calls(client)
                for name in ("categories", "intake", "track"):
                    assert_unavailable(down[name])
                assert_unavailable(down["readyz"], retry_after=False)
            assert (await client.get("/healthz")).status_code == 200

            await proxy.start()
            back = await calls(client)
            assert back["categories"].status_code == 200
            assert back["intake"].status_code == 201
            assert back["track"].status_code == 404
            assert back["readyz"].status_code == 200
    finally:
        await proxy.close()
