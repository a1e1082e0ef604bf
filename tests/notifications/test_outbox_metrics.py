"""``tinbao_outbox_pending{kind}`` in /metrics: notices by channel and webhook deliveries not
yet settled, counted from the database (cached a few seconds), back to 0 once delivered."""

from __future__ import annotations

import re

from app import background
from app.integration.worker import sync_feed
from tests.accounts.helpers import auth_headers, make_user
from tests.integration.receiver import running_receiver
from tests.notifications.helpers import deliveries, run_worker, with_settings
from tests.notifications.peers import http_peer
from tests.triage.helpers import make_staff, submit


async def _pending(client) -> dict[str, float]:
    background.PENDING.invalidate()
    text = (await client.get("/metrics")).text
    return {
        kind: float(value)
        for kind, value in re.findall(
            r'^tinbao_outbox_pending\{kind="([a-z_]+)"\} (\S+)$', text, re.M
        )
    }


async def test_outbox_pending_by_kind(app, client, db):
    staff = await make_staff(db, app)
    r = await client.patch(
        "/api/v1/auth/me",
        json={"phone": "0912345678", "notify_channels": ["sms"]},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200
    admin = await make_user(db, role="admin")
    with http_peer("/sms") as gateway, running_receiver() as receiver:
        hook = await client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["tip.created"]},
            headers=auth_headers(app, admin),
        )
        assert hook.status_code == 201, hook.text
        settings = with_settings(
            app, sms_gateway_url=gateway.url, sms_gateway_secret="gateway-secret-0123456789"
        )
        for _ in range(3):
            await submit(client)
        from app.notifications import worker

        await worker.expand_all(app.state.sessionmaker, settings=settings, cipher=app.state.cipher)
        await sync_feed(app.state.sessionmaker)
        assert len(await deliveries(db, channel="sms")) == 3

        pending = await _pending(client)
        assert pending.get("sms") == 3 and pending.get("webhook") == 3

        # Cached: a second scrape at once does not count again.
        await run_worker(app, settings=settings)
        text = (await client.get("/metrics")).text
        assert 'tinbao_outbox_pending{kind="sms"} 3.0' in text

        await background.run_standalone(
            settings, forever=False, jobs=(), outboxes=background.OUTBOXES
        )
        pending = await _pending(client)
        assert pending.get("sms") == 0 and pending.get("webhook") == 0
        assert len(receiver.requests) == 3 and len(gateway.requests) == 3
