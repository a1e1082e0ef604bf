"""Webhooks: subscriptions, signed deliveries to a real local receiver, retries, dead
letters, redelivery, and concurrent workers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import background
from app.audit.models import AuditEntry
from app.core.time import utcnow
from app.integration import webhooks, worker
from app.integration.models import WebhookDelivery
from app.integration.worker import deliver_due, http_client, sync_feed
from tests.accounts.helpers import auth_headers, make_api_key, make_user
from tests.integration.helpers import BA_DINH_UNIT, HANOI, HCMC, event_row, make_tip
from tests.integration.receiver import running_receiver
from tests.tips.helpers import TIPS, identified, payload

HOOKS = "/api/v1/webhooks"
SECRET = "s3cret-for-tests-0123456789"


@pytest.fixture
def receiver():
    with running_receiver() as r:
        yield r


def verify(secret: str, received) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["x-tinbao-signature"], expected)


async def subscribe(client, headers, url, events=("tip.created",), **extra):
    r = await client.post(
        HOOKS, json={"url": url, "events": list(events), **extra}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def work(app, *, now=None, worker_id=None):
    """One worker pass: sequence the feed, then attempt what is due."""
    await sync_feed(app.state.sessionmaker)
    async with http_client() as http:
        return await deliver_due(
            app.state.sessionmaker,
            settings=app.state.settings,
            cipher=app.state.cipher,
            http=http,
            now=now,
            worker_id=worker_id,
        )


async def deliveries(db):
    db.expire_all()
    return (await db.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars().all()


# --- subscriptions ------------------------------------------------------------------------


async def test_create_list_delete(client, db, app):
    admin = await make_user(db, role="admin")
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    hanoi_supervisor = await make_user(db, role="province_supervisor", province_code=HANOI)

    everywhere = await subscribe(client, auth_headers(app, admin), "https://dash.example.vn/a")
    given = await subscribe(
        client,
        auth_headers(app, supervisor),
        "https://dash.example.vn/b",
        events=["tip.status_changed", "tip.created", "tip.created"],
        secret=SECRET,
    )

    assert len(everywhere["secret"]) >= 32 and everywhere["province_code"] is None
    assert given["secret"] == SECRET and given["province_code"] == HCMC
    assert given["events"] == ["tip.created", "tip.status_changed"]
    admin_list = (await client.get(HOOKS, headers=auth_headers(app, admin))).json()
    own_list = (await client.get(HOOKS, headers=auth_headers(app, supervisor))).json()
    assert sorted(w["id"] for w in admin_list["items"]) == sorted([everywhere["id"], given["id"]])
    assert [w["id"] for w in own_list["items"]] == [given["id"]]
    assert all("secret" not in w for w in admin_list["items"])
    # The secret is stored encrypted, not in clear.
    stored = await db.execute(select(webhooks.WebhookSubscription.secret_ciphertext))
    assert all(SECRET.encode() not in blob for blob in stored.scalars())

    foreign = await client.delete(
        f"{HOOKS}/{given['id']}", headers=auth_headers(app, hanoi_supervisor)
    )
    supervisor_on_admins = await client.delete(
        f"{HOOKS}/{everywhere['id']}", headers=auth_headers(app, supervisor)
    )
    deleted = await client.delete(f"{HOOKS}/{given['id']}", headers=auth_headers(app, supervisor))
    again = await client.delete(f"{HOOKS}/{given['id']}", headers=auth_headers(app, supervisor))

    assert (foreign.status_code, supervisor_on_admins.status_code) == (404, 404)
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert (await client.get(HOOKS, headers=auth_headers(app, supervisor))).json()["items"] == []
    actions = (await db.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("webhook.created") == 2 and actions.count("webhook.deleted") == 1


async def test_only_admins_and_supervisors_manage_webhooks(client, db, app):
    analyst = await make_user(db, role="analyst", province_code=HCMC)
    officer = await make_user(db, role="officer", unit_code="CAX-26740")
    _, key = await make_api_key(db, app, role="analyst", province_code=HCMC)
    body = {"url": "https://dash.example.vn/", "events": ["tip.created"]}

    assert (await client.post(HOOKS, json=body)).status_code == 401
    for headers in (auth_headers(app, analyst), auth_headers(app, officer), {"X-API-Key": key}):
        assert (await client.post(HOOKS, json=body, headers=headers)).status_code == 403
        assert (await client.get(HOOKS, headers=headers)).status_code == 403
        assert (await client.get(f"{HOOKS}/dead-letters", headers=headers)).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://dash.example.vn/", "events": ["tip.created"]}, "url"),
        ({"url": "not a url", "events": ["tip.created"]}, "url"),
        ({"url": "http://[::1/hook", "events": ["tip.created"]}, "url"),
        ({"url": "http://dash.example.vn:99999/", "events": ["tip.created"]}, "url"),
        ({"url": "http://dash.exa mple.vn/", "events": ["tip.created"]}, "url"),
        ({"url": "http://dash.example.vn/\r\nX-Evil: 1", "events": ["tip.created"]}, "url"),
        ({"url": "https://:443/", "events": ["tip.created"]}, "url"),
        ({"url": "https://dash.example.vn/", "events": ["tip.exploded"]}, "events"),
        ({"url": "https://dash.example.vn/", "events": ["tip.note_added"]}, "events"),
        ({"url": "https://dash.example.vn/", "events": []}, "events"),
        (
            {"url": "https://dash.example.vn/", "events": ["tip.created"], "secret": "short"},
            "secret",
        ),
        (
            {"url": "https://dash.example.vn/", "events": ["tip.created"], "province_code": "99"},
            "province_code",
        ),
    ],
)
async def test_invalid_subscriptions(client, db, app, body, field):
    admin = await make_user(db, role="admin")

    r = await client.post(HOOKS, json=body, headers=auth_headers(app, admin))

    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ],
)
async def test_private_targets_refused_unless_allowed(client, db, app, monkeypatch, url):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    monkeypatch.setattr(app.state.settings, "webhook_allow_private", False)

    refused = await client.post(
        HOOKS, json={"url": url, "events": ["tip.created"]}, headers=headers
    )
    public = await client.post(
        HOOKS,
        json={"url": "https://93.184.216.34/hook", "events": ["tip.created"]},
        headers=headers,
    )
    monkeypatch.setattr(app.state.settings, "webhook_allow_private", True)
    allowed = await client.post(
        HOOKS, json={"url": url, "events": ["tip.created"]}, headers=headers
    )

    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
    assert public.status_code == 201
    assert allowed.status_code == 201


async def test_supervisor_cannot_subscribe_to_another_province(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)

    r = await client.post(
        HOOKS,
        json={"url": "https://dash.example.vn/", "events": ["tip.created"], "province_code": HANOI},
        headers=auth_headers(app, supervisor),
    )

    assert r.status_code == 404


# --- deliveries ---------------------------------------------------------------------------


async def test_signed_delivery_of_matching_events(client, db, app, receiver):
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    admin = await make_user(db, role="admin")
    hook = await subscribe(client, auth_headers(app, supervisor), receiver.url, secret=SECRET)
    created = await client.post(TIPS, json=identified())
    hanoi_tip = await make_tip(db, unit=BA_DINH_UNIT)
    db.add_all([event_row(hanoi_tip), event_row(hanoi_tip, "tip.status_changed")])
    await db.commit()

    attempted = await work(app)

    assert attempted == 1
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert verify(SECRET, got)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-tinbao-event"] == "tip.created"
    event = json.loads(got.body)
    assert (event["type"], event["tip_id"]) == ("tip.created", created.json()["id"])
    assert event["data"]["reference"] == created.json()["reference"]
    assert "Nguyễn Văn A" not in got.body.decode()
    # The body is the feed item itself.
    feed = (await client.get("/api/v1/events", headers=auth_headers(app, admin))).json()
    assert event in feed["items"]
    rows = await deliveries(db)
    assert [(d.subscription_id, d.status, d.attempts) for d in rows] == [
        (hook["id"], "delivered", 1)
    ]
    assert str(rows[0].id) == got.headers["x-tinbao-delivery"]
    # Nothing more to do.
    assert await work(app) == 0 and len(receiver.requests) == 1


async def test_in_process_worker_delivers(client, db, app, receiver):
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), receiver.url, secret=SECRET)
    background.start(app)  # the one runner, as app.lifecycle starts it
    try:
        created = await client.post(TIPS, json=payload())
        await asyncio.to_thread(receiver.wait_for, 1, 120.0)
    finally:
        await background.stop(app)

    assert json.loads(receiver.requests[0].body)["tip_id"] == created.json()["id"]
    assert verify(SECRET, receiver.requests[0])


async def test_failures_are_retried_then_dead_lettered_then_redelivered(
    client, db, app, receiver, monkeypatch
):
    monkeypatch.setattr(app.state.settings, "webhook_max_attempts", 3)
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)
    hanoi_supervisor = await make_user(db, role="province_supervisor", province_code=HANOI)
    headers = auth_headers(app, supervisor)
    hanoi_headers = auth_headers(app, hanoi_supervisor)
    await subscribe(client, headers, receiver.url, secret=SECRET)
    await client.post(TIPS, json=payload())
    receiver.status = 500
    await sync_feed(app.state.sessionmaker)

    t0 = utcnow()
    await work(app, now=t0)
    (first,) = await deliveries(db)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
    first_retry = first.next_attempt_at.replace(tzinfo=t0.tzinfo) - t0
    await work(app, now=t0 + timedelta(seconds=1))  # not due yet: nothing happens
    assert len(receiver.requests) == 1
    await work(app, now=t0 + first_retry)
    (second,) = await deliveries(db)
    assert (second.status, second.attempts) == ("pending", 2)
    second_retry = second.next_attempt_at.replace(tzinfo=t0.tzinfo) - (t0 + first_retry)
    await work(app, now=t0 + first_retry + second_retry)
    (dead,) = await deliveries(db)

    assert timedelta(0) < first_retry <= timedelta(seconds=10)
    assert second_retry > first_retry  # exponential backoff
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1  # the same body every time
    assert all(verify(SECRET, r) for r in receiver.requests)
    assert await work(app, now=t0 + timedelta(days=1)) == 0  # dead letters are not retried

    listed = await client.get(f"{HOOKS}/dead-letters", headers=headers)
    foreign_list = await client.get(f"{HOOKS}/dead-letters", headers=hanoi_headers)
    assert [d["id"] for d in listed.json()["items"]] == [dead.id]
    assert listed.json()["items"][0]["last_error"] == "HTTP 500"
    assert foreign_list.json()["items"] == []

    foreign = await client.post(f"{HOOKS}/dead-letters/{dead.id}/redeliver", headers=hanoi_headers)
    assert foreign.status_code == 404
    receiver.status = 204
    redelivered = await client.post(f"{HOOKS}/dead-letters/{dead.id}/redeliver", headers=headers)
    assert redelivered.status_code == 202
    assert (redelivered.json()["status"], redelivered.json()["attempts"]) == ("pending", 0)
    assert await work(app) == 1
    (done,) = await deliveries(db)
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 1, 204)
    assert len(receiver.requests) == 4 and verify(SECRET, receiver.requests[-1])
    not_dead = await client.post(f"{HOOKS}/dead-letters/{dead.id}/redeliver", headers=headers)
    assert (not_dead.status_code, not_dead.json()["code"]) == (409, "conflict")
    assert (await client.get(f"{HOOKS}/dead-letters", headers=headers)).json()["items"] == []


async def test_unreachable_target_is_a_failure(client, db, app):
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), "http://127.0.0.1:9/closed")
    await client.post(TIPS, json=payload())

    await work(app)

    (delivery,) = await deliveries(db)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error and delivery.last_status_code is None


async def test_private_target_checked_again_at_delivery(client, db, app, receiver, monkeypatch):
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), receiver.url)
    await client.post(TIPS, json=payload())
    monkeypatch.setattr(app.state.settings, "webhook_allow_private", False)

    await work(app)

    (delivery,) = await deliveries(db)
    assert receiver.requests == []
    assert delivery.attempts == 1 and "private" in (delivery.last_error or "")


async def test_deleting_a_subscription_cancels_its_deliveries(client, db, app, receiver):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    hook = await subscribe(client, headers, receiver.url)
    await client.post(TIPS, json=payload())
    await sync_feed(app.state.sessionmaker)

    assert (await client.delete(f"{HOOKS}/{hook['id']}", headers=headers)).status_code == 204
    await work(app)

    (delivery,) = await deliveries(db)
    assert delivery.status == "cancelled"
    assert receiver.requests == []


async def test_a_leased_delivery_is_not_claimed_twice(client, db, app, receiver):
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), receiver.url)
    await client.post(TIPS, json=payload())
    await sync_feed(app.state.sessionmaker)
    now = utcnow()

    async with app.state.sessionmaker() as session:
        first = await webhooks.claim_due(session, worker_id="a", now=now, limit=10)
        await session.commit()
    async with app.state.sessionmaker() as session:
        second = await webhooks.claim_due(session, worker_id="b", now=now, limit=10)
        await session.commit()
    async with app.state.sessionmaker() as session:
        after_lease = await webhooks.claim_due(
            session,
            worker_id="c",
            now=now + timedelta(seconds=webhooks.LEASE_SECONDS + 1),
            limit=10,
        )
        await session.commit()

    assert len(first) == 1 and second == []
    assert after_lease == first  # a crashed worker's lease runs out


async def test_a_claim_takes_no_more_than_its_limit(client, db, app, receiver):
    """On PostgreSQL a claim written as ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR
    UPDATE SKIP LOCKED)`` was planned as a nested loop that rescanned the subquery for every
    row, each rescan skipping what the UPDATE had just leased: one claim took all 30."""
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), receiver.url)
    tips = [await make_tip(db) for _ in range(30)]
    db.add_all([event_row(tip, "tip.created") for tip in tips])
    await db.commit()
    await sync_feed(app.state.sessionmaker)

    async with app.state.sessionmaker() as session:
        claimed = await webhooks.claim_due(session, worker_id="a", now=utcnow(), limit=3)
        await session.commit()

    assert len(claimed) == 3
    assert len([d for d in await deliveries(db) if d.leased_by == "a"]) == 3


async def test_two_concurrent_workers_deliver_each_event_once(client, db, app, receiver):
    admin = await make_user(db, role="admin")
    await subscribe(
        client, auth_headers(app, admin), receiver.url, events=["tip.created", "tip.status_changed"]
    )
    tips = [await make_tip(db) for _ in range(5)]
    db.add_all(
        [
            event_row(tip, t)
            for _ in range(3)
            for tip in tips
            for t in ("tip.created", "tip.status_changed")
        ]
    )
    await db.commit()
    await sync_feed(app.state.sessionmaker)
    receiver.delay = 0.01  # keep requests in flight while the other worker claims

    async def run(worker_id: str) -> int:
        """Small batches, so that the workers' claims interleave many times."""
        total = 0
        async with http_client() as http:
            while attempted := await deliver_due(
                app.state.sessionmaker,
                settings=app.state.settings,
                cipher=app.state.cipher,
                http=http,
                worker_id=worker_id,
                limit=3,
            ):
                total += attempted
        return total

    counts = await asyncio.gather(run("worker-1"), run("worker-2"), run("worker-3"))

    delivery_ids = [r.headers["x-tinbao-delivery"] for r in receiver.requests]
    assert all(counts), counts  # every worker took part
    assert sum(counts) == 30 == len(delivery_ids) == len(set(delivery_ids))
    assert all(d.status == "delivered" and d.attempts == 1 for d in await deliveries(db))
    positions = sorted(json.loads(r.body)["id"] for r in receiver.requests)
    assert positions == list(range(1, 31))


async def test_standalone_worker_run(client, db, app, receiver):
    """What `tinbao webhooks deliver` runs: the runner with its own engine, one pass of the
    webhook outbox only."""
    admin = await make_user(db, role="admin")
    await subscribe(client, auth_headers(app, admin), receiver.url, secret=SECRET)
    await client.post(TIPS, json=payload())

    result = await background.run_standalone(
        app.state.settings, forever=False, jobs=(), outboxes=[worker.WEBHOOKS]
    )

    assert result == {"webhooks": "attempted: 1"} and len(receiver.requests) == 1
    assert verify(SECRET, receiver.requests[0])


async def test_events_before_a_subscription_are_not_delivered_to_it(client, db, app, receiver):
    """An event written before the subscription but sequenced after it is history (the
    feed has it): the new subscription is sent only what happens from its creation on."""
    admin = await make_user(db, role="admin")
    before = await client.post(TIPS, json=payload())  # not yet sequenced: no worker ran
    await subscribe(client, auth_headers(app, admin), receiver.url, secret=SECRET)
    after = await client.post(TIPS, json=payload())

    assert await work(app) == 1
    assert [json.loads(r.body)["tip_id"] for r in receiver.requests] == [after.json()["id"]]
    feed = (await client.get("/api/v1/events", headers=auth_headers(app, admin))).json()
    assert before.json()["id"] in {item["tip_id"] for item in feed["items"]}
