"""Logging in, who the caller is, and credentials that stop working at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select

from app.accounts import credentials
from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.accounts.helpers import DEFAULT_PASSWORD, auth_headers, make_api_key, make_user

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/auth/me"


async def login(client, username, password=DEFAULT_PASSWORD):
    return await client.post(TOKEN_URL, data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_issues_a_token_that_identifies_the_user(client, db, settings):
    officer = await make_user(db, role="officer", unit_code="CAX-25747", username="officer1")

    r = await login(client, "officer1")

    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    me = await client.get(ME_URL, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "kind": "user",
        "id": officer.id,
        "username": "officer1",
        "label": "officer1",
        "full_name": officer.full_name,
        "role": "officer",
        "unit_code": "CAX-25747",
        "province_code": "79",  # the unit's province
        "organization_id": None,
        "password_change_required": False,
    }
    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"])
    assert claims["sub"] == officer.id and claims["ver"] == 0 and claims["role"] == "officer"


async def test_login_username_is_case_insensitive_and_records_last_login(client, db):
    user = await make_user(db, role="analyst", province_code="79", username="analyst1")

    r = await login(client, "  Analyst1 ")

    assert r.status_code == 200
    await db.refresh(user)
    assert user.last_login_at is not None


async def test_wrong_password_and_unknown_user_get_the_same_answer(client, db):
    await make_user(db, role="officer", unit_code="CAX-25747", username="officer1")

    wrong = await login(client, "officer1", "not-the-password")
    unknown = await login(client, "nobody", "not-the-password")

    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["code"] == "unauthorized"
        assert "access_token" not in r.json()
    assert wrong.json() == unknown.json()


class CountingHash(PasswordHash):
    """Real argon2, recording the hash each verification ran against."""

    def __init__(self) -> None:
        super().__init__((Argon2Hasher(),))
        self.verified: list[str] = []

    def verify_and_update(self, password: str | bytes, hash: str | bytes, *a: Any, **k: Any) -> Any:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify_and_update(password, hash, *a, **k)


def _cost(argon2_hash: str) -> str:
    """The variant, version and cost parameters: ``$argon2id$v=19$m=...,t=...,p=...``."""
    return "$".join(argon2_hash.split("$")[:4])


async def test_unknown_user_costs_a_password_check_too(client, db, monkeypatch):
    """No fast path that would tell an attacker which usernames exist: an unknown username
    runs one argon2 verification at the same cost as a wrong password does (counted, not
    timed: a loaded machine makes wall-clock comparisons meaningless)."""
    hasher = CountingHash()
    monkeypatch.setattr(credentials, "_password_hash", hasher)
    credentials._dummy_hash.cache_clear()
    await make_user(
        db, role="officer", unit_code="CAX-25747", username="officer1", password="timing-pw-1"
    )
    hasher.verified.clear()

    assert (await login(client, "officer1", "not-the-password")).status_code == 401
    wrong_password = list(hasher.verified)
    hasher.verified.clear()
    assert (await login(client, "nobody", "not-the-password")).status_code == 401
    unknown_user = list(hasher.verified)
    credentials._dummy_hash.cache_clear()

    assert len(wrong_password) == len(unknown_user) == 1
    assert _cost(unknown_user[0]) == _cost(wrong_password[0])
    assert unknown_user[0] != wrong_password[0]


async def test_logins_are_audited_with_the_username_only(client, db):
    user = await make_user(db, role="officer", unit_code="CAX-25747", username="officer1")

    assert (await login(client, "officer1", "wrong-password-1")).status_code == 401
    assert (await login(client, "ghost", "wrong-password-2")).status_code == 401
    assert (await login(client, "officer1")).status_code == 200

    entries = (await db.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
    assert [(e.action, e.object_id) for e in entries] == [
        ("auth.login_failed", user.id),
        ("auth.login_failed", None),
        ("auth.login", user.id),
    ]
    assert entries[0].data == {"username": "officer1", "cause": "wrong_password"}
    assert entries[1].data == {"username": "ghost", "cause": "unknown_user"}
    assert entries[2].actor_id == user.id and entries[2].actor_label == "officer1"
    dumped = repr([(e.data, e.reason) for e in entries])
    assert "wrong-password" not in dumped and DEFAULT_PASSWORD not in dumped


async def test_login_form_fields_are_required(client):
    r = await client.post(TOKEN_URL, data={"username": "x"})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["password"]


async def test_no_credentials_is_401_on_me(client):
    r = await client.get(ME_URL)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_garbage_expired_and_forged_tokens_are_401(client, db, settings, app):
    user = await make_user(db, role="officer", unit_code="CAX-25747")
    now = datetime.now(UTC)
    claims = {"sub": user.id, "ver": 0, "role": "officer"}
    expired = jwt.encode(
        {**claims, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
        settings.secret_key,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {**claims, "exp": now + timedelta(hours=1)}, "another-secret-key-0123456789abcdef", "HS256"
    )
    unsigned = jwt.encode({**claims, "exp": now + timedelta(hours=1)}, None, algorithm="none")

    assert (await client.get(ME_URL, headers=auth_headers(app, user))).status_code == 200
    for token in ("garbage", expired, forged, unsigned):
        r = await client.get(ME_URL, headers=bearer(token))
        assert r.status_code == 401, token
        assert r.json()["code"] == "unauthorized"
    basic = await client.get(ME_URL, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


async def test_disabled_users_token_is_refused_at_once(client, db, app):
    admin = await make_user(db, role="admin")
    officer = await make_user(db, role="officer", unit_code="CAX-25747", username="officer1")
    token = (await login(client, "officer1")).json()["access_token"]
    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 200

    r = await client.patch(
        f"/api/v1/users/{officer.id}", json={"disabled": True}, headers=auth_headers(app, admin)
    )
    assert r.status_code == 200 and r.json()["disabled"] is True

    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 401
    assert (await login(client, "officer1")).status_code == 401

    # Enabled again: a fresh login works, the token from before the disabling stays dead.
    r = await client.patch(
        f"/api/v1/users/{officer.id}", json={"disabled": False}, headers=auth_headers(app, admin)
    )
    assert r.status_code == 200
    fresh = (await login(client, "officer1")).json()["access_token"]
    assert (await client.get(ME_URL, headers=bearer(fresh))).status_code == 200
    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 401


async def test_role_or_password_change_ends_older_tokens(client, db, app):
    admin = await make_user(db, role="admin")
    officer = await make_user(db, role="officer", unit_code="CAX-25747", username="officer1")
    token = (await login(client, "officer1")).json()["access_token"]

    r = await client.patch(
        f"/api/v1/users/{officer.id}", json={"role": "unit_lead"}, headers=auth_headers(app, admin)
    )
    assert r.status_code == 200 and r.json()["role"] == "unit_lead"
    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 401

    token = (await login(client, "officer1")).json()["access_token"]
    me = await client.get(ME_URL, headers=bearer(token))
    assert me.json()["role"] == "unit_lead"
    r = await client.patch(
        f"/api/v1/users/{officer.id}",
        json={"password": "a-new-password"},
        headers=auth_headers(app, admin),
    )
    assert r.status_code == 200
    assert (await client.get(ME_URL, headers=bearer(token))).status_code == 401
    assert (await login(client, "officer1")).status_code == 401
    assert (await login(client, "officer1", "a-new-password")).status_code == 200


async def test_full_name_change_keeps_tokens(client, db, app):
    admin = await make_user(db, role="admin")
    officer = await make_user(db, role="officer", unit_code="CAX-25747")
    headers = auth_headers(app, officer)

    r = await client.patch(
        f"/api/v1/users/{officer.id}",
        json={"full_name": "Trần Thị B"},
        headers=auth_headers(app, admin),
    )
    assert r.status_code == 200
    me = await client.get(ME_URL, headers=headers)
    assert me.status_code == 200 and me.json()["full_name"] == "Trần Thị B"


async def test_api_key_authenticates_until_revoked(client, db, app):
    admin = await make_user(db, role="admin")
    created = await client.post(
        "/api/v1/api-keys",
        json={"name": "Dashboard HCMC", "role": "analyst", "province_code": "79"},
        headers=auth_headers(app, admin),
    )
    assert created.status_code == 201
    key = created.json()["key"]

    me = await client.get(ME_URL, headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["kind"] == "api_key"
    assert me.json()["role"] == "analyst"
    assert me.json()["province_code"] == "79"
    assert me.json()["username"] is None

    r = await client.delete(
        f"/api/v1/api-keys/{created.json()['id']}", headers=auth_headers(app, admin)
    )
    assert r.status_code == 204

    r = await client.get(ME_URL, headers={"X-API-Key": key})
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    assert (await client.get(ME_URL, headers={"X-API-Key": "tbk_" + "x" * 32})).status_code == 401


async def test_api_key_records_when_it_was_used(client, db, app):
    api_key, key = await make_api_key(db, app, role="open311_client", province_code="01")
    assert api_key.last_used_at is None

    assert (await client.get(ME_URL, headers={"X-API-Key": key})).status_code == 200

    await db.refresh(api_key)
    assert api_key.last_used_at is not None


async def test_token_of_a_deleted_user_is_401(client, db, app):
    user = await make_user(db, role="analyst", province_code="79")
    headers = auth_headers(app, user)
    await db.delete(await db.get(User, user.id))
    await db.commit()

    assert (await client.get(ME_URL, headers=headers)).status_code == 401


async def test_front_member_principal_carries_the_organization(client, db, app):
    from tests.accounts.helpers import make_organization

    org = await make_organization(
        db, name="Hội Phụ nữ phường", kind="member_org", province_code="79"
    )
    member = await make_user(db, role="front_member", organization_id=org.id)

    me = await client.get(ME_URL, headers=auth_headers(app, member))

    assert me.status_code == 200
    assert me.json()["organization_id"] == org.id
    assert me.json()["province_code"] == "79"


async def test_login_attempts_are_rate_limited_per_address(app, settings):
    import httpx

    from app.main import create_app

    limited = create_app(settings.model_copy(update={"rate_limit_login": "2/minute"}))
    async with limited.router.lifespan_context(limited):
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            answers = [(await login(c, "nobody", "wrong-password")) for _ in range(3)]

    assert [r.status_code for r in answers] == [401, 401, 429]
    assert answers[2].json()["code"] == "rate_limited"
    assert int(answers[2].headers["retry-after"]) > 0
