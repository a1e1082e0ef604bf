"""TINBAO_BOOTSTRAP_ADMIN_PASSWORD creates user `admin` once, however many workers start."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from app.accounts.models import User
from app.main import create_app
from tests.accounts.helpers import make_user

PASSWORD = "bootstrap-pass-1"


def app_with_bootstrap(settings, password=PASSWORD):
    return create_app(settings.model_copy(update={"bootstrap_admin_password": password}))


async def start_and_stop(application) -> None:
    async with application.router.lifespan_context(application):
        pass


async def admins(db) -> list[User]:
    return list((await db.execute(select(User).where(User.role == "admin"))).scalars())


async def test_no_password_no_admin(app, db):
    # The `app` fixture has started without a bootstrap password.
    assert await admins(db) == []


async def test_bootstrap_admin_is_created_once(app, db, client, settings):
    await start_and_stop(app_with_bootstrap(settings))
    await start_and_stop(app_with_bootstrap(settings, password="another-pass-2"))

    created = await admins(db)
    assert [u.username for u in created] == ["admin"]
    ok = await client.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
    assert ok.status_code == 200
    changed = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": "another-pass-2"}
    )
    assert changed.status_code == 401


async def test_workers_starting_together_create_one_admin(app, db, settings):
    workers = [app_with_bootstrap(settings) for _ in range(4)]

    await asyncio.gather(*(start_and_stop(w) for w in workers))

    assert len(await admins(db)) == 1
    count = (await db.execute(select(func.count()).select_from(User))).scalar_one()
    assert count == 1


async def test_existing_admin_means_no_bootstrap(app, db, settings):
    await make_user(db, role="admin", username="chief")

    await start_and_stop(app_with_bootstrap(settings))

    assert [u.username for u in await admins(db)] == ["chief"]
