"""What bench_intake.py measures beside the app: the raw-asyncpg peer (bench/peer_intake.py)
in a child process, pgbench running bench/intake.pgbench, and the counters every phase reads
the same way (a process's own CPU time, PostgreSQL backends' CPU time, pg_stat_database).
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import psutil
from harness import ROOT, STATE_DIR, VENV_BIN, free_port, sql


def process_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (their own, not their children's)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def backend_cpu(dbname: str) -> dict[int, float]:
    """CPU seconds of every PostgreSQL backend connected to ``dbname`` (by its ps title)."""
    found: dict[int, float] = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            title = " ".join(proc.info["cmdline"] or ())
            if proc.info["name"] != "postgres" and not title.startswith("postgres:"):
                continue
            if f" {dbname} " not in f"{title} ":
                continue
            times = proc.cpu_times()
            found[proc.pid] = times.user + times.system
        except psutil.Error:
            continue
    return found


def backend_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


STAT_COLUMNS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_fetched")


def db_stats(url: str) -> dict[str, int]:
    """pg_stat_database's counters for the current database (backends flush them when a
    transaction ends, at most once a second, and when they exit)."""
    row = sql(
        url,
        f"SELECT {', '.join(STAT_COLUMNS)} FROM pg_stat_database "
        "WHERE datname = current_database()",
    )[0]
    return dict(zip(STAT_COLUMNS, (int(v) for v in row), strict=True))


def stats_delta(before: dict[str, int], after: dict[str, int], tips: int) -> str:
    if tips <= 0:
        return "-"
    per = {k: (after[k] - before[k]) / tips for k in STAT_COLUMNS}
    return (
        f"{per['xact_commit']:.2f} commits, {per['tup_inserted']:.1f} rows inserted, "
        f"{per['tup_updated']:.1f} updated, {per['tup_fetched']:.1f} fetched"
    )


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def setup_peer(url: str) -> None:
    subprocess.run(
        [
            str(VENV_BIN / "python"),
            str(ROOT / "bench" / "peer_intake.py"),
            "--setup",
            f"--database-url={url}",
        ],
        check=True,
        cwd=ROOT,
    )


@dataclass
class Peer:
    """bench/peer_intake.py under uvicorn (one process), on 127.0.0.1."""

    url: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Peer:
        import socket

        self.port = free_port()
        log = (STATE_DIR / "peer.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "python"),
                str(ROOT / "bench" / "peer_intake.py"),
                f"--database-url={self.url}",
                f"--port={self.port}",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the peer exited; see {STATE_DIR / 'peer.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /readyz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("the peer did not become ready in time")

    def worker_pids(self) -> list[int]:
        return [self.process.pid] if self.process is not None else []

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def pgbench(url: str, *, clients: int, seconds: float) -> dict[str, Any]:
    """pgbench with bench/intake.pgbench: transactions per second, latency, backend CPU."""
    name = dbname(url)
    before = backend_cpu(name)
    stats = db_stats(url)
    command = [
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-f",
        str(ROOT / "bench" / "intake.pgbench"),
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(int(seconds)),
        url,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
    )
    # Its backends end with it: sample their CPU while it runs and keep the last reading
    # (what the last quarter second costs is lost: about 1 % of the run).
    seen: dict[int, float] = {}
    while process.poll() is None:
        seen.update(backend_cpu(name))
        time.sleep(0.25)
    out = process.stdout.read() if process.stdout is not None else ""
    if process.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{out[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+) \(without", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"actually processed: (\d+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))  # type: ignore[union-attr]
    time.sleep(0.5)
    return {
        "tps": tps,
        "count": count,
        "latency_ms": latency,
        "stats": stats_delta(stats, db_stats(url), count),
        "backend_cpu": backend_delta(before, seen),
    }
