"""Password policy everywhere a password is set; a password set by someone else must be changed
by its user before the account can act; username conflicts say nothing about other provinces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import common_passwords, password_problem
from app.audit.models import AuditEntry
from app.core.config import Settings
from tests.accounts.helpers import auth_headers, make_user
from tests.conftest import TEST_DATA_KEY

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"
CHANGE = "/api/v1/auth/password"
ME = "/api/v1/auth/me"
ROOT = Path(__file__).resolve().parents[2]
GOOD = "tram-hoa-sen-2026"


def body(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "lead79",
        "password": GOOD,
        "full_name": "Trần Văn Lead",
        "role": "unit_lead",
        "unit_code": "CAX-25747",
    }
    data.update(overrides)
    return data


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "password",
    [
        "123456789012",  # digits only, and common as a core
        "password1234",  # a common password with digits
        "Password2024!",  # its core is "password"
        "qwertyuiop12",
        "aaaaaaaaaaaaaaa",
        "abababababab",  # fewer than 5 different characters
        "matkhau@123456",  # curated Vietnamese list
        "x-lead79-x-lead79",  # contains the username
    ],
)
def test_policy_refuses_weak_passwords(password: str) -> None:
    assert password_problem(password, username="lead79") is not None


def test_policy_accepts_long_uncommon_passwords() -> None:
    assert len(common_passwords()) > 30_000 - 100
    for password in (GOOD, "correct horse battery staple", "Mưa rơi trên phố cổ 7"):
        assert password_problem(password, username="lead79") is None


@pytest.mark.parametrize("password", ["12345678", "a", "123456789012", "Password2024!"])
async def test_weak_passwords_are_refused_on_create_and_reset(client, db, app, password):
    admin = await make_user(db, role="admin", username="root")
    created = await client.post(
        USERS, json=body(password=password), headers=auth_headers(app, admin)
    )
    assert created.status_code == 422, created.text
    assert [e["field"] for e in created.json()["errors"]] == ["password"]

    officer = await make_user(db, role="officer", unit_code="CAX-25747")
    reset = await client.patch(
        f"{USERS}/{officer.id}", json={"password": password}, headers=auth_headers(app, admin)
    )
    assert reset.status_code == 422, reset.text


def test_production_refuses_a_weak_bootstrap_password_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env.update(
        TINBAO_MODE="production",
        TINBAO_SECRET_KEY="s" * 40,
        TINBAO_RECEIPT_KEY="r" * 40,
        TINBAO_DATA_KEYS=TEST_DATA_KEY,
        TINBAO_VAR_DIR=str(tmp_path),
        TINBAO_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TINBAO_BOOTSTRAP_ADMIN_PASSWORD="a",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import app.asgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2  # app.core.config.settings_or_exit: a configuration error
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tinbao: invalid configuration: TINBAO_BOOTSTRAP_ADMIN_PASSWORD")
    assert "Traceback" not in result.stderr


def test_production_accepts_a_strong_bootstrap_password(tmp_path: Path) -> None:
    settings = Settings(
        mode="production",
        secret_key="s" * 40,
        receipt_key="r" * 40,
        data_keys=[TEST_DATA_KEY],
        var_dir=tmp_path,
        bootstrap_admin_password=GOOD,
    )
    assert settings.bootstrap_admin_password == GOOD


async def test_development_does_not_create_an_admin_with_a_weak_password(app, db, settings):
    from app.main import create_app

    weak = create_app(settings.model_copy(update={"bootstrap_admin_password": "12345678"}))
    async with weak.router.lifespan_context(weak):
        pass
    assert (await db.scalars(select(User).where(User.role == "admin"))).all() == []


async def test_supervisor_cannot_log_in_as_the_lead_whose_password_they_set(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    created = await client.post(USERS, json=body(), headers=auth_headers(app, supervisor))
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]

    # The supervisor knows the password and logs in as the lead: the token can do nothing.
    login = await client.post(TOKEN, data={"username": "lead79", "password": GOOD})
    assert login.status_code == 200
    assert login.json()["password_change_required"] is True
    token = login.json()["access_token"]
    for method, url in (("GET", "/api/v1/tips"), ("GET", USERS), ("GET", "/api/v1/events")):
        refused = await client.request(method, url, headers=bearer(token))
        assert refused.status_code == 403, (url, refused.text)
        assert refused.json()["password_change_required"] is True
    me = await client.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.json()["password_change_required"] is True

    # A reset by the supervisor later: the same again.
    again = await client.patch(
        f"{USERS}/{lead_id}",
        json={"password": "another-known-pass"},
        headers=auth_headers(app, supervisor),
    )
    assert again.status_code == 200
    reset = (
        await db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user.updated", AuditEntry.object_id == lead_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    assert reset.actor_id == supervisor.id
    assert reset.data["changed"] == ["password"] and reset.data["must_change_password"] is True
    assert "another-known-pass" not in str(reset.data)
    login = await client.post(TOKEN, data={"username": "lead79", "password": "another-known-pass"})
    assert login.json()["password_change_required"] is True


async def test_user_changes_the_password_and_then_acts(client, db, app):
    admin = await make_user(db, role="admin", username="root")
    assert (
        await client.post(USERS, json=body(), headers=auth_headers(app, admin))
    ).status_code == 201
    first = (await client.post(TOKEN, data={"username": "lead79", "password": GOOD})).json()
    old = bearer(first["access_token"])

    wrong = await client.post(
        CHANGE,
        json={"current_password": "nope-nope-nope", "new_password": "lotus-pond-evening-9"},
        headers=old,
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["current_password"]
    weak = await client.post(
        CHANGE, json={"current_password": GOOD, "new_password": "password2024"}, headers=old
    )
    assert weak.status_code == 422
    assert [e["field"] for e in weak.json()["errors"]] == ["new_password"]
    same = await client.post(
        CHANGE, json={"current_password": GOOD, "new_password": GOOD}, headers=old
    )
    assert same.status_code == 422

    changed = await client.post(
        CHANGE, json={"current_password": GOOD, "new_password": "lotus-pond-evening-9"}, headers=old
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["password_change_required"] is False
    new = bearer(changed.json()["access_token"])
    assert (await client.get("/api/v1/tips", headers=new)).status_code == 200
    assert (await client.get(ME, headers=old)).status_code == 401  # earlier tokens end
    login = await client.post(
        TOKEN, data={"username": "lead79", "password": "lotus-pond-evening-9"}
    )
    assert login.json()["password_change_required"] is False
    entry = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "auth.password_changed"))
    ).one()
    assert entry.data == {"username": "lead79", "was_required": True}


async def test_api_keys_cannot_use_the_password_change(client, db, app):
    from tests.accounts.helpers import make_api_key

    _, key = await make_api_key(db, app, role="analyst", province_code="79")
    r = await client.post(
        CHANGE,
        json={"current_password": GOOD, "new_password": "lotus-pond-evening-9"},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 403


async def test_username_conflict_says_nothing_about_other_provinces(client, db, app):
    other = await make_user(db, role="analyst", province_code="01", username="hanoi-analyst")
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    r = await client.post(
        USERS, json=body(username="hanoi-analyst"), headers=auth_headers(app, supervisor)
    )
    assert r.status_code == 409
    problem = r.json()
    assert "errors" not in problem
    for leak in ("hanoi-analyst", "01", "taken", "đã được dùng", other.id):
        assert leak not in r.text, leak
    # The same answer in English.
    en = await client.post(
        USERS,
        json=body(username="hanoi-analyst"),
        headers={**auth_headers(app, supervisor), "Accept-Language": "en"},
    )
    assert en.json()["detail"] == "A user cannot be created with these details."
