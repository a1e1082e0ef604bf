"""Review figures at national scale: two-dimension statistics, the review workbook, /metrics.

Against a database filled by ``tinbao dev generate`` (``--generate`` tops it up to
``--tips``), starts uvicorn on 127.0.0.1 and, as a supervisor of the province with the most
tips (created through the API), times one request at a time (p50/p95 of ``--repeat`` calls
after a warm-up):

* GET /stats/summary for the province and a year by two dimensions (``category,unit``,
  ``month,channel``, ``organization,movement_model``);
* GET /exports/review.xlsx for the province and the year: wall time of each download, and
  the server's resident memory (peak, sampled every 20 ms, against its level before);
* GET /metrics with the business sample taken (``TINBAO_METRICS_SAMPLE_SECONDS=0.001``: each
  scrape counts again) and served from the cache (the default 30 s).

Prints the figures and appends them to bench/results/<date>-<db>.md; asserts no timing.
Targets (issue 15): two-dimension province-year summary p95 <= 200 ms; review.xlsx for a
province-year < 10 s with resident memory < 400 MB.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import httpx
from harness import (
    ADMIN_PASSWORD,
    Report,
    RssSampler,
    Server,
    add_database_arguments,
    busiest,
    command_line,
    database_url,
    ensure_user,
    latency_row,
    login,
    mb,
    prepare_database,
    server_env,
    timings,
    top_up,
)

SUMMARY_TARGET = 0.200
REVIEW_TARGET = 10.0
RSS_TARGET = 400 * 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tips", type=int, default=1_000_000, help="tips expected in the db")
    parser.add_argument("--generate", action="store_true", help="top the database up first")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per request")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first")
    parser.add_argument("--reviews", type=int, default=5, help="review.xlsx downloads timed")
    parser.add_argument("--year", type=int, help="statistics year (default: last year)")
    parser.add_argument("--budget", type=float, default=60.0, help="max timed seconds each")
    args = parser.parse_args()

    url = database_url(args)
    env = server_env(url, scheduler=False)
    prepare_database(env)
    count = top_up(url, env, args.tips, args.generate)
    report = Report("bench_review", url, command=command_line())
    if count < args.tips:
        report.line(f"**the database holds {count:,} tips, fewer than {args.tips:,}**")
    _, province = busiest(url)
    year = args.year or datetime.now(UTC).year - 1
    period = f"year:{year}"
    rows: list[list[str]] = []

    def record(name: str, latencies: list[float], target: float | None, note: str) -> None:
        rows.append(latency_row(name, latencies, target, note))

    with (
        Server(url, workers=1, env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        admin = login(client, "admin", ADMIN_PASSWORD)
        supervisor = ensure_user(
            client,
            admin,
            username=f"bench-supervisor-{province}",
            role="province_supervisor",
            province_code=province,
        )
        report.line(
            f"database: {count:,} tips; supervisor of province {province}, {period}; one "
            f"uvicorn worker, one client, requests one at a time"
        )
        for dims in ("category,unit", "month,channel", "organization,movement_model"):
            latencies, answer = timings(
                client,
                "/api/v1/stats/summary",
                headers=supervisor,
                params={"province_code": province, "period": period, "group_by": dims},
                repeat=args.repeat,
                warmup=args.warmup,
                budget=args.budget,
            )
            body = answer.json()
            record(
                f"stats/summary, province-year, group_by={dims}",
                latencies,
                SUMMARY_TARGET,
                f"{body['total']:,} tips, {len(body['groups'])} groups",
            )

        rss_before = max(server.worker_rss())
        sampler = RssSampler(server)
        sampler.start()
        review: list[float] = []
        size = 0
        for _ in range(args.reviews):
            started = time.perf_counter()
            answer = client.get(
                "/api/v1/exports/review.xlsx",
                headers=supervisor,
                params={"province_code": province, "period": period},
            )
            review.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"review.xlsx: {answer.status_code} {answer.text[:300]}")
            size = len(answer.content)
        peak = sampler.stop()
        record(
            "exports/review.xlsx, province-year",
            review,
            REVIEW_TARGET,
            f"{size / 1024:.0f} KB; server RSS {mb(rss_before)} before, peak {mb(peak)} "
            f"(< {mb(RSS_TARGET)}: {'met' if peak < RSS_TARGET else 'MISSED'})",
        )
        latencies, _ = timings(client, "/metrics", repeat=args.repeat, warmup=1, budget=args.budget)
        record("/metrics, sample cached (30 s TTL)", latencies, None, "")

    sampling_env = {**env, "TINBAO_METRICS_SAMPLE_SECONDS": "0.001"}
    with (
        Server(url, workers=1, env=sampling_env) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        latencies, _ = timings(client, "/metrics", repeat=args.repeat, warmup=1, budget=args.budget)
        record("/metrics, sample taken on every scrape", latencies, None, "open + overdue counts")

    report.table(["request", "p50", "p95", "max", "target", "note"], rows)
    report.save()


if __name__ == "__main__":
    main()
