"""Points per second of the commune locator (target: 20,000/s in-process), and the resident
memory of a server worker with the boundaries loaded (target: <= 400 MB per worker).

In-process: the time to load the shipped boundaries, then ``locate`` on the communes'
inside points and on random points of Vietnam's bounding box, and ``locate_many``.
Server: starts uvicorn (``--workers``) on 127.0.0.1 against the benchmark database, asks
GET /api/v1/admin-units/locate a few hundred times (every worker loads the boundaries at
start-up), and reads each worker's resident set size. Prints figures; with ``--save`` also
appends them to bench/results/<date>-<db>.md. Asserts no timing.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

import httpx
from harness import (
    Report,
    Server,
    add_database_arguments,
    command_line,
    database_url,
    mb,
    prepare_database,
    rss_bytes,
    server_env,
)

from app.admin_units.geo import get_locator

DATA = Path(__file__).resolve().parents[1] / "app" / "admin_units" / "data" / "communes.csv"


def in_process(report: Report) -> None:
    import os

    rss_start = rss_bytes(os.getpid())
    started = time.perf_counter()
    locator = get_locator()
    report.line(
        f"- load: {time.perf_counter() - started:.3f} s for {len(locator)} communes; "
        f"this process grew by {mb(rss_bytes(os.getpid()) - rss_start)}"
    )
    with DATA.open(encoding="utf-8") as f:
        inside = [(float(r["inside_lat"]), float(r["inside_lon"])) for r in csv.DictReader(f)]
    rng = random.Random(1)
    anywhere = [(rng.uniform(8.0, 23.5), rng.uniform(102.0, 110.0)) for _ in range(20_000)]
    for name, points in (("inside points", inside * 5), ("random in bbox", anywhere)):
        started = time.perf_counter()
        for lat, lon in points:
            locator.locate(lat, lon)
        rate = len(points) / (time.perf_counter() - started)
        verdict = "met" if rate >= 20_000 else "MISSED"
        report.line(f"- locate, {name}: {rate:,.0f} points/s (target >= 20,000: {verdict})")
    started = time.perf_counter()
    locator.locate_many([p[0] for p in anywhere], [p[1] for p in anywhere])
    rate = len(anywhere) / (time.perf_counter() - started)
    report.line(f"- locate_many: {rate:,.0f} points/s")


def server_memory(report: Report, url: str, workers: int) -> None:
    env = server_env(url, scheduler=False)
    prepare_database(env)
    with DATA.open(encoding="utf-8") as f:
        inside = [(r["inside_lat"], r["inside_lon"]) for r in csv.DictReader(f)]
    with (
        Server(url, workers=workers, env=env) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        idle = server.worker_rss()
        found = 0
        for lat, lon in random.Random(2).sample(inside, 300):
            answer = client.get("/api/v1/admin-units/locate", params={"lat": lat, "lon": lon})
            found += answer.status_code == 200
        busy = server.worker_rss()
    verdict = "met" if max(busy) <= 400 * 2**20 else "MISSED"
    report.line(
        f"- server ({workers} uvicorn worker(s), boundaries loaded at start-up): resident "
        f"memory per worker {', '.join(mb(r) for r in idle)} idle, "
        f"{', '.join(mb(r) for r in busy)} after 300 locate requests ({found} found) "
        f"(target <= 400 MB: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--server", action=argparse.BooleanOptionalAction, default=True, help="measure RSS"
    )
    parser.add_argument("--save", action="store_true", help="append to bench/results/")
    args = parser.parse_args()
    url = database_url(args)
    report = Report("bench_locate", url, command=command_line())
    in_process(report)
    if args.server:
        server_memory(report, url, args.workers)
    if args.save:
        report.save()


if __name__ == "__main__":
    main()
