"""What the benchmarks share: the database to run against, a uvicorn server in a child
process, logging in and timing requests over HTTP, the machine's description, resident memory
of processes, percentiles and the results file (bench/results/<date>-<db>.md).

Everything runs on loopback (127.0.0.1) against a database of its own: TinBáo's settings
come from the environment built by :func:`server_env`, with state under ``var/bench/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RESULTS_DIR = ROOT / "bench" / "results"
STATE_DIR = ROOT / "var" / "bench"
DEFAULT_URLS = {
    "sqlite": f"sqlite:///{STATE_DIR / 'tinbao-bench.db'}",
    "postgresql": "postgresql://postgres@127.0.0.1:5432/tinbao_bench",
}
# Must pass the password policy (it may not contain the username "admin").
ADMIN_PASSWORD = "bench-root-password-0001"
STAFF_PASSWORD = "bench-staff-password-0001"
INITIAL_PASSWORD = "bench-initial-password-0001"
UNLIMITED = "100000000/minute"


# --- the database ---------------------------------------------------------------------


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        choices=sorted(DEFAULT_URLS),
        default="postgresql",
        help="which database (default: postgresql, database tinbao_bench)",
    )
    parser.add_argument("--database-url", help="overrides --db's default URL")


def database_url(args: argparse.Namespace) -> str:
    return str(args.database_url or DEFAULT_URLS[args.db])


def db_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def server_env(
    url: str,
    *,
    scheduler: bool | None = None,
    redis_url: str | None = None,
    trusted_proxies: str | None = None,
    max_queued_writes: int | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The environment of every TinBáo process of a benchmark: the database, state under
    var/bench (its development secrets are shared by server and generator), rate limits
    raised out of the way, an admin to log in as.

    The settings benchmarks vary, by name (None: the app's default): ``scheduler`` (the
    in-process background runner), ``redis_url`` (shared rate limits), ``trusted_proxies``
    (behind nginx), ``max_queued_writes`` (intake admission, 0 = no bound); any other
    ``TINBAO_`` setting as ``overrides``."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    env.update(
        {
            "TINBAO_DATABASE_URL": url,
            "TINBAO_VAR_DIR": str(STATE_DIR),
            "TINBAO_MEDIA_DIR": str(STATE_DIR / "media"),
            "TINBAO_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "TINBAO_RATE_LIMIT_INTAKE": UNLIMITED,
            "TINBAO_RATE_LIMIT_LOGIN": UNLIMITED,
            "TINBAO_RATE_LIMIT_TRACK_FAILURES": UNLIMITED,
            "TINBAO_LOG_LEVEL": "WARNING",
            "TINBAO_DOCS_ENABLED": "false",
        }
    )
    named = {
        "TINBAO_SCHEDULER_ENABLED": None if scheduler is None else str(scheduler).lower(),
        "TINBAO_REDIS_URL": redis_url,
        "TINBAO_TRUSTED_PROXIES": trusted_proxies,
        "TINBAO_MAX_QUEUED_WRITES": None if max_queued_writes is None else str(max_queued_writes),
    }
    env.update({key: value for key, value in named.items() if value is not None})
    env.update(overrides)
    return env


def tinbao(env: dict[str, str], *args: str, quiet: bool = True) -> str:
    """Run a `tinbao` CLI command (migrate, load-reference-data, dev generate); its output
    is returned when ``quiet``, else shown as it comes."""
    done = subprocess.run(
        [str(VENV_BIN / "tinbao"), *args],
        env=env,
        cwd=ROOT,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"tinbao {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout or ""


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and load the reference data (both idempotent)."""
    tinbao(env, "migrate")
    tinbao(env, "load-reference-data")


def sql(url: str, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """A read-only query with the plain driver (no TinBáo code in the measuring process)."""
    if db_kind(url) == "sqlite":
        path = url.split(":///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return list(conn.execute(query.replace("%s", "?"), tuple(params)))
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(query, tuple(params) if params else None).fetchall())


def top_up(url: str, env: dict[str, str], tips: int, generate: bool) -> int:
    """The number of tips in the database, after ``tinbao dev generate`` has topped it up to
    ``tips`` when ``generate`` is set."""
    count = int(sql(url, "SELECT count(*) FROM tips")[0][0])
    if count < tips and generate:
        print(f"generating {tips - count:,} tips (the database holds {count:,})")
        started = time.perf_counter()
        tinbao(env, "dev", "generate", "--tips", str(tips - count), quiet=False)
        print(f"generated in {time.perf_counter() - started:.0f} s")
        count = int(sql(url, "SELECT count(*) FROM tips")[0][0])
    return count


def busiest(url: str) -> tuple[str, str]:
    """The commune police holding the most tips, and the province with the most tips."""
    unit = sql(
        url,
        "SELECT assigned_unit_code, count(*) FROM tips WHERE assigned_unit_code LIKE 'CAX-%' "
        "GROUP BY assigned_unit_code ORDER BY count(*) DESC LIMIT 1",
    )
    province = sql(
        url,
        "SELECT province_code, count(*) FROM tips GROUP BY province_code "
        "ORDER BY count(*) DESC LIMIT 1",
    )
    if not unit or not province:
        raise SystemExit("no tips: run with --generate, or `tinbao dev generate --tips N`")
    return str(unit[0][0]), str(province[0][0])


# --- processes -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _is_spawned_worker(pid: int) -> bool:
    """uvicorn's workers, not multiprocessing's resource tracker."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"spawn_main" in f.read()
    except OSError:
        return False


@dataclass
class Server:
    """A uvicorn server for the benchmark, in a child process on 127.0.0.1."""

    url: str
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    # None: plain uvicorn; else `tinbao serve` with these extra options (e.g. --worker-process)
    serve: tuple[str, ...] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300.0) -> None:
        self.port = free_port()
        command = [
            str(VENV_BIN / "python"),
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        if self.serve is not None:
            command = [
                *(str(VENV_BIN / "python"), "-m", "app.cli", "serve", "--host", "127.0.0.1"),
                *("--port", str(self.port), "--workers", str(self.workers), *self.serve),
            ]
        log = (STATE_DIR / "server.log").open("ab")
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited; see {STATE_DIR / 'server.log'}")
            if self._ready():
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not become ready in time")

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                head = s.recv(64)
        except OSError:
            return False
        if not head.startswith(b"HTTP/1.1 200"):
            return False
        # Every worker must be up (uvicorn starts them one by one).
        return self.workers == 1 or len(self.worker_pids()) == self.workers

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (the main one when there is one worker)."""
        if self.process is None:
            return []
        if self.workers == 1:
            return [self.process.pid]
        return [pid for pid in children(self.process.pid) if _is_spawned_worker(pid)]

    def worker_rss(self) -> list[int]:
        return [rss_bytes(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RssSampler(threading.Thread):
    """The largest resident size of some processes, sampled until stopped."""

    def __init__(self, server: Server, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.every = every
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, *self.server.worker_rss(), 0)
            time.sleep(self.every)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


# --- requests over HTTP ----------------------------------------------------------------


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    if answer.status_code != 200:
        raise SystemExit(f"cannot log in as {username}: {answer.status_code} {answer.text}")
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def ensure_user(client: httpx.Client, admin: dict[str, str], **fields: str) -> dict[str, str]:
    """Create the user (or find it from an earlier run) and log in. A password the admin set
    must be replaced by its user before anything else (403 otherwise): a new user changes it
    from ``INITIAL_PASSWORD`` to ``STAFF_PASSWORD`` first."""
    body = {"password": INITIAL_PASSWORD, "full_name": f"Bench {fields['role']}", **fields}
    answer = client.post("/api/v1/users", json=body, headers=admin)
    if answer.status_code not in (201, 409):
        raise SystemExit(f"cannot create {fields['username']}: {answer.status_code} {answer.text}")
    if answer.status_code == 201:
        first = login(client, fields["username"], INITIAL_PASSWORD)
        change = {"current_password": INITIAL_PASSWORD, "new_password": STAFF_PASSWORD}
        client.post("/api/v1/auth/password", json=change, headers=first).raise_for_status()
    return login(client, fields["username"], STAFF_PASSWORD)


def timings(
    client: httpx.Client,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    params: Any = None,
    repeat: int,
    warmup: int,
    budget: float = 60.0,
) -> tuple[list[float], httpx.Response]:
    """``repeat`` timed calls after ``warmup`` untimed ones; a slow request stops after
    ``budget`` seconds of timed calls (at least 5 calls), so a missed target cannot make the
    run last for hours."""
    answer = None
    for _ in range(warmup):
        answer = client.get(path, headers=headers, params=params)
    latencies: list[float] = []
    for _ in range(repeat):
        if len(latencies) >= 5 and sum(latencies) > budget:
            break
        started = time.perf_counter()
        answer = client.get(path, headers=headers, params=params)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} {params}: {answer.status_code} {answer.text[:300]}")
    assert answer is not None
    return latencies, answer


# --- figures -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (p in 0..100); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_row(
    name: str, latencies: Sequence[float], target: float | None, note: str
) -> list[str]:
    """A results-table row: name, p50, p95, max, the p95 target and whether it was met, note."""
    p95 = percentile(latencies, 95)
    verdict = "" if target is None else ("met" if p95 <= target else "MISSED")
    return [
        name,
        ms(percentile(latencies, 50)),
        ms(p95),
        ms(max(latencies)),
        f"<= {ms(target)} ({verdict})" if target else "",
        note,
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mb(size: int | float) -> str:
    return f"{size / 2**20:.0f} MB"


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"load average: {loadavg()}"


def machine(url: str) -> dict[str, str]:
    """What the figures depend on."""
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    if db_kind(url) == "postgresql":
        rows = sql(url, "SELECT version()")
        names = ("shared_buffers", "work_mem", "max_connections", "synchronous_commit")
        settings = {name: sql(url, f"SELECT current_setting('{name}')")[0][0] for name in names}
        tuning = ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        database = f"{rows[0][0].split(' on ')[0]} ({tuning})"
    else:
        database = f"SQLite {sqlite3.sqlite_version} (WAL)"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "database": database,
        "os": platform.platform(),
    }


# --- results -----------------------------------------------------------------------------


@dataclass
class Report:
    """One benchmark's section of bench/results/<date>-<db>.md (also printed)."""

    name: str
    url: str
    command: str = ""
    topic: str = ""  # results file bench/results/<date>-<topic>.md; default: the database kind
    lines: list[str] = field(default_factory=list)
    load_before: str = field(default_factory=uptime)

    def line(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.line("| " + " | ".join(header) + " |")
        self.line("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.line("| " + " | ".join(str(v) for v in row) + " |")
        self.line()

    def save(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        kind = db_kind(self.url)
        path = RESULTS_DIR / f"{datetime.now():%Y-%m-%d}-{self.topic or kind}.md"
        new = not path.exists()
        with path.open("a", encoding="utf-8") as f:
            if new:
                f.write(f"# Benchmarks, {datetime.now():%Y-%m-%d}, {self.topic or kind}\n\n")
                for key, value in machine(self.url).items():
                    f.write(f"- {key}: {value}\n")
                f.write("\n")
            f.write(f"## {self.name} ({datetime.now():%H:%M})\n\n")
            if self.command:
                f.write(f"`{self.command}`\n\n")
            f.write(f"- load before: `{self.load_before}`\n")
            f.write(f"- load after: `{uptime()}`\n\n")
            f.write("\n".join(self.lines).rstrip() + "\n\n")
        print(f"\nwritten to {path.relative_to(ROOT)}")
        return path


def command_line() -> str:
    return " ".join(["python", *[a if " " not in a else json.dumps(a) for a in sys.argv]])


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` holds the seconds taken."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)
