"""User administration: who may do it, scope rules per role, listing, and safety rails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.accounts.helpers import auth_headers, make_organization, make_user

USERS = "/api/v1/users"


def user_body(**overrides):
    body = {
        "username": "canbo1",
        "password": "secret-pass-1",
        "full_name": "Nguyễn Văn A",
        "role": "officer",
        "unit_code": "CAX-25747",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def fields(response) -> list[str]:
    return sorted(e["field"] for e in response.json()["errors"])


@pytest.fixture
async def admin(db):
    return await make_user(db, role="admin", username="root")


async def test_admin_creates_a_user_and_never_sees_the_password(client, db, app, admin):
    r = await client.post(USERS, json=user_body(), headers=auth_headers(app, admin))

    assert r.status_code == 201
    body = r.json()
    assert body["username"] == "canbo1"
    assert body["role"] == "officer"
    assert body["unit_code"] == "CAX-25747"
    assert body["disabled"] is False
    assert "password" not in body and "password_hash" not in body
    assert "secret-pass-1" not in r.text
    stored = await db.get(User, body["id"])
    assert stored is not None and stored.password_hash != "secret-pass-1"
    login = await client.post(
        "/api/v1/auth/token", data={"username": "canbo1", "password": "secret-pass-1"}
    )
    assert login.status_code == 200


async def test_user_creation_is_audited_without_the_name(client, db, app, admin):
    r = await client.post(USERS, json=user_body(), headers=auth_headers(app, admin))
    assert r.status_code == 201

    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "user.created"))
    ).scalar_one()
    assert entry.object_id == r.json()["id"]
    assert entry.actor_id == admin.id and entry.actor_label == "root"
    assert entry.data["role"] == "officer" and entry.data["unit_code"] == "CAX-25747"
    assert "Nguyễn" not in repr(entry.data)


@pytest.mark.parametrize(
    ("overrides", "bad_fields"),
    [
        ({"role": "officer", "unit_code": None}, ["unit_code"]),
        (
            {"role": "unit_lead", "unit_code": None, "province_code": "79"},
            ["province_code", "unit_code"],
        ),
        ({"role": "officer", "unit_code": "CAX-NOPE"}, ["unit_code"]),
        ({"role": "province_supervisor", "unit_code": None}, ["province_code"]),
        ({"role": "analyst", "unit_code": None, "province_code": "99"}, ["province_code"]),
        ({"role": "front_member", "unit_code": None}, ["organization_id"]),
        (
            {"role": "front_member", "unit_code": None, "organization_id": "nope"},
            ["organization_id"],
        ),
        ({"role": "admin"}, ["unit_code"]),
        ({"username": "a b"}, ["username"]),
        ({"password": "short"}, ["password"]),
        ({"role": "chief"}, ["role"]),
    ],
)
async def test_scope_must_match_the_role(client, app, admin, overrides, bad_fields):
    r = await client.post(USERS, json=user_body(**overrides), headers=auth_headers(app, admin))

    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"
    assert fields(r) == bad_fields


async def test_scope_errors_say_missing_or_not_used_by_the_role(client, app, admin):
    body = user_body(role="unit_lead", unit_code=None, province_code="79")
    r = await client.post(
        USERS, json=body, headers={**auth_headers(app, admin), "Accept-Language": "en"}
    )

    assert r.status_code == 422
    assert sorted((e["field"], e["code"], e["message"]) for e in r.json()["errors"]) == [
        ("province_code", "extra_forbidden", "Not used by the role unit_lead."),
        ("unit_code", "missing", "Required for the role unit_lead."),
    ]


async def test_each_role_with_its_scope_is_accepted(client, db, app, admin):
    org = await make_organization(db, name="MTTQ phường", kind="mttq", province_code="79")
    cases = [
        {"role": "admin", "unit_code": None},
        {"role": "province_supervisor", "unit_code": None, "province_code": "79"},
        {"role": "analyst", "unit_code": None, "province_code": "01"},
        {"role": "unit_lead", "unit_code": "CAT-79"},
        {"role": "officer", "unit_code": "CAX-00004"},
        {"role": "front_member", "unit_code": None, "organization_id": org.id},
    ]
    for i, case in enumerate(cases):
        r = await client.post(
            USERS, json=user_body(username=f"user{i}", **case), headers=auth_headers(app, admin)
        )
        assert r.status_code == 201, (case, r.json())
        assert r.json()["role"] == case["role"]


async def test_taken_username_is_409_whatever_the_case(client, app, admin):
    assert (
        await client.post(USERS, json=user_body(), headers=auth_headers(app, admin))
    ).status_code == 201

    r = await client.post(
        USERS,
        json=user_body(username="CanBo1", unit_code="CAT-79"),
        headers=auth_headers(app, admin),
    )

    assert r.status_code == 409
    assert r.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("officer", {"unit_code": "CAX-25747"}),
        ("unit_lead", {"unit_code": "CAX-25747"}),
        ("analyst", {"province_code": "79"}),
        ("front_member", None),
    ],
)
async def test_lower_roles_may_not_manage_accounts(client, db, app, role, scope):
    if scope is None:
        org = await make_organization(
            db, name="Hội Nông dân", kind="member_org", province_code="79"
        )
        scope = {"organization_id": org.id}
    caller = await make_user(db, role=role, **scope)
    target = await make_user(db, role="officer", unit_code="CAX-25747")
    headers = auth_headers(app, caller)

    calls = [
        client.post(USERS, json=user_body(), headers=headers),
        client.get(USERS, headers=headers),
        client.get(f"{USERS}/{target.id}", headers=headers),
        client.patch(f"{USERS}/{target.id}", json={"disabled": True}, headers=headers),
        client.post(
            "/api/v1/organizations",
            json={"name": "X", "kind": "mttq", "province_code": "79"},
            headers=headers,
        ),
        client.get("/api/v1/organizations", headers=headers),
        client.post(
            "/api/v1/api-keys",
            json={"name": "k", "role": "analyst", "province_code": "79"},
            headers=headers,
        ),
        client.get("/api/v1/api-keys", headers=headers),
        client.get("/api/v1/audit", headers=headers),
        client.get("/api/v1/audit/verify", headers=headers),
    ]
    for call in calls:
        r = await call
        assert r.status_code == 403, r.request.url
        assert r.json()["code"] == "forbidden"
    await db.refresh(target)
    assert target.disabled is False


async def test_api_keys_cannot_manage_accounts(client, db, app):
    from tests.accounts.helpers import make_api_key

    _, key = await make_api_key(db, app, role="analyst", province_code="79")

    r = await client.post(USERS, json=user_body(), headers={"X-API-Key": key})

    assert r.status_code == 403


async def test_anonymous_is_401_on_admin_endpoints(client):
    for r in [
        await client.get(USERS),
        await client.post(USERS, json=user_body()),
        await client.get("/api/v1/api-keys"),
        await client.get("/api/v1/organizations"),
        await client.get("/api/v1/audit"),
    ]:
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"


# --- province supervisors ---------------------------------------------------------------


@pytest.fixture
async def supervisor(db):
    return await make_user(db, role="province_supervisor", province_code="79", username="sup79")


async def test_supervisor_manages_staff_of_its_province(client, db, app, supervisor):
    headers = auth_headers(app, supervisor)

    r = await client.post(USERS, json=user_body(), headers=headers)
    assert r.status_code == 201
    r = await client.post(
        USERS,
        json=user_body(username="phantich", role="analyst", unit_code=None, province_code="79"),
        headers=headers,
    )
    assert r.status_code == 201
    officer_id = (await client.get(USERS, params={"role": "officer"}, headers=headers)).json()[
        "items"
    ][0]["id"]

    r = await client.patch(f"{USERS}/{officer_id}", json={"disabled": True}, headers=headers)
    assert r.status_code == 200 and r.json()["disabled"] is True


async def test_supervisor_cannot_grant_admin_or_supervisor(client, app, supervisor):
    headers = auth_headers(app, supervisor)
    for body in (
        user_body(role="admin", unit_code=None),
        user_body(role="province_supervisor", unit_code=None, province_code="79"),
    ):
        r = await client.post(USERS, json=body, headers=headers)
        assert r.status_code == 403
        assert r.json()["code"] == "forbidden"


async def test_supervisor_cannot_place_users_in_another_province(client, db, app, supervisor):
    other_org = await make_organization(db, name="MTTQ Hà Nội", kind="mttq", province_code="01")
    headers = auth_headers(app, supervisor)

    officer = await client.post(USERS, json=user_body(unit_code="CAX-00004"), headers=headers)
    analyst = await client.post(
        USERS, json=user_body(role="analyst", unit_code=None, province_code="01"), headers=headers
    )
    member = await client.post(
        USERS,
        json=user_body(role="front_member", unit_code=None, organization_id=other_org.id),
        headers=headers,
    )

    assert (officer.status_code, fields(officer)) == (422, ["unit_code"])
    assert (analyst.status_code, fields(analyst)) == (422, ["province_code"])
    assert (member.status_code, fields(member)) == (422, ["organization_id"])
    # The other province's organization is reported exactly like one that does not exist.
    unknown = await client.post(
        USERS,
        json=user_body(role="front_member", unit_code=None, organization_id="no-such-org"),
        headers=headers,
    )
    assert member.json()["errors"] == unknown.json()["errors"]
    assert (await db.execute(select(User).where(User.username == "canbo1"))).first() is None


async def test_supervisor_sees_only_users_it_manages(client, db, app, supervisor):
    org79 = await make_organization(
        db, name="Đoàn Thanh niên", kind="member_org", province_code="79"
    )
    mine = [
        await make_user(db, role="officer", unit_code="CAX-25747"),
        await make_user(db, role="unit_lead", unit_code="CAT-79"),
        await make_user(db, role="analyst", province_code="79"),
        await make_user(db, role="front_member", organization_id=org79.id),
    ]
    others = [
        await make_user(db, role="officer", unit_code="CAX-00004"),
        await make_user(db, role="analyst", province_code="01"),
        await make_user(db, role="admin"),
        await make_user(db, role="province_supervisor", province_code="79"),
    ]
    headers = auth_headers(app, supervisor)

    r = await client.get(USERS, headers=headers)

    assert r.status_code == 200
    assert {u["id"] for u in r.json()["items"]} == {u.id for u in mine}
    for user in others:
        assert (await client.get(f"{USERS}/{user.id}", headers=headers)).status_code == 404
        r = await client.patch(f"{USERS}/{user.id}", json={"disabled": True}, headers=headers)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
    for user in others:
        await db.refresh(user)
        assert user.disabled is False


async def test_supervisor_cannot_promote_or_move_out(client, db, app, supervisor):
    officer = await make_user(db, role="officer", unit_code="CAX-25747")
    headers = auth_headers(app, supervisor)

    promote = await client.patch(f"{USERS}/{officer.id}", json={"role": "admin"}, headers=headers)
    move = await client.patch(
        f"{USERS}/{officer.id}", json={"unit_code": "CAX-00004"}, headers=headers
    )

    assert promote.status_code == 403
    assert (move.status_code, fields(move)) == (422, ["unit_code"])
    await db.refresh(officer)
    assert (officer.role, officer.unit_code) == ("officer", "CAX-25747")


# --- patching ---------------------------------------------------------------------------


async def test_role_change_replaces_the_scope(client, db, app, admin):
    officer = await make_user(db, role="officer", unit_code="CAX-25747")
    headers = auth_headers(app, admin)

    missing = await client.patch(f"{USERS}/{officer.id}", json={"role": "analyst"}, headers=headers)
    assert (missing.status_code, fields(missing)) == (422, ["province_code"])

    r = await client.patch(
        f"{USERS}/{officer.id}", json={"role": "analyst", "province_code": "79"}, headers=headers
    )
    assert r.status_code == 200
    assert (r.json()["role"], r.json()["unit_code"], r.json()["province_code"]) == (
        "analyst",
        None,
        "79",
    )
    # Same scope field: the role alone changes, the scope stays.
    lead = await make_user(db, role="officer", unit_code="CAT-79")
    r = await client.patch(f"{USERS}/{lead.id}", json={"role": "unit_lead"}, headers=headers)
    assert r.status_code == 200 and r.json()["unit_code"] == "CAT-79"
    # A scope field the role does not use is refused.
    r = await client.patch(f"{USERS}/{lead.id}", json={"province_code": "79"}, headers=headers)
    assert (r.status_code, fields(r)) == (422, ["province_code"])


async def test_patch_is_audited(client, db, app, admin):
    officer = await make_user(db, role="officer", unit_code="CAX-25747")

    r = await client.patch(
        f"{USERS}/{officer.id}",
        json={"disabled": True, "password": "another-pass-9"},
        headers=auth_headers(app, admin),
    )

    assert r.status_code == 200
    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "user.updated"))
    ).scalar_one()
    assert entry.object_id == officer.id
    assert entry.data["changed"] == ["disabled", "password"]
    assert "another-pass-9" not in repr(entry.data)


async def test_unknown_user_is_404(client, app, admin):
    r = await client.patch(
        f"{USERS}/nope", json={"disabled": True}, headers=auth_headers(app, admin)
    )
    assert r.status_code == 404


async def test_last_admin_cannot_be_disabled_or_demoted(client, db, app, admin):
    headers = auth_headers(app, admin)

    disable = await client.patch(f"{USERS}/{admin.id}", json={"disabled": True}, headers=headers)
    demote = await client.patch(
        f"{USERS}/{admin.id}", json={"role": "analyst", "province_code": "79"}, headers=headers
    )

    assert disable.status_code == 409 and demote.status_code == 409
    second = await make_user(db, role="admin")
    r = await client.patch(f"{USERS}/{second.id}", json={"disabled": True}, headers=headers)
    assert r.status_code == 200


async def test_users_are_listed_page_by_page(client, db, app, admin):
    created = [await make_user(db, role="analyst", province_code="79") for _ in range(4)]
    headers = auth_headers(app, admin)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(USERS, params=params, headers=headers)
        assert r.status_code == 200
        seen += [u["id"] for u in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        pages += 1
        if cursor is None:
            break

    assert pages == 3  # five users: 2 + 2 + 1
    assert seen == sorted([admin.id] + [u.id for u in created])
    filtered = await client.get(USERS, params={"role": "admin"}, headers=headers)
    assert [u["id"] for u in filtered.json()["items"]] == [admin.id]
    bad = await client.get(USERS, params={"cursor": "%%%"}, headers=headers)
    assert bad.status_code == 422


async def test_odd_characters_are_refused_not_crashing(client, app, admin):
    headers = auth_headers(app, admin)

    name = await client.post(USERS, json=user_body(full_name="A\x00B"), headers=headers)
    code = await client.post(USERS, json=user_body(unit_code="CAX\x0025747"), headers=headers)
    query = await client.get(USERS, params={"unit_code": "CAX\x00"}, headers=headers)
    login = await client.post(
        "/api/v1/auth/token", data={"username": "ad\x00min", "password": "whatever-1"}
    )

    assert (name.status_code, fields(name)) == (422, ["full_name"])
    assert (code.status_code, fields(code)) == (422, ["unit_code"])
    assert query.status_code == 422
    assert login.status_code == 401
