"""The database goes silent (a partition: packets dropped, no RST): requests answer 503 with
Retry-After within the configured timeouts — never a hang, never a 500 — /readyz turns red, a
scheduled job run (and the outbox) fails within its timeout and its lease runs out, and
everything works again once traffic flows.

PostgreSQL: a TCP proxy between the app and the database blackholes the traffic (the shared
server itself is never touched). SQLite has no network: its analogue is a database locked by
another writer, bounded by the busy timeout (TINBAO_DB_STATEMENT_TIMEOUT_SECONDS) — tested
here with a real second connection holding the write lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.core.db import utcnow
from app.integration import worker as webhook_worker
from app.triage import jobs
from tests.hardening.conftest import client_for, running
from tests.hardening.proxy import CuttableProxy
from tests.tips.helpers import payload

T = TypeVar("T")
TIMEOUTS = {
    "db_connect_timeout_seconds": 1.0,
    "db_statement_timeout_seconds": 1.0,
    "db_pool_timeout_seconds": 1.0,
    "readyz_timeout_seconds": 1.0,
    "scheduler_enabled": False,
}


async def bounded(call: Awaitable[T]) -> T:
    """A hang fails the test (far above every configured timeout), it does not stall it."""
    return await asyncio.wait_for(call, timeout=30)


def assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "service_unavailable"
    assert int(r.headers["retry-after"]) >= 1


async def request_path(client: httpx.AsyncClient) -> dict[str, httpx.Response]:
    return {
        "categories": await bounded(client.get("/api/v1/categories")),
        "intake": await bounded(client.post("/api/v1/tips", json=payload())),
        "track": await bounded(client.get("/api/v1/track", headers={"X-Tip-Receipt": "0" * 20})),
        "readyz": await bounded(client.get("/readyz")),
    }


async def write_job(session: Any, *, now: Any, settings: Any) -> int:
    await session.execute(text("UPDATE job_locks SET last_result = last_result"))
    return 1


async def test_partition_on_postgresql(app, settings, is_postgres):
    if not is_postgres:
        pytest.skip("a network partition needs a network: PostgreSQL (SQLite: the test below)")
    url = make_url(settings.database_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        async with (
            running(settings, database_url=proxied, **TIMEOUTS) as api,
            client_for(api, raise_app_exceptions=False) as client,
        ):
            up = await request_path(client)
            assert up["categories"].status_code == 200
            assert up["intake"].status_code == 201
            assert up["readyz"].status_code == 200

            proxy.blackhole()
            for _ in range(2):  # pooled connections go silent, then new ones do
                down = await request_path(client)
                for name in ("categories", "intake", "track"):
                    assert_unavailable(down[name])
                assert down["readyz"].status_code == 503
            assert (await client.get("/healthz")).status_code == 200

            # The background runner: a job whose database goes silent mid-run fails within
            # its timeout; its lease is not released (the database cannot be reached) and
            # runs out instead.
            sessionmaker = api.state.sessionmaker
            proxy.restore()
            cut_mid_run = jobs.Job("faults_partition", _blackholing(proxy))
            started = utcnow()
            with pytest.raises(DBAPIError):
                await bounded(
                    jobs.run_job(sessionmaker, cut_mid_run, settings=api.state.settings, holder="a")
                )
            proxy.restore()
            await _until_ready(client)
            async with sessionmaker() as session:
                taken = await jobs.acquire_lease(
                    session, name="faults_partition", holder="b", now=utcnow()
                )
                assert not taken  # still leased to the partitioned run
                later = started + jobs.LEASE + timedelta(seconds=1)
                taken = await jobs.acquire_lease(
                    session, name="faults_partition", holder="b", now=later
                )
                assert taken  # the lease ran out
                await session.commit()
            ok = jobs.Job("faults_after", write_job)
            result = await jobs.run_job(sessionmaker, ok, settings=api.state.settings, holder="b")
            assert result == "ok: 1"

            # The outbox (change feed sequencing, webhook deliveries): the same.
            proxy.blackhole()
            with pytest.raises(DBAPIError):
                await bounded(webhook_worker.sync_feed(sessionmaker))
            proxy.restore()
            await _until_ready(client)
            assert await bounded(webhook_worker.sync_feed(sessionmaker)) >= 1  # the tips' events

            back = await request_path(client)
            assert back["categories"].status_code == 200
            assert back["intake"].status_code == 201
            assert back["track"].status_code == 404
            assert back["readyz"].status_code == 200
    finally:
        await proxy.close()


def _blackholing(proxy: CuttableProxy) -> Any:
    async def run(session: Any, *, now: Any, settings: Any) -> int:
        proxy.blackhole()
        await session.execute(text("SELECT 1"))
        return 1

    return run


async def _until_ready(client: httpx.AsyncClient) -> None:
    """The first requests after the partition may still meet a silent pooled connection
    (each answers 503 and drops it); the pool then refills with live connections."""
    for _ in range(25):
        if (await bounded(client.get("/readyz"))).status_code == 200:
            return
    raise AssertionError("/readyz did not turn green again")


async def test_locked_sqlite_answers_503_and_recovers(app, settings, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's analogue of a partition; PostgreSQL has the test above")
    path = make_url(settings.database_url).database
    assert path
    changes = {**TIMEOUTS, "db_statement_timeout_seconds": 0.5}
    async with (
        running(settings, **changes) as api,
        client_for(api, raise_app_exceptions=False) as client,
    ):
        assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            assert_unavailable(await bounded(client.post("/api/v1/tips", json=payload())))
            assert (await client.get("/api/v1/categories")).status_code == 200  # reads go on
            assert (await client.get("/readyz")).status_code == 200
            job = jobs.Job("faults_locked", write_job)
            with pytest.raises(DBAPIError):
                await bounded(
                    jobs.run_job(
                        api.state.sessionmaker, job, settings=api.state.settings, holder="a"
                    )
                )
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert (await client.post("/api/v1/tips", json=payload())).status_code == 201
        result = await jobs.run_job(
            api.state.sessionmaker, job, settings=api.state.settings, holder="a"
        )
        assert result == "ok: 1"
