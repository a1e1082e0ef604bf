"""Scaling out: intake throughput and p99 with 1, 2 and 3 instances behind nginx, in one run.

Each instance is `tinbao serve --workers 2` (as in production), all on one PostgreSQL
database and one Redis (shared rate limits, raised out of the way), behind Debian's nginx
(tests/deploy/nginx.py: the same proxy configuration the deployment test uses). For each
step the load generator (bench/loadgen.py, its own process) drives intake through nginx in
a closed loop for ``--seconds``; meanwhile psutil measures the CPU time of the PostgreSQL
backends serving this database, of the app instances and of nginx, as a share of the
machine. Appends the table to bench/results/<date>-postgresql.md. Asserts no timing.

    python bench/bench_scale.py --database-url postgresql://postgres@127.0.0.1:5432/tinbao_bench
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from bench_intake import load
from harness import (
    ROOT,
    Report,
    add_database_arguments,
    command_line,
    database_url,
    ms,
    percentile,
    prepare_database,
    server_env,
)

sys.path.insert(0, str(ROOT))
from tests.deploy.instance import Instance
from tests.deploy.nginx import Nginx, proxy_site
from tests.deploy.ports import free_port


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    times = {}
    for process in processes:
        try:
            t = process.cpu_times()
            times[process.pid] = t.user + t.system
        except psutil.Error:
            pass
    return times


def postgres_backends(database: str) -> list[psutil.Process]:
    """The server processes serving `database` (their title: `postgres: user db ...`)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if title.startswith("postgres:") and f" {database} " in f"{title} ":
            found.append(process)
    return found


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def step(
    count: int, env: dict[str, str], database: str, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    ports = [free_port() for _ in range(count)]
    instances = [Instance(f"app{i}", port, env, tmp, workers=2) for i, port in enumerate(ports)]
    nginx_port = free_port()
    nginx = Nginx(tmp / f"nginx{count}", proxy_site(nginx_port, ports), nginx_port)
    try:
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_ready(180)
        nginx.start()

        class Target:  # what bench_intake.load needs: a port
            port = nginx_port

        load(Target(), "healthz", count=2000, duration=2, concurrency=8, seed=count)  # warm-up
        app_processes = [p for i in instances for p in tree(i.process.pid)]  # type: ignore[union-attr]
        nginx_processes = tree(nginx.process.pid)  # type: ignore[union-attr]
        pg_before = cpu_seconds(postgres_backends(database))
        app_before = cpu_seconds(app_processes)
        nginx_before = cpu_seconds(nginx_processes)
        machine_before = psutil.cpu_times()
        started = time.perf_counter()
        result = load(
            Target(),
            "intake",
            count=args.max_requests,
            duration=args.seconds,
            concurrency=args.concurrency,
            seed=100 + count,
        )
        wall = time.perf_counter() - started
        machine_after = psutil.cpu_times()
        pg = used(pg_before, cpu_seconds(postgres_backends(database)))
        app = used(app_before, cpu_seconds(app_processes))
        proxy = used(nginx_before, cpu_seconds(nginx_processes))
        busy = (
            sum(machine_after)
            - sum(machine_before)
            - (machine_after.idle - machine_before.idle)
            - (getattr(machine_after, "iowait", 0) - getattr(machine_before, "iowait", 0))
        )
        capacity = wall * psutil.cpu_count()
        latencies = result["latencies"]
        ok = int(result["statuses"].get("201", 0))
        return {
            "instances": count,
            "tips_per_s": ok / result["elapsed"],
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "errors": result["sent"] - ok,
            "pg_share": pg / capacity,
            "app_share": app / capacity,
            "nginx_share": proxy / capacity,
            "busy_share": busy / capacity,
            "pg_cpu_per_tip_ms": 1000 * pg / max(ok, 1),
            "app_cpu_per_tip_ms": 1000 * app / max(ok, 1),
        }
    finally:
        nginx.stop()
        for instance in instances:
            instance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_arguments(parser)
    parser.add_argument("--seconds", type=float, default=15.0, help="load per step")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=30_000)
    parser.add_argument(
        "--redis-url", default=os.environ.get("TINBAO_REDIS_URL", "redis://127.0.0.1:6379/6")
    )
    args = parser.parse_args()
    url = database_url(args)
    database = url.rsplit("/", 1)[1]
    env = server_env(url, scheduler=False, redis_url=args.redis_url, trusted_proxies="127.0.0.1/32")
    prepare_database(env)
    report = Report("Scaling out: 1-3 instances behind nginx (bench_scale.py)", url, command_line())
    report.line(
        f"Each instance `tinbao serve --workers 2`; nginx round robin; closed loop, "
        f"{args.concurrency} connections, {args.seconds:.0f} s per step; CPU shares are of "
        f"the whole machine ({psutil.cpu_count()} CPUs): PostgreSQL = the backends of "
        f"`{database}` only."
    )
    report.line()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinbao-scale-") as tmp:
        for count in (1, 2, 3):
            s = step(count, env, database, args, Path(tmp))
            print(s, flush=True)
            rows.append(
                [
                    s["instances"],
                    f"{s['tips_per_s']:.0f}",
                    ms(s["p50"]),
                    ms(s["p99"]),
                    s["errors"],
                    f"{100 * s['pg_share']:.0f} %",
                    f"{s['pg_cpu_per_tip_ms']:.1f} ms",
                    f"{100 * s['app_share']:.0f} %",
                    f"{s['app_cpu_per_tip_ms']:.1f} ms",
                    f"{100 * s['nginx_share']:.0f} %",
                    f"{100 * s['busy_share']:.0f} %",
                ]
            )
    report.table(
        [
            "instances",
            "tips/s",
            "p50",
            "p99",
            "non-201",
            "PostgreSQL CPU",
            "PG CPU per tip",
            "app CPU",
            "app CPU per tip",
            "nginx CPU",
            "machine busy",
        ],
        rows,
    )
    report.save()


if __name__ == "__main__":
    main()
