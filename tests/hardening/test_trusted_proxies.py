"""TINBAO_TRUSTED_PROXIES: forwarding headers are believed only from trusted peers (then the
client is the rightmost untrusted address), so rate limits count real clients; through a
real nginx on loopback, two clients get two buckets. Failed logins cannot lock a user out
from another address."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.core.proxies import TrustedProxies, parse_networks
from tests import needs
from tests.accounts.helpers import DEFAULT_PASSWORD, make_user
from tests.deploy.instance import Instance
from tests.deploy.nginx import NGINX, Nginx, proxy_site
from tests.deploy.ports import free_port
from tests.hardening.conftest import client_for, running
from tests.hardening.server import server_env
from tests.hardening.test_rate_limits import assert_rate_limited
from tests.tips.helpers import payload


def test_client_is_the_rightmost_untrusted_address():
    proxies = TrustedProxies(parse_networks(["10.0.0.0/8", "::1/128"]))
    xff = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.5, 10.1.1.1")]
    assert proxies.client("10.0.0.1", xff) == "203.0.113.5"
    assert proxies.client("192.0.2.1", xff) == "192.0.2.1"  # untrusted peer: headers ignored
    fwd = [(b"forwarded", b'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https')]
    assert proxies.client("::1", fwd) == "2001:db8::7"
    assert proxies.client("10.0.0.1", [(b"x-forwarded-for", b"garbage, 10.2.2.2")]) == "10.0.0.1"
    assert proxies.client("10.0.0.1", []) == "10.0.0.1"
    assert TrustedProxies(()).client("10.0.0.1", xff) == "10.0.0.1"  # none trusted by default
    with pytest.raises(ValueError, match="TINBAO_TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "not-a-cidr"])


async def test_headers_from_untrusted_peers_are_ignored(app, settings):
    for trusted in ([], ["10.9.0.0/16"]):
        async with (
            running(settings, rate_limit_intake="2/minute", trusted_proxies=trusted) as api,
            client_for(api, "192.0.2.10") as client,
        ):
            for n in (1, 2):
                headers = {"X-Forwarded-For": f"198.51.100.{n}", "Forwarded": f"for=198.51.100.{n}"}
                r = await client.post("/api/v1/tips", json=payload(), headers=headers)
                assert r.status_code == 201, r.text
            # A third invented address does not buy a new bucket: the peer is the client.
            headers = {"X-Forwarded-For": "198.51.100.3"}
            assert_rate_limited(await client.post("/api/v1/tips", json=payload(), headers=headers))


async def test_trusted_proxy_headers_give_each_client_its_bucket(app, settings):
    async with (
        running(settings, rate_limit_intake="2/minute", trusted_proxies=["10.0.0.0/8"]) as api,
        client_for(api, "10.0.0.1") as proxy,
    ):
        # The client puts a made-up address first; the proxy appends the real one.
        spoofed = {"X-Forwarded-For": "6.6.6.6, 203.0.113.5"}
        for _ in range(2):
            r = await proxy.post("/api/v1/tips", json=payload(), headers=spoofed)
            assert r.status_code == 201
        assert_rate_limited(
            await proxy.post(
                "/api/v1/tips", json=payload(), headers={"X-Forwarded-For": "7.7.7.7, 203.0.113.5"}
            )
        )
        other = {"Forwarded": "for=203.0.113.6;proto=https"}
        assert (await proxy.post("/api/v1/tips", json=payload(), headers=other)).status_code == 201


async def test_failed_logins_do_not_lock_a_user_out_from_elsewhere(app, db, settings):
    user = await make_user(db, role="unit_lead", unit_code="CAX-26740", province_code="79")
    limits = {"rate_limit_login": "3/minute", "rate_limit_login_user": "5/minute"}
    wrong = {"username": user.username, "password": "wrong-password"}
    right = {"username": user.username, "password": DEFAULT_PASSWORD}
    async with (
        running(settings, **limits) as api,
        client_for(api, "198.51.100.66") as stranger,
        client_for(api, "198.51.100.67") as second_stranger,
        client_for(api, "192.0.2.1") as owner,
        client_for(api, "192.0.2.2") as owner_elsewhere,
    ):
        for _ in range(3):
            assert (await stranger.post("/api/v1/auth/token", data=wrong)).status_code == 401
        # The stranger's address is done for this username, even with the right password ...
        assert_rate_limited(await stranger.post("/api/v1/auth/token", data=right))
        # ... the owner, from another address, is not locked out; successes do not count.
        for _ in range(4):
            assert (await owner.post("/api/v1/auth/token", data=right)).status_code == 200
        # The stranger may still try other usernames from that address.
        other = {"username": "someone-else", "password": "x"}
        assert (await stranger.post("/api/v1/auth/token", data=other)).status_code == 401
        # The per-username ceiling (5) is higher and counts every address: 3 + 2 more.
        for _ in range(2):
            r = await second_stranger.post("/api/v1/auth/token", data=wrong)
            assert r.status_code == 401
        assert_rate_limited(await owner_elsewhere.post("/api/v1/auth/token", data=right))


async def test_through_nginx_two_clients_get_two_buckets(app, settings, tmp_path):
    needs.program("nginx", "nginx-light", path=NGINX)  # .ci/run installs it
    app_port, proxy_port = free_port(), free_port()
    env = server_env(
        settings,
        TINBAO_RATE_LIMIT_INTAKE="2/minute",
        TINBAO_TRUSTED_PROXIES="127.0.0.1/32",
        TINBAO_LOG_LEVEL="INFO",
    )
    instance = Instance("app", app_port, env, tmp_path, workers=1)
    instance.start()
    nginx = Nginx(tmp_path / "nginx", proxy_site(proxy_port, [app_port]), proxy_port)
    try:
        await asyncio.to_thread(instance.wait_ready)
        await asyncio.to_thread(nginx.start)

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.AsyncHTTPTransport(local_address=address)
            return httpx.AsyncClient(transport=transport, base_url=nginx.url, timeout=30)

        async with client("127.0.0.2") as first, client("127.0.0.3") as second:
            for _ in range(2):
                r = await first.post("/api/v1/tips", json=payload())
                assert r.status_code == 201, r.text
            # A header the client made up is appended to, not believed.
            r = await first.post(
                "/api/v1/tips", json=payload(), headers={"X-Forwarded-For": "203.0.113.9"}
            )
            assert_rate_limited(r)
            for _ in range(2):
                r = await second.post("/api/v1/tips", json=payload())
                assert r.status_code == 201, r.text
            assert_rate_limited(await second.post("/api/v1/tips", json=payload()))
    finally:
        nginx.stop()
        instance.stop()
