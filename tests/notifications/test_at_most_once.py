"""At most one send per (cause, recipient, channel): two worker processes, and a third one
killed (SIGKILL) between sending and recording."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.notifications import delivery
from app.notifications.models import NotificationDelivery
from tests.conftest import TEST_DATA_KEY
from tests.notifications.helpers import deliveries, with_settings
from tests.notifications.peers import http_peer, json_bodies
from tests.triage.helpers import make_staff, submit

ROOT = Path(__file__).resolve().parents[2]
TIPS = 30


def _worker(settings, gateway_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TINBAO_DATABASE_URL": settings.database_url,
        "TINBAO_SECRET_KEY": settings.secret_key,
        "TINBAO_RECEIPT_KEY": settings.receipt_key,
        "TINBAO_DATA_KEYS": TEST_DATA_KEY,
        "TINBAO_VAR_DIR": str(tmp_path / "var"),
        "TINBAO_MEDIA_DIR": str(tmp_path / "media"),
        "TINBAO_SMS_GATEWAY_URL": gateway_url,
        "TINBAO_SMS_GATEWAY_SECRET": "gateway-secret-0123456789",
        "TINBAO_NOTIFY_RATE_PER_HOUR": "1000",
        "TINBAO_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "notifications", "run-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


async def test_two_workers_and_a_killed_one_send_each_notice_at_most_once(
    app, client, db, tmp_path
):
    import threading

    from app.notifications import worker

    staff = await make_staff(db, app)
    r = await client.patch(
        "/api/v1/auth/me",
        json={"phone": "0912345678", "notify_channels": ["sms"]},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200
    with http_peer("/sms") as gateway:
        settings = with_settings(
            app,
            sms_gateway_url=gateway.url,
            sms_gateway_secret="gateway-secret-0123456789",
            notify_rate_per_hour=1000,
        )
        for _ in range(TIPS):
            await submit(client)
        await worker.expand_all(app.state.sessionmaker, settings=settings, cipher=app.state.cipher)
        assert len(await deliveries(db, status="pending")) == TIPS

        # Worker A claims a batch and sends; the gateway holds every request (it has them),
        # and A is killed before it can record a single outcome.
        gateway.hold = threading.Event()
        victim = _worker(settings, gateway.url, tmp_path)
        try:
            _wait(gateway.arrived.is_set, 60)
        finally:
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
        sent_by_victim = len(gateway.requests)
        assert sent_by_victim >= 1
        gateway.hold.set()
        in_flight = [d.id for d in await deliveries(db, status="sending")]
        assert len(in_flight) >= sent_by_victim

        # Two workers at once drain the rest.
        workers = [_worker(settings, gateway.url, tmp_path) for _ in range(2)]
        try:
            remaining = TIPS - len(in_flight)

            async def settled() -> int:
                db.expire_all()
                return int(
                    await db.scalar(
                        select(func.count())
                        .select_from(NotificationDelivery)
                        .where(NotificationDelivery.status == "delivered")
                    )
                    or 0
                )

            deadline = time.monotonic() + 90
            while await settled() < remaining:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                process.wait(10)

    ids = [body["id"] for body in json_bodies(gateway)]
    assert max(Counter(ids).values()) == 1, "a notice was sent twice"
    victims = {f"notice-{i}" for i in in_flight}
    delivered = {f"notice-{d.id}" for d in await deliveries(db, status="delivered")}
    assert len(delivered) == remaining
    assert set(ids) - victims == delivered  # the others each went out exactly once
    assert len(set(ids) & victims) >= sent_by_victim  # what the killed worker got out
    # The killed worker's sends stay unresolved until their lease runs out; then they are
    # dead-lettered as interrupted, never sent again by themselves.
    async with app.state.sessionmaker() as session:
        later = datetime.now(UTC) + delivery.LEASE + timedelta(seconds=1)
        recovered = await delivery.recover_interrupted(session, now=later)
        # On a loaded machine the draining above may outlast the lease: the live workers then
        # dead-lettered some (or all) already. Either way each ends dead, below, once.
        assert recovered <= len(in_flight)
        await session.commit()
    dead = await deliveries(db, status="dead")
    assert {d.id for d in dead} == set(in_flight)
    assert all(d.last_error.startswith("interrupted") for d in dead)
    assert len(await deliveries(db, status="delivered")) == remaining
