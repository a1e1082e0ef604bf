"""`tinbao serve --worker-process` for real: the background runner in one `tinbao worker` child
(app.core.worker_process), the web worker with the scheduler off; the child restarted when it
dies, stopped with serve, and stopping by itself when serve is killed outright."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.hardening.server import Server
from tests.tips.helpers import TIPS, payload

STARTED = re.compile(r"background worker process started \(pid (\d+)\)")


def alive(pid: int) -> bool:
    """Running (a zombie left for a reaper that never comes counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


async def until(check, what: str, server: Server, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {server.output()[-3000:]}")
        await asyncio.sleep(0.2)


def children(server: Server) -> list[int]:
    return [int(pid) for pid in STARTED.findall(server.output())]


def unexpanded(engine: Engine, reference: str) -> int:
    """The tip's notice causes (its outbox rows) the runner has not expanded yet."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM notification_causes c JOIN tips t ON t.id = c.tip_id "
                "WHERE t.reference = :ref AND c.expanded_at IS NULL"
            ),
            {"ref": reference},
        ).scalar_one()


def causes(engine: Engine, reference: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM notification_causes c JOIN tips t ON t.id = c.tip_id "
                "WHERE t.reference = :ref"
            ),
            {"ref": reference},
        ).scalar_one()


def pause(child: int, settings: Settings) -> None:
    """SIGSTOP the child, at a moment it holds no SQLite write lock (a paused writer would
    hold intake up; on PostgreSQL its row locks are not intake's rows)."""
    for _ in range(100):
        os.kill(child, signal.SIGSTOP)
        if not settings.is_sqlite or _sqlite_writable(settings):
            return
        os.kill(child, signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("the worker process always held the write lock")


def _sqlite_writable(settings: Settings) -> bool:
    path = settings.database_url.partition(":///")[2]
    conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


async def _tip(client: httpx.AsyncClient) -> str:
    r = await client.post(TIPS, json=payload())
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


async def test_the_runner_runs_in_its_own_process(
    settings: Settings, db: AsyncSession, sync_engine: Engine, tmp_path: Path
) -> None:
    # The scheduler asked for on: serve still turns it off for the web worker.
    server = Server(
        settings,
        tmp_path / "server.log",
        args=("--worker-process",),
        TINBAO_SCHEDULER_ENABLED="true",
    )
    async with server, httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        assert server.process is not None
        await until(lambda: len(children(server)) == 1, "no worker process", server)
        [child] = children(server)
        assert alive(child) and child != server.process.pid
        assert b"worker" in Path(f"/proc/{child}/cmdline").read_bytes()

        # The child delivers: the tip's outbox rows (notice causes) are expanded.
        first = await _tip(client)
        assert causes(sync_engine, first) >= 1
        await until(lambda: unexpanded(sync_engine, first) == 0, "not delivered", server)

        # With the child paused nothing expands a new tip's rows: the web worker (one, in
        # serve's own process) runs no runner, though TINBAO_SCHEDULER_ENABLED=true was given.
        pause(child, settings)
        try:
            paused = await _tip(client)
            await asyncio.sleep(6)  # three of the runner's 2 s ticks
            assert unexpanded(sync_engine, paused) == causes(sync_engine, paused) >= 1
        finally:
            os.kill(child, signal.SIGCONT)
        await until(lambda: unexpanded(sync_engine, paused) == 0, "not resumed", server)

        # A child that dies is started again, and the new one delivers.
        os.kill(child, signal.SIGKILL)
        await until(lambda: len(children(server)) == 2, "not restarted", server)
        restarted = children(server)[1]
        assert "exited (status -9); restarting it" in server.output()
        later = await _tip(client)
        await until(lambda: unexpanded(sync_engine, later) == 0, "not delivered again", server)

    # serve stopped with SIGTERM: it stopped its child first, and kept SIGTERM's status.
    assert server.process.returncode == -signal.SIGTERM, server.output()[-3000:]
    assert not alive(child) and not alive(restarted)
    assert f"background worker process {restarted} stopped" in server.output()
    assert "did not stop" not in server.output()  # it stopped on SIGTERM, not SIGKILL


async def test_a_killed_serve_leaves_no_orphan(
    settings: Settings, db: AsyncSession, tmp_path: Path
) -> None:
    server = Server(settings, tmp_path / "server.log", args=("--worker-process",))
    async with server:
        await until(lambda: len(children(server)) == 1, "no worker process", server)
        [child] = children(server)
        server.kill()  # SIGKILL: serve cannot stop its child
        await until(lambda: not alive(child), "the child outlived serve", server, timeout=30)
