"""Webhook targets: IPv6 forms that wrap internal IPv4 addresses are refused, and a delivery
goes to the address that was checked, so DNS rebinding between check and connect fails."""

from __future__ import annotations

import socket
from typing import Any

import anyio
import anyio._core._sockets
import pytest
from sqlalchemy import select

from app.integration import targets
from app.integration.models import WebhookDelivery
from app.integration.worker import deliver_due, http_client, sync_feed
from tests.accounts.helpers import auth_headers, make_user
from tests.integration.receiver import running_receiver
from tests.tips.helpers import TIPS, payload

HOOKS = "/api/v1/webhooks"
PORT = 27111  # within this helper's port range; both receivers listen on it


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 of 10.0.0.1
        "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:10a::]/hook",  # 6to4 of 192.168.1.10
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::a00:1]/hook",  # IPv4-compatible 10.0.0.1
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
        "http://[::ffff:a9fe:a9fe]/hook",  # IPv4-mapped 169.254.169.254
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo
    ],
)
async def test_ipv6_wrapping_internal_ipv4_is_refused(client, db, app, monkeypatch, url):
    admin = await make_user(db, role="admin")
    monkeypatch.setattr(app.state.settings, "webhook_allow_private", False)
    r = await client.post(
        HOOKS, json={"url": url, "events": ["tip.created"]}, headers=auth_headers(app, admin)
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:2800:220:1::1"]
)
def test_public_addresses_and_public_wrapped_ones_pass(address):
    assert targets.is_public(address)


@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver for ``rebind.test`` that first answers 127.0.0.1 and afterwards 127.0.0.2,
    as an attacker's DNS with a zero TTL would; other names resolve as usual. It answers
    both TinBáo's check and any connection that resolves the name itself (httpcore via anyio).
    For the test, 127.0.0.1 plays a public server and 127.0.0.2 the internal one."""
    real = anyio._core._sockets.getaddrinfo
    calls: list[str] = []

    async def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return await real(host, port, *args, **kwargs)
        calls.append(host)
        address = "127.0.0.1" if len(calls) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    real_is_public = targets.is_public
    monkeypatch.setattr(anyio, "getaddrinfo", resolver)
    monkeypatch.setattr(anyio._core._sockets, "getaddrinfo", resolver)
    monkeypatch.setattr(targets, "is_public", lambda a: str(a) == "127.0.0.1" or real_is_public(a))
    return calls


async def test_dns_rebinding_between_check_and_connect_is_impossible(
    client, db, app, monkeypatch, rebinding_dns
):
    admin = await make_user(db, role="admin")
    url = f"http://rebind.test:{PORT}/hooks/tinbao"
    with (
        running_receiver("127.0.0.1", PORT) as public,
        running_receiver("127.0.0.2", PORT) as internal,
    ):
        created = await client.post(
            HOOKS, json={"url": url, "events": ["tip.created"]}, headers=auth_headers(app, admin)
        )
        assert created.status_code == 201, created.text  # allowed in development: no lookup
        monkeypatch.setattr(app.state.settings, "webhook_allow_private", False)
        await client.post(TIPS, json=payload())
        await sync_feed(app.state.sessionmaker)
        async with http_client() as http:
            attempted = await deliver_due(
                app.state.sessionmaker,
                settings=app.state.settings,
                cipher=app.state.cipher,
                http=http,
            )
    assert attempted == 1
    assert internal.requests == []  # the rebound address was never contacted
    assert len(public.requests) == 1  # the checked one was
    assert public.requests[0].headers["host"] == f"rebind.test:{PORT}"
    assert rebinding_dns == ["rebind.test"]  # resolved once, for the check
    db.expire_all()
    (delivery,) = (await db.scalars(select(WebhookDelivery))).all()
    assert delivery.status == "delivered"


async def test_disabled_users_webhooks_are_not_delivered(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    admin = await make_user(db, role="admin")
    with running_receiver() as receiver:
        hook = await client.post(
            HOOKS,
            json={"url": receiver.url, "events": ["tip.created"]},
            headers=auth_headers(app, supervisor),
        )
        assert hook.status_code == 201
        await client.post(TIPS, json=payload())  # queued while the owner is enabled
        await sync_feed(app.state.sessionmaker)
        disabled = await client.patch(
            f"/api/v1/users/{supervisor.id}",
            json={"disabled": True},
            headers=auth_headers(app, admin),
        )
        assert disabled.status_code == 200
        await client.post(TIPS, json=payload())  # while disabled
        await sync_feed(app.state.sessionmaker)
        async with http_client() as http:
            attempted = await deliver_due(
                app.state.sessionmaker,
                settings=app.state.settings,
                cipher=app.state.cipher,
                http=http,
            )
    assert attempted == 0
    assert receiver.requests == []
    db.expire_all()
    rows = (await db.scalars(select(WebhookDelivery))).all()
    assert [r.status for r in rows] == ["pending"]  # none written while disabled; none sent
