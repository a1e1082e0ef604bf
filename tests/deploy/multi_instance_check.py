"""The production topology on loopback: three instances (`tinbao serve --workers 2`, each
started the way the image starts: migrate, load reference data, serve) behind a real nginx,
one PostgreSQL database, one Redis. Run by `make test-deploy` (not `make test`; it needs
PostgreSQL, Redis and nginx, and takes a few minutes).

It shows, in order: three instances starting together on an empty database run one
migration; per-client rate limits hold across instances and per real client behind nginx;
scheduled jobs, webhook delivery and e-mail notices (to a real SMTP server, aiosmtpd with
STARTTLS) run once with six workers competing; a rolling restart
under steady intake loses no request and no tip; an instance whose database is cut turns
/readyz red and nginx moves its traffic to the others.
"""

from __future__ import annotations

import asyncio
import collections
import email
import email.policy
import json
import os
import secrets
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from app.core.config import driver_url
from tests.conftest import TEST_DATA_KEY
from tests.deploy.instance import Instance, base_env
from tests.deploy.nginx import Nginx, proxy_site
from tests.deploy.ports import free_port
from tests.hardening.proxy import CuttableProxy
from tests.notifications.peers import self_signed
from tests.tips.helpers import payload

ADMIN_PASSWORD = "Deploy-check-" + secrets.token_urlsafe(12)
INTAKE_LIMIT = 20


def _postgres_base() -> tuple[str, str]:
    url = os.environ.get("TINBAO_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.fail("the deployment test needs TINBAO_TEST_DATABASE_URL (PostgreSQL)")
    base, _, name = url.rpartition("/")
    return base, name


@pytest.fixture
def empty_postgres() -> Any:
    base, name = _postgres_base()
    database = f"{name}_deploy"
    admin = create_engine(
        driver_url(f"{base}/postgres", async_=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    yield f"{base}/{database}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_url() -> Any:
    url = os.environ.get("TINBAO_TEST_REDIS_URL")
    if not url:
        pytest.fail("the deployment test needs TINBAO_TEST_REDIS_URL")
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


class SmtpReceiver:
    """A real SMTP server (aiosmtpd, STARTTLS required) in a thread of this process: keeps
    every message it is given."""

    def __init__(self, port: int, cert: Path, key: Path) -> None:
        self.port = port
        self.messages: list[bytes] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._controller = Controller(
            self, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
        )
        self._controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"

    def notices(self) -> list[tuple[str, str]]:
        """(X-TinBao-Notice, text) of every message received."""
        parsed = [email.message_from_bytes(m, policy=email.policy.default) for m in self.messages]
        return [(str(m["X-TinBao-Notice"]), m.get_body().get_content()) for m in parsed]

    def stop(self) -> None:
        self._controller.stop()


def smtp_receiver(directory: Path) -> tuple[SmtpReceiver, Path]:
    cert, key = self_signed(directory)
    return SmtpReceiver(free_port(), cert, key), cert


class Receiver:
    """A webhook target: records every delivery body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            self.bodies.append(await reader.readexactly(length))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()


def client_from(address: str, base_url: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60)


async def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def deployment(
    empty_postgres: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    pg_host, pg_port = "127.0.0.1", 5432
    cut_proxy = CuttableProxy(pg_host, pg_port)
    cut_proxy.port = free_port()
    await cut_proxy.start()
    receiver = Receiver(free_port())
    await receiver.start()
    mailbox, smtp_ca = smtp_receiver(tmp_path)
    ports = [free_port() for _ in range(3)]
    nginx_port = free_port()
    instances = []
    for number, port in enumerate(ports, start=1):
        database_url = empty_postgres
        if number == 3:  # the instance whose database will be cut
            database_url = empty_postgres.replace(
                f"{pg_host}:{pg_port}", f"127.0.0.1:{cut_proxy.port}"
            )
        env = base_env(
            TINBAO_DATABASE_URL=database_url,
            TINBAO_REDIS_URL=redis_url,
            TINBAO_TRUSTED_PROXIES="127.0.0.1/32",
            TINBAO_SECRET_KEY="deploy-secret-key-0123456789abcdef",
            TINBAO_RECEIPT_KEY="deploy-receipt-key-0123456789abcdef",
            TINBAO_DATA_KEYS=TEST_DATA_KEY,
            TINBAO_MEDIA_DIR=str(tmp_path / "media"),
            TINBAO_VAR_DIR=str(tmp_path / f"var{number}"),
            TINBAO_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
            TINBAO_SCHEDULER_INTERVAL_SECONDS="1",
            # Per hour: the limit is a fixed window, and 21 requests on a loaded machine may
            # straddle a minute's boundary (the 21st then lands in a fresh window).
            TINBAO_RATE_LIMIT_INTAKE=f"{INTAKE_LIMIT}/hour",
            # A loaded test machine answers Redis slowly: past the default timeout each worker
            # falls back to its own memory and the shared limit is not what is tested.
            TINBAO_REDIS_TIMEOUT_MS="2000",
            TINBAO_LOG_FORMAT="json",
            TINBAO_SMTP_URL=f"smtp://127.0.0.1:{mailbox.port}?starttls=require",
            TINBAO_SMTP_CA_FILE=str(smtp_ca),
        )
        instances.append(Instance(f"app{number}", port, env, tmp_path))
    nginx = Nginx(tmp_path / "nginx", proxy_site(nginx_port, ports, retry_post=True), nginx_port)
    # All three start together on the empty database, as the image's CMD does.
    # (Blocking waits run in threads: instance 3 reaches PostgreSQL through this loop.)
    starters = [instance.spawn("migrate") for instance in instances]
    migrations = await asyncio.to_thread(lambda: [p.communicate(timeout=300)[0] for p in starters])
    try:
        assert all(p.returncode == 0 for p in starters), migrations
        loads = await asyncio.gather(
            *(asyncio.to_thread(i.command, "load-reference-data") for i in instances)
        )
        for loaded in loads:
            assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        for instance in instances:
            instance.start()
        for instance in instances:
            await asyncio.to_thread(instance.wait_ready, 180)
        await asyncio.to_thread(nginx.start)
        yield {
            "instances": instances,
            "nginx": nginx,
            "migrations": migrations,
            "cut_proxy": cut_proxy,
            "receiver": receiver,
            "mailbox": mailbox,
            "database_url": empty_postgres,
        }
    finally:
        nginx.stop()
        for instance in instances:
            instance.stop()
        await cut_proxy.close()
        await receiver.close()
        mailbox.stop()


def stored_references(database_url: str) -> set[str]:
    engine = create_engine(driver_url(database_url, async_=False))
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT reference FROM tips")).scalars())
    finally:
        engine.dispose()


def sql(database_url: str, statement: str, **params: Any) -> list[Any]:
    engine = create_engine(driver_url(database_url, async_=False))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


async def test_three_instances_behind_nginx(deployment: dict[str, Any]) -> None:
    instances: list[Instance] = deployment["instances"]
    nginx: Nginx = deployment["nginx"]
    db_url: str = deployment["database_url"]

    # 1. One migration ran; the two others waited for it and found nothing to do.
    outputs = deployment["migrations"]
    assert sum("migrated: empty database ->" in o for o in outputs) == 1, outputs
    assert sum("nothing to do" in o for o in outputs) == 2, outputs

    # 2. Rate limits per real client, shared by every instance (Redis) behind nginx.
    async with (
        client_from("127.0.0.2", nginx.url) as first,
        client_from("127.0.0.3", nginx.url) as second,
    ):
        for _ in range(INTAKE_LIMIT):
            r = await first.post("/api/v1/tips", json=payload())
            assert r.status_code == 201, r.text
        assert (await first.post("/api/v1/tips", json=payload())).status_code == 429
        assert (await second.post("/api/v1/tips", json=payload())).status_code == 201
    served = [i.output().count('"route": "/api/v1/tips"') for i in instances]
    assert sum(1 for n in served if n) >= 2, served  # the bucket held across instances

    await _jobs_and_deliveries_run_once(deployment)
    await _rolling_restart_loses_nothing(instances, nginx, db_url)
    await _cut_database_moves_traffic(deployment)


async def _jobs_and_deliveries_run_once(deployment: dict[str, Any]) -> None:
    nginx: Nginx = deployment["nginx"]
    receiver: Receiver = deployment["receiver"]
    db_url: str = deployment["database_url"]
    async with client_from("127.0.0.4", nginx.url) as admin:
        form = {"username": "admin", "password": ADMIN_PASSWORD}
        r = await admin.post("/api/v1/auth/token", data=form)
        assert r.status_code == 200, r.text
        admin.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        await _lead_reading_email(admin, nginx.url)  # before the webhook: its tip is not sent
        hook = {
            "url": f"http://127.0.0.1:{receiver.port}/hook",
            "events": ["tip.created", "tip.overdue"],
        }
        r = await admin.post("/api/v1/webhooks", json=hook)
        assert r.status_code == 201, r.text
        references = []
        for _ in range(5):
            r = await admin.post("/api/v1/tips", json=payload())
            assert r.status_code == 201, r.text
            references.append(r.json()["reference"])
    sql(
        db_url,
        "UPDATE tips SET due_at = now() - interval '1 hour' WHERE reference = ANY(:refs)",
        refs=references,
    )

    def overdue_events() -> dict[str, int]:
        rows = sql(
            db_url,
            "SELECT t.reference, count(*) FROM tip_events e JOIN tips t ON t.id = e.tip_id "
            "WHERE e.type = 'tip.overdue' AND t.reference = ANY(:refs) GROUP BY t.reference",
            refs=references,
        )
        return {str(ref): int(n) for ref, n in rows}

    def delivered() -> collections.Counter[str]:
        counts: collections.Counter[str] = collections.Counter()
        for body in receiver.bodies:
            event = json.loads(body)
            counts[json.dumps(event, sort_keys=True)] += 1
        return counts

    mailbox: SmtpReceiver = deployment["mailbox"]

    def mails() -> list[tuple[str, str]]:
        """(notice id, reference) of every e-mail about these tips."""
        return [
            (notice, ref) for notice, body in mailbox.notices() for ref in references if ref in body
        ]

    async def all_seen() -> bool:
        types = [json.loads(b).get("type") for b in receiver.bodies]
        return (
            len(overdue_events()) == 5
            and types.count("tip.overdue") >= 5
            and len(mails()) >= 10  # tip.new and tip.overdue to the lead, per tip
        )

    await wait_for(all_seen, 90, "five tip.overdue events and their deliveries")
    # Let the workers' schedulers run the job several more times: still exactly one of each.
    first = _last_run(db_url)

    async def later_rounds() -> bool:
        return (_last_run(db_url) - first).total_seconds() >= 3

    await wait_for(later_rounds, 60, "more emit_overdue rounds")
    assert overdue_events() == dict.fromkeys(references, 1)
    counts = delivered()
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    types = collections.Counter(json.loads(k).get("type") for k in counts)
    assert types["tip.overdue"] == 5 and types["tip.created"] == 5, types
    # Each notice arrived exactly once: two per tip, none twice.
    notices = mails()
    assert len(notices) == len({notice for notice, _ in notices}) == 10, notices
    assert collections.Counter(ref for _, ref in notices) == dict.fromkeys(references, 2)
    sent = sql(
        db_url,
        "SELECT d.status, count(*) FROM notification_deliveries d JOIN tips t ON t.id = d.tip_id "
        "WHERE t.reference = ANY(:refs) GROUP BY d.status",
        refs=references,
    )
    assert dict(sent) == {"delivered": 10}, sent


async def _lead_reading_email(admin: httpx.AsyncClient, base_url: str) -> None:
    """A lead of the unit the tips go to, who asked for notices by e-mail."""
    r = await admin.post("/api/v1/tips", json=payload())
    assert r.status_code == 201, r.text
    r = await admin.get(f"/api/v1/tips/{r.json()['id']}")
    assert r.status_code == 200, r.text
    unit = r.json()["assigned_unit"]["code"]
    first, password = (
        "Lead-first-" + secrets.token_urlsafe(9),
        "Lead-own-" + secrets.token_urlsafe(9),
    )
    user = {
        "username": "deploy_lead",
        "password": first,
        "full_name": "Trưởng Đơn Vị",
        "role": "unit_lead",
        "unit_code": unit,
    }
    r = await admin.post("/api/v1/users", json=user)
    assert r.status_code == 201, r.text
    async with client_from("127.0.0.6", base_url) as lead:
        r = await lead.post(
            "/api/v1/auth/token", data={"username": "deploy_lead", "password": first}
        )
        assert r.status_code == 200, r.text
        lead.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        change = {"current_password": first, "new_password": password}
        r = await lead.post("/api/v1/auth/password", json=change)
        assert r.status_code in (200, 204), r.text
        form = {"username": "deploy_lead", "password": password}
        r = await lead.post("/api/v1/auth/token", data=form)
        assert r.status_code == 200, r.text
        lead.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        prefs = {"email": "lead@congan.example", "notify_channels": ["email"], "locale": "vi"}
        r = await lead.patch("/api/v1/auth/me", json=prefs)
        assert r.status_code == 200, r.text


def _last_run(db_url: str) -> Any:
    rows = sql(db_url, "SELECT last_run_at FROM job_locks WHERE name = 'emit_overdue'")
    return rows[0][0]


async def _rolling_restart_loses_nothing(
    instances: list[Instance], nginx: Nginx, db_url: str
) -> None:
    acknowledged: dict[str, str] = {}  # Idempotency-Key -> reference
    failures: list[str] = []
    stop = asyncio.Event()
    counter = iter(range(10**6))

    async def intake(worker: int) -> None:
        # Each client address stays under the per-client limit.
        while not stop.is_set():
            n = next(counter)
            address = f"127.0.{10 + n // (INTAKE_LIMIT - 2)}.{worker + 1}"
            async with client_from(address, nginx.url) as client:
                key = f"deploy-{secrets.token_hex(12)}"
                try:
                    r = await client.post(
                        "/api/v1/tips", json=payload(), headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError as exc:
                    failures.append(type(exc).__name__)
                    continue
                if r.status_code == 201:
                    acknowledged[key] = r.json()["reference"]
                else:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    before = stored_references(db_url)
    loaders = [asyncio.create_task(intake(w)) for w in range(4)]
    try:
        await wait_for(lambda: _at_least(acknowledged, 10), 60, "steady intake")
        for instance in instances:
            code = await asyncio.to_thread(instance.terminate)
            assert code == 0, instance.output()[-2000:]
            instance.start()
            await asyncio.to_thread(instance.wait_ready, 180)
            target = len(acknowledged) + 5
            await wait_for(
                lambda t=target: _at_least(acknowledged, t),
                60,
                "intake after restart",  # type: ignore[misc]
            )
    finally:
        stop.set()
        await asyncio.gather(*loaders)
    assert not failures, failures[:10]
    new = stored_references(db_url) - before
    assert set(acknowledged.values()) <= new, "acknowledged tips are missing"
    assert len(new) == len(acknowledged), (len(new), len(acknowledged))  # no duplicates


async def _at_least(acknowledged: dict[str, str], n: int) -> bool:
    return len(acknowledged) >= n


async def _cut_database_moves_traffic(deployment: dict[str, Any]) -> None:
    instances: list[Instance] = deployment["instances"]
    nginx: Nginx = deployment["nginx"]
    cut_proxy: CuttableProxy = deployment["cut_proxy"]
    await cut_proxy.cut()
    try:
        async with httpx.AsyncClient(base_url=instances[2].url, timeout=30) as direct:
            r = await direct.get("/readyz")
            assert r.status_code == 503, r.text
            assert (await direct.get("/healthz")).status_code == 200  # alive, not ready
        async with client_from("127.0.0.5", nginx.url) as client:
            for _ in range(12):
                r = await client.post(
                    "/api/v1/tips",
                    json=payload(),
                    headers={"Idempotency-Key": f"cut-{secrets.token_hex(12)}"},
                )
                assert r.status_code == 201, r.text
        # No instance answered a gateway error: the one without its database said 503 (not
        # ready) and nginx moved the request on. (Ports in the error log can contain "502".)
        answers = nginx.answers("127.0.0.5")
        assert len(answers) == 12, answers
        assert all(status == 201 for status, _ in answers), answers
        assert not any("502" in tried for _, tried in answers), answers
    finally:
        await cut_proxy.start()
    async with httpx.AsyncClient(base_url=instances[2].url, timeout=30) as direct:

        async def ready_again() -> bool:
            return (await direct.get("/readyz")).status_code == 200

        await wait_for(ready_again, 60, "instance 3 ready again")
