"""Statistics read a real streaming replica, made here: a primary cluster (initdb) and a
replica (pg_basebackup -R) with Debian's PostgreSQL binaries, on loopback ports of the test
range, in a temporary directory removed afterwards. With replay paused, a new tip is on the
primary only: the replica-reading app still counts the old total; an app whose lag bound is
exceeded reads the primary and counts the new one."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core.config import driver_url
from app.core.migrate import migrate
from app.core.replica import READS
from app.reference_data import load_reference_data
from tests import needs
from tests.accounts.helpers import auth_headers, make_user
from tests.deploy.ports import free_port
from tests.hardening.conftest import client_for, running
from tests.tips.helpers import payload

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1:] or [""]
PG_BIN = Path(os.environ.get("TINBAO_TEST_PG_BIN", BIN[0]))  # Debian's server binaries


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    command = [str(PG_BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=True, **kwargs
    )  # type: ignore[call-overload]


class Cluster:
    def __init__(self, root: Path, name: str, port: int) -> None:
        self.data = root / name
        self.port = port
        self.root = root
        self.url = f"postgresql://postgres@127.0.0.1:{port}/tinbao"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        _as_postgres(
            ["pg_ctl", "-D", str(self.data), "-l", f"{self.data}.log", "-w", "-o", options, "start"]
        )

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [
                    *(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []),
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )

    def scalar(self, sql: str, database: str = "tinbao") -> object:
        engine = create_engine(
            driver_url(f"postgresql://postgres@127.0.0.1:{self.port}/{database}", async_=False),
            isolation_level="AUTOCOMMIT",
        )
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


@pytest.fixture
def streaming_pair() -> Iterator[tuple[Cluster, Cluster]]:
    needs.program("initdb", "postgresql", path=str(PG_BIN / "initdb"))
    root = Path(tempfile.mkdtemp(prefix="tinbao-replica-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(root, "primary", free_port())
    replica = Cluster(root, "replica", free_port())
    try:
        _as_postgres(
            [
                "initdb",
                "-D",
                str(primary.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        with open(primary.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        primary.start()
        primary.scalar("CREATE DATABASE tinbao", database="postgres")
        _as_postgres(
            [
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(replica.data),
                "-R",
                "-X",
                "stream",
            ]
        )
        replica.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait(condition, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out: {what}")


def _caught_up(primary: Cluster, replica: Cluster) -> bool:
    target = primary.scalar("SELECT pg_current_wal_lsn()::text")
    return bool(replica.scalar(f"SELECT pg_last_wal_receive_lsn() >= '{target}'::pg_lsn"))


async def test_stats_read_the_replica_within_the_lag_bound(settings, streaming_pair, tmp_path):
    primary, replica = streaming_pair
    base = settings.model_copy(
        update={
            "database_url": primary.url,
            "database_replica_url": replica.url,
            "media_dir": tmp_path / "media",
        }
    )
    migrate(base)
    engine = create_engine(driver_url(primary.url, async_=False))
    with engine.begin() as conn:
        load_reference_data(conn)
    engine.dispose()
    assert replica.scalar("SELECT pg_is_in_recovery()") is True

    tolerant = {"replica_max_lag_seconds": 3600.0}
    strict = {"replica_max_lag_seconds": 0.0}
    async with running(base, **tolerant) as lagging_ok, running(base, **strict) as fresh_only:
        async with lagging_ok.state.sessionmaker() as db:
            admin = await make_user(db, role="admin")
        headers = auth_headers(lagging_ok, admin)
        async with client_for(lagging_ok) as a, client_for(fresh_only) as b:
            assert (await a.post("/api/v1/tips", json=payload())).status_code == 201
            _wait(lambda: _caught_up(primary, replica), "replica catches up")
            _wait(lambda: replica.scalar("SELECT count(*) FROM tips") == 1, "tip replayed")
            replica.scalar("SELECT pg_wal_replay_pause()")
            # Written to the primary; received by the replica but not replayed.
            assert (await a.post("/api/v1/tips", json=payload())).status_code == 201
            _wait(lambda: _caught_up(primary, replica), "replica receives the WAL")
            assert replica.scalar("SELECT count(*) FROM tips") == 1
            assert primary.scalar("SELECT count(*) FROM tips") == 2

            served = READS.labels("replica")._value.get()
            r = await a.get("/api/v1/stats/summary", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["total"] == 1  # the replica's (lagging) answer
            assert READS.labels("replica")._value.get() == served + 1

            primary_reads = READS.labels("primary")._value.get()
            r = await b.get("/api/v1/stats/summary", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["total"] == 2  # lag over the bound: the primary
            assert READS.labels("primary")._value.get() == primary_reads + 1

            # The queue never reads the replica: both apps see the new tip there.
            r = await a.get("/api/v1/tips", headers=headers)
            assert r.status_code == 200 and len(r.json()["items"]) == 2
            replica.scalar("SELECT pg_wal_replay_resume()")
