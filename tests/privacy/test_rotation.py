"""Data-key rotation: a new key first in the ring, the old one after it; old rows still
decrypt; `tinbao reencrypt-reporters` moves every sealed row to the new key (in batches,
idempotently); then the old key can be removed."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from app.core.config import Settings
from app.core.security import DataCipher
from app.integration.models import WebhookSubscription
from app.integration.webhooks import subscription_secret
from app.main import create_app
from app.privacy.models import PrivacyRequest
from app.tips.models import (
    IdempotencyRecord,
    ReporterIdentity,
    ReporterNotifyContact,
    Tip,
    TipMessage,
)
from app.tips.notify_contact import open_contact
from tests.accounts.helpers import auth_headers, make_user
from tests.conftest import TEST_DATA_KEY
from tests.privacy.helpers import NAME, PHONE, identity_of, reporter_payload
from tests.tips.helpers import payload

PERSONS = "Ông Phạm Văn Zy, 45 tuổi"
NEW_PHONE = "0911 222 333"

TINBAO = str(Path(sys.executable).parent / "tinbao")
NEW_KEY = DataCipher.generate_key("k2027")
REASON = "Cần liên hệ người báo tin để xác minh"


def cli_env(settings: Settings, data_keys: list[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env.update(
        TINBAO_DATABASE_URL=settings.database_url,
        TINBAO_VAR_DIR=str(settings.var_dir),
        TINBAO_SECRET_KEY=settings.secret_key,
        TINBAO_RECEIPT_KEY=settings.receipt_key,
        TINBAO_DATA_KEYS=",".join(data_keys),
    )
    return env


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    import asyncio

    process = await asyncio.create_subprocess_exec(
        TINBAO, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


class RunningApp:
    """Another app on the same database, with another key ring."""

    def __init__(self, settings: Settings, data_keys: list[str]) -> None:
        self.app = create_app(settings.model_copy(update={"data_keys": data_keys}))

    async def __aenter__(self) -> tuple[Any, httpx.AsyncClient]:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )
        return self.app, self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(*exc)


async def reveal(client: httpx.AsyncClient, headers: dict[str, str], tip_id: str) -> Any:
    r = await client.post(
        f"/api/v1/tips/{tip_id}/reporter/reveal", json={"reason": REASON}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()["reporter"]


async def key_ids(db: Any) -> dict[str, set[str]]:
    db.expire_all()
    identities = await db.execute(
        select(ReporterIdentity.key_id).where(ReporterIdentity.ciphertext.is_not(None))
    )
    replays = await db.execute(select(IdempotencyRecord.key_id))
    hooks = await db.execute(select(WebhookSubscription.secret_key_id))
    people = await db.execute(select(Tip.people_key_id).where(Tip.people_key_id.is_not(None)))
    messages = await db.execute(select(TipMessage.body_key_id))
    return {
        "reporter_identities": set(identities.scalars()),
        "idempotency_records": set(replays.scalars()),
        "webhook_subscriptions": set(hooks.scalars()),
        "tip_people": set(people.scalars()),
        "tip_messages": set(messages.scalars()),
    }


async def test_rotation_end_to_end(app, client, db, settings):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    old_key_id = TEST_DATA_KEY.split(":")[0]

    # Under the old key: identities, a replay record, a webhook secret, and an erased identity.
    tips = []
    for i in range(3):
        r = await client.post(
            "/api/v1/tips",
            json=reporter_payload(),
            headers={"Idempotency-Key": f"rotation-key-{i:04d}"},
        )
        assert r.status_code == 201
        tips.append(r.json())
    r = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["tip.created"], "secret": "s" * 32},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    webhook_id = r.json()["id"]
    # Persons involved, victim and the conversation are sealed too.
    r = await client.post("/api/v1/tips", json=payload(persons_involved=PERSONS, victim="Bà Z"))
    assert r.status_code == 201
    people_tip = r.json()
    r = await client.post(
        "/api/v1/track/messages",
        json={"body": "Bổ sung: xe máy biển 59"},
        headers={"X-Tip-Receipt": people_tip["receipt"]},
    )
    assert r.status_code == 201
    erased = await identity_of(db, tips[2]["id"])
    erased.ciphertext = None
    await db.commit()
    assert await key_ids(db) == {
        "reporter_identities": {old_key_id},
        "idempotency_records": {old_key_id},
        "webhook_subscriptions": {old_key_id},
        "tip_people": {old_key_id},
        "tip_messages": {old_key_id},
    }

    # 1. The new key goes first; what the old key sealed still decrypts; new rows use the new key.
    ring = [NEW_KEY, TEST_DATA_KEY]
    async with RunningApp(settings, ring) as (_rotated, rotated_client):
        assert (await reveal(rotated_client, headers, tips[0]["id"]))["phone"] == PHONE
        r = await rotated_client.post("/api/v1/tips", json=reporter_payload())
        newer = r.json()
        assert (await identity_of(db, newer["id"])).key_id == "k2027"

    # 2. The command re-encrypts everything, batch by batch; a second run has nothing to do.
    env = cli_env(settings, ring)
    code, out, err = await run_cli("reencrypt-reporters", "--batch-size", "1", env=env)
    assert code == 0, err
    assert "current key: k2027" in out
    assert "reporter_identities: re-encrypted 2, rows per key: k2027: 3" in out
    assert "idempotency_records: re-encrypted 3, rows per key: k2027: 3" in out
    assert "webhook_subscriptions: re-encrypted 1, rows per key: k2027: 1" in out
    assert "tip_people: re-encrypted 1, rows per key: k2027: 1" in out
    assert "tip_messages: re-encrypted 1, rows per key: k2027: 1" in out
    assert await key_ids(db) == {
        "reporter_identities": {"k2027"},
        "idempotency_records": {"k2027"},
        "webhook_subscriptions": {"k2027"},
        "tip_people": {"k2027"},
        "tip_messages": {"k2027"},
    }
    code, out, _ = await run_cli("reencrypt-reporters", env=env)
    assert code == 0 and "re-encrypted 0" in out and "re-encrypted 2" not in out
    assert NAME not in out and PHONE not in out

    # 3. The old key can go: everything still opens with the new key alone.
    async with RunningApp(settings, [NEW_KEY]) as (new_only, new_client):
        for tip in (tips[0], tips[1], newer):
            assert (await reveal(new_client, headers, tip["id"]))["full_name"] == NAME
        r = await new_client.post(
            "/api/v1/tips",
            json=reporter_payload(),
            headers={"Idempotency-Key": "rotation-key-0000"},
        )
        assert r.status_code == 201 and r.json()["receipt"] == tips[0]["receipt"]
        db.expire_all()
        subscription = await db.get(WebhookSubscription, webhook_id)
        assert subscription_secret(subscription, cipher=new_only.state.cipher) == "s" * 32
        detail = await new_client.get(f"/api/v1/tips/{people_tip['id']}", headers=headers)
        assert detail.json()["persons_involved"] == PERSONS
        tracked = await new_client.get(
            "/api/v1/track", headers={"X-Tip-Receipt": people_tip["receipt"]}
        )
        assert [m["body"] for m in tracked.json()["messages"]] == ["Bổ sung: xe máy biển 59"]


async def test_rows_under_a_key_missing_from_the_ring_make_the_command_fail(
    app, client, db, settings
):
    r = await client.post("/api/v1/tips", json=reporter_payload())
    assert r.status_code == 201
    code, out, err = await run_cli("reencrypt-reporters", env=cli_env(settings, [NEW_KEY]))
    assert code == 1
    # The identity and the reporter's own contact kept for notices.
    assert "FAILED: 2 rows could not be decrypted (key ids: test1)" in err
    assert (await identity_of(db, r.json()["id"])).key_id == "test1"  # left as it was

    code, out, _ = await run_cli(
        "reencrypt-reporters", "--dry-run", env=cli_env(settings, [NEW_KEY])
    )
    assert code == 0 and "reporter_identities: rows per key: test1: 1" in out


async def test_generate_data_key(settings):
    env = cli_env(settings, [TEST_DATA_KEY])
    code, first, _ = await run_cli("generate-data-key", env=env)
    assert code == 0
    _, second, _ = await run_cli("generate-data-key", "--key-id", "k2028", env=env)
    first, second = first.strip(), second.strip()
    assert first != second and second.startswith("k2028:")
    cipher = DataCipher([second, first])  # both are valid ring entries
    key_id, blob = cipher.encrypt(b"x", aad=b"a")
    assert key_id == "k2028" and cipher.decrypt(key_id, blob, aad=b"a") == b"x"
    code, _, err = await run_cli("generate-data-key", "--key-id", "bad:id", env=env)
    assert code == 2 and "key id" in err


async def test_rotation_covers_notice_contacts_and_correction_requests(app, client, db, settings):
    """The reporter's notice contact and a pending correction's new fields are sealed with the
    ring too: after a rotation the old key can go and both still open (before, they stayed
    under the old key, and dropping it lost the notices and the correction)."""
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    old_key_id = TEST_DATA_KEY.split(":")[0]
    r = await client.post("/api/v1/tips", json=reporter_payload())  # own phone/e-mail kept
    assert r.status_code == 201
    tip = r.json()
    r = await client.post(
        "/api/v1/track/privacy-requests",
        json={"kind": "correction", "reporter": {"phone": NEW_PHONE}},
        headers={"X-Tip-Receipt": tip["receipt"]},
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    db.expire_all()
    contact = await db.get(ReporterNotifyContact, tip["id"])
    request = await db.get(PrivacyRequest, request_id)
    assert contact is not None and contact.key_id == old_key_id
    assert request is not None and request.correction_key_id == old_key_id

    env = cli_env(settings, [NEW_KEY, TEST_DATA_KEY])
    code, out, err = await run_cli("reencrypt-reporters", env=env)
    assert code == 0, err
    assert "reporter_notify_contacts: re-encrypted 1, rows per key: k2027: 1" in out
    assert "privacy_corrections: re-encrypted 1, rows per key: k2027: 1" in out
    assert PHONE not in out and NEW_PHONE not in out

    async with RunningApp(settings, [NEW_KEY]) as (new_only, new_client):
        db.expire_all()
        contact = await db.get(ReporterNotifyContact, tip["id"])
        assert contact is not None and contact.key_id == "k2027"
        assert open_contact(contact, cipher=new_only.state.cipher)["phone"] == PHONE
        done = await new_client.post(
            f"/api/v1/privacy/requests/{request_id}/complete", headers=headers
        )
        assert done.status_code == 200, done.text
        assert (await reveal(new_client, headers, tip["id"]))["phone"] == NEW_PHONE
