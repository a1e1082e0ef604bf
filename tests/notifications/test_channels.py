"""The three channels against real peers started here: SMTP with STARTTLS (aiosmtpd), an SMS
gateway (HTTP, signed), a Web Push endpoint that checks VAPID and decrypts (RFC 8291)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.notifications.models import NoticeDeliveryStatus
from tests.notifications.helpers import deliveries, inbox_types, run_worker, with_settings
from tests.notifications.peers import (
    PushKeys,
    http_peer,
    json_bodies,
    smtp_server,
    vapid_private_key,
)
from tests.triage.helpers import move, submit

REPORTER_NAME = "Nguyễn Văn A"
DESCRIPTION_WORD = "hẻm 12"


async def _prefs(client, headers, **body):
    r = await client.patch("/api/v1/auth/me", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_email_over_starttls_to_staff_and_reporter(app, client, db, staff, tmp_path):
    with smtp_server(tmp_path) as (box, ca_file):
        settings = with_settings(
            app,
            smtp_url=f"smtp://127.0.0.1:{box.port}?starttls=require",
            smtp_ca_file=ca_file,
            mail_from="TinBáo <thongbao@tinbao.example>",
        )
        await _prefs(
            client,
            staff.headers["lead_a"],
            email="lead.a@congan.example",
            notify_channels=["email"],
            locale="en",
        )
        tip = await submit(
            client,
            anonymous=False,
            reporter={"full_name": REPORTER_NAME, "email": "nguoi.bao@example.vn"},
        )
        r = await client.post(
            f"/api/v1/tips/{tip['id']}/transitions",
            json=move("verifying"),
            headers=staff.headers["officer_a"],
        )
        assert r.status_code == 200, r.text
        await run_worker(app, settings=settings)

    assert len(box.messages) == 2
    assert all(m["tls"] for m in box.messages)  # STARTTLS before any data
    by_to = {m["rcpt_tos"][0]: m for m in box.messages}
    staff_mail = email.message_from_bytes(
        by_to["lead.a@congan.example"]["content"], policy=email.policy.default
    )
    assert staff_mail["Subject"] == f"New tip {tip['reference']}"
    assert staff_mail["Content-Language"] == "en"
    assert staff_mail["Auto-Submitted"] == "auto-generated"
    assert "thongbao@tinbao.example" in staff_mail["From"]
    assert staff_mail["Message-ID"]

    reporter_mail = email.message_from_bytes(
        by_to["nguoi.bao@example.vn"]["content"], policy=email.policy.default
    )
    assert reporter_mail["Content-Language"] == "vi"
    assert tip["reference"] in reporter_mail["Subject"]
    text = reporter_mail.get_content()
    assert "Tin báo đang được xử lý." in text
    assert "mã biên nhận" in text
    for mail in (staff_mail, reporter_mail):
        raw = mail.as_string()
        whole = raw + mail.get_content()
        assert tip["receipt"] not in whole
        assert tip["receipt"].replace("-", "") not in whole
        assert REPORTER_NAME not in whole and "Nguy" not in whole
        assert DESCRIPTION_WORD not in whole.lower()
    rows = await deliveries(db, status=NoticeDeliveryStatus.delivered)
    assert {r.channel for r in rows} == {"email"}


async def test_sms_through_the_signed_gateway(app, client, db, staff):
    with http_peer("/sms") as gateway:
        settings = with_settings(
            app, sms_gateway_url=gateway.url, sms_gateway_secret="gateway-secret-0123456789"
        )
        tip = await submit(client, notify={"phone": "+84 912 345 678"})
        await client.post(
            f"/api/v1/tips/{tip['id']}/transitions",
            json=move("verifying"),
            headers=staff.headers["officer_a"],
        )
        await run_worker(app, settings=settings)
    [request] = gateway.requests
    expected = (
        "sha256=" + hmac.new(b"gateway-secret-0123456789", request.body, hashlib.sha256).hexdigest()
    )
    assert request.headers["x-tinbao-signature"] == expected
    body = json.loads(request.body)
    assert set(body) == {"to", "text", "id"}
    assert body["to"] == "+84 912 345 678"
    assert body["text"].startswith(f"TinBáo {tip['reference']}: Tin báo đang được xử lý.")
    assert tip["receipt"] not in body["text"] and DESCRIPTION_WORD not in body["text"]
    from app.notifications.templates import sms_segments

    assert sms_segments(body["text"])[0] == "ucs2" and sms_segments(body["text"])[1] <= 2


async def test_web_push_with_vapid_decrypts_at_the_endpoint(app, client, db, staff):
    browser = PushKeys.new()
    private = vapid_private_key()
    with http_peer("/push/sub-1") as endpoint:
        settings = with_settings(app, vapid_private_key=private, vapid_subject="mailto:ops@x.vn")
        app.state.settings = settings  # the public-key endpoint reads the app's settings
        r = await client.get("/api/v1/notifications/vapid-public-key")
        assert r.status_code == 200
        server_key = r.json()["public_key"]
        await _prefs(
            client,
            staff.headers["lead_a"],
            notify_channels=["web_push"],
            web_push=browser.subscription(endpoint.url),
        )
        tip = await submit(client, urgent=True)
        await run_worker(app, settings=settings)
    [request] = endpoint.requests
    # The VAPID header: "vapid t=<JWT>, k=<server public key>"
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == server_key
    point = base64_decode(server_key)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    origin = endpoint.url.split("/push/")[0]
    claims = jwt.decode(fields["t"], pem, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == "mailto:ops@x.vn"
    assert claims["exp"] > datetime.now(UTC).timestamp()
    with pytest.raises(jwt.InvalidSignatureError):
        other = ec.generate_private_key(ec.SECP256R1()).public_key()
        jwt.decode(
            fields["t"],
            other.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            algorithms=["ES256"],
            audience=origin,
        )
    assert request.headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(
        request.body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
    )
    message = json.loads(plain)
    assert message["type"] == "tip.urgent"
    assert message["reference"] == tip["reference"]
    assert message["title"].startswith("KHẨN")
    assert DESCRIPTION_WORD not in json.dumps(message, ensure_ascii=False)


def base64_decode(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


async def test_no_channel_configured_staff_notices_still_in_inbox(app, client, db, staff):
    await _prefs(
        client,
        staff.headers["lead_a"],
        email="lead@example.vn",
        phone="0912345678",
        notify_channels=["email", "sms"],
    )
    await submit(client, notify={"email": "someone@example.vn"})
    await run_worker(app)
    assert await inbox_types(db, staff["lead_a"].id) == ["tip.new"]
    assert await deliveries(db) == []


async def test_failures_retry_with_backoff_then_dead_letter_and_redelivery(app, client, db, staff):
    from prometheus_client import REGISTRY

    def failures() -> float:
        return (
            REGISTRY.get_sample_value("tinbao_notification_failures_total", {"channel": "sms"})
            or 0.0
        )

    before = failures()
    with http_peer("/sms") as gateway:
        gateway.status = 503
        settings = with_settings(
            app,
            sms_gateway_url=gateway.url,
            sms_gateway_secret="s" * 24,
            notify_max_attempts=3,
        )
        await _prefs(client, staff.headers["lead_a"], phone="0912345678", notify_channels=["sms"])
        await submit(client)
        now = datetime.now(UTC)
        await run_worker(app, settings=settings, now=now)
        [row] = await deliveries(db)
        assert row.status == "failed" and row.attempts == 1
        # Not due again before its backoff (5 s), due after.
        assert await run_worker(app, settings=settings, now=now + timedelta(seconds=4)) == 0
        assert await run_worker(app, settings=settings, now=now + timedelta(seconds=6)) == 1
        [row] = await deliveries(db)
        assert row.status == "failed" and row.attempts == 2
        assert row.next_attempt_at > now + timedelta(seconds=20)  # 20 s after the second
        await run_worker(app, settings=settings, now=now + timedelta(seconds=30))
        [row] = await deliveries(db)
        assert row.status == "dead" and row.attempts == 3 and row.last_error == "sms: HTTP 503"
        assert len(gateway.requests) == 3
        assert failures() - before == 3
        metrics = await app_client_metrics(client)
        assert 'tinbao_notification_failures_total{channel="sms"}' in metrics

        r = await client.get(
            "/api/v1/notifications/deliveries",
            params={"status": "dead"},
            headers=staff.headers["admin"],
        )
        assert r.status_code == 200
        [item] = r.json()["items"]
        assert item["id"] == row.id and item["recipient_kind"] == "user"
        assert "phone" not in json.dumps(item) and "0912345678" not in json.dumps(item)
        r = await client.get(
            "/api/v1/notifications/deliveries",
            params={"status": "dead"},
            headers=staff.headers["supervisor_79"],
        )
        assert r.status_code == 403
        gateway.status = 200
        r = await client.post(
            f"/api/v1/notifications/deliveries/{row.id}/redeliver", headers=staff.headers["admin"]
        )
        assert r.status_code == 200 and r.json()["status"] == "pending"
        r = await client.post(
            f"/api/v1/notifications/deliveries/{row.id}/redeliver", headers=staff.headers["admin"]
        )
        assert r.status_code == 409
        await run_worker(app, settings=settings)
        [row] = await deliveries(db)
        assert row.status == "delivered"
        assert len(json_bodies(gateway)) == 4


async def app_client_metrics(client) -> str:
    return (await client.get("/metrics")).text


async def test_rate_limited_per_recipient_but_not_urgent_alerts(app, client, db, staff):
    with http_peer("/sms") as gateway:
        settings = with_settings(
            app, sms_gateway_url=gateway.url, sms_gateway_secret="s" * 24, notify_rate_per_hour=2
        )
        await _prefs(client, staff.headers["lead_a"], phone="0912345678", notify_channels=["sms"])
        for _ in range(4):
            await submit(client)
        await submit(client, urgent=True)
        await run_worker(app, settings=settings)
    rows = await deliveries(db)
    assert [r.status for r in rows] == [
        "delivered",
        "delivered",
        "suppressed",
        "suppressed",
        "delivered",
    ]
    assert rows[-1].type == "tip.urgent"
    assert len(gateway.requests) == 3
    assert len(await inbox_types(db, staff["lead_a"].id)) == 5  # the inbox has them all


async def test_local_debugging_smtp_server_without_tls(app, client, db, staff):
    """Development: `python -m aiosmtpd -n -l 127.0.0.1:8025` offers no STARTTLS; a plain
    `smtp://` URL sends anyway, `?starttls=require` refuses to."""
    from aiosmtpd.controller import Controller

    from tests.notifications.peers import Mailbox, _Handler, free_port

    box = Mailbox(port=free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        await _prefs(
            client, staff.headers["lead_a"], email="lead@example.vn", notify_channels=["email"]
        )
        await submit(client)
        strict = with_settings(app, smtp_url=f"smtp://127.0.0.1:{box.port}?starttls=require")
        await run_worker(app, settings=strict)
        [row] = await deliveries(db)
        assert row.status == "failed" and row.last_error.startswith("smtp:")
        plain = with_settings(app, smtp_url=f"smtp://127.0.0.1:{box.port}")
        await run_worker(app, settings=plain, now=datetime.now(UTC) + timedelta(seconds=10))
    finally:
        controller.stop()
    [message] = box.messages
    assert message["tls"] is False and message["rcpt_tos"] == ["lead@example.vn"]
    assert [r.status for r in await deliveries(db)] == ["delivered"]
