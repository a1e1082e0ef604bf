"""`tinbao migrate` from several replicas at once on an empty database: one migrates, the
others wait and find nothing to do; an un-migrated database says "run `tinbao migrate`"."""

from __future__ import annotations

import logging
import subprocess
import sys

from app.core.migrate import current_revision
from app.core.ops import migration_head
from tests.hardening.conftest import client_for, running
from tests.hardening.server import server_env

CLI = [sys.executable, "-c", "from app.cli import main; main()"]


def test_concurrent_migrations_run_once(settings, empty_database):
    url = empty_database("migrate")
    env = server_env(settings, TINBAO_DATABASE_URL=url)
    processes = [
        subprocess.Popen(
            [*CLI, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    migrated = [o for o in outputs if "migrated: empty database ->" in o]
    waited = [o for o in outputs if "nothing to do" in o]
    assert len(migrated) == 1 and len(waited) == 2, outputs
    assert current_revision(settings.model_copy(update={"database_url": url})) == migration_head()


async def test_unmigrated_database_says_run_tinbao_migrate(settings, empty_database, caplog):
    url = empty_database("unmigrated")
    caplog.set_level(logging.ERROR, logger="tinbao")
    async with running(settings, database_url=url) as api, client_for(api) as client:
        r = await client.get("/readyz", headers={"Accept-Language": "en"})
        assert r.status_code == 503
        assert "run `tinbao migrate`" in r.json()["detail"]
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "tinbao"]
    assert any("run `tinbao migrate`" in line for line in lines), lines
