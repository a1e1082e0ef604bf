from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import ApiKey
from app.audit.models import AuditEntry
from app.core.security import keyed_hash
from tests.accounts.helpers import auth_headers, make_organization, make_user

ORGS = "/api/v1/organizations"
KEYS = "/api/v1/api-keys"


async def test_admin_creates_organizations(client, db, app):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    r = await client.post(
        ORGS,
        json={
            "name": "Ủy ban MTTQ phường Thủ Dầu Một",
            "kind": "mttq",
            "province_code": "79",
            "commune_code": "25747",
        },
        headers=headers,
    )

    assert r.status_code == 201
    body = r.json()
    assert (body["kind"], body["province_code"], body["commune_code"]) == ("mttq", "79", "25747")
    listed = await client.get(ORGS, headers=headers)
    assert [o["id"] for o in listed.json()["items"]] == [body["id"]]
    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "organization.created"))
    ).scalar_one()
    assert entry.object_id == body["id"] and entry.actor_id == admin.id


async def test_organization_place_is_validated(client, db, app):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    wrong_province = await client.post(
        ORGS,
        json={"name": "X", "kind": "mttq", "province_code": "79", "commune_code": "00004"},
        headers=headers,
    )
    unknown = await client.post(
        ORGS,
        json={"name": "X", "kind": "mttq", "province_code": "99", "commune_code": "99999"},
        headers=headers,
    )
    bad_kind = await client.post(
        ORGS, json={"name": "X", "kind": "club", "province_code": "79"}, headers=headers
    )

    assert wrong_province.status_code == 422
    assert [e["field"] for e in wrong_province.json()["errors"]] == ["commune_code"]
    assert unknown.status_code == 422
    assert sorted(e["field"] for e in unknown.json()["errors"]) == ["commune_code", "province_code"]
    assert bad_kind.status_code == 422
    assert [e["field"] for e in bad_kind.json()["errors"]] == ["kind"]


async def test_supervisor_works_with_its_provinces_organizations(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    theirs = await make_organization(db, name="MTTQ Hà Nội", kind="mttq", province_code="01")
    headers = auth_headers(app, supervisor)

    mine = await client.post(
        ORGS,
        json={"name": "Hội Cựu chiến binh", "kind": "member_org", "province_code": "79"},
        headers=headers,
    )
    elsewhere = await client.post(
        ORGS, json={"name": "X", "kind": "mttq", "province_code": "01"}, headers=headers
    )
    listed = await client.get(ORGS, headers=headers)
    asked_for_other = await client.get(ORGS, params={"province_code": "01"}, headers=headers)

    assert mine.status_code == 201
    assert elsewhere.status_code == 422
    assert [e["field"] for e in elsewhere.json()["errors"]] == ["province_code"]
    assert [o["id"] for o in listed.json()["items"]] == [mine.json()["id"]]
    assert theirs.id not in asked_for_other.text


async def test_api_key_is_shown_once_and_stored_as_keyed_hash(client, db, app, settings):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    r = await client.post(
        KEYS,
        json={"name": "Open311 gateway", "role": "open311_client", "province_code": "79"},
        headers=headers,
    )

    assert r.status_code == 201
    body = r.json()
    key = body["key"]
    assert key.startswith("tbk_") and len(key) == 36
    assert (body["name"], body["role"], body["province_code"]) == (
        "Open311 gateway",
        "open311_client",
        "79",
    )
    row = await db.get(ApiKey, body["id"])
    assert row is not None
    assert row.key_hash == keyed_hash(settings.receipt_key, key) != key
    assert row.prefix == key[:12] and row.created_by_id == admin.id
    listed = await client.get(KEYS, headers=headers)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["items"]] == [body["id"]]
    assert "key" not in listed.json()["items"][0]
    assert key not in listed.text
    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "api_key.created"))
    ).scalar_one()
    assert key not in repr(entry.data)


async def test_api_key_input_is_validated(client, db, app):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    bad_role = await client.post(
        KEYS, json={"name": "k", "role": "admin", "province_code": "79"}, headers=headers
    )
    no_province = await client.post(KEYS, json={"name": "k", "role": "analyst"}, headers=headers)
    unknown_province = await client.post(
        KEYS, json={"name": "k", "role": "analyst", "province_code": "99"}, headers=headers
    )

    assert (bad_role.status_code, bad_role.json()["errors"][0]["field"]) == (422, "role")
    assert (no_province.status_code, no_province.json()["errors"][0]["field"]) == (
        422,
        "province_code",
    )
    assert unknown_province.status_code == 422


async def test_revoking_is_listed_audited_and_idempotent(client, db, app):
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)
    created = (
        await client.post(
            KEYS, json={"name": "k", "role": "analyst", "province_code": "79"}, headers=headers
        )
    ).json()

    first = await client.delete(f"{KEYS}/{created['id']}", headers=headers)
    again = await client.delete(f"{KEYS}/{created['id']}", headers=headers)
    missing = await client.delete(f"{KEYS}/no-such-key", headers=headers)

    assert (first.status_code, again.status_code, missing.status_code) == (204, 204, 404)
    listed = (await client.get(KEYS, headers=headers)).json()["items"]
    assert listed[0]["revoked_at"] is not None
    revocations = (
        (await db.execute(select(AuditEntry).where(AuditEntry.action == "api_key.revoked")))
        .scalars()
        .all()
    )
    assert [e.object_id for e in revocations] == [created["id"]]


async def test_supervisors_cannot_manage_api_keys(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    headers = auth_headers(app, supervisor)

    r = await client.post(
        KEYS, json={"name": "k", "role": "analyst", "province_code": "79"}, headers=headers
    )

    assert r.status_code == 403
    assert (await db.execute(select(ApiKey))).first() is None
