"""Queue, statistics and export latency at national scale (1,000,000 tips), over HTTP.

Against a database filled by ``tinbao dev generate`` (``--generate`` tops it up to
``--tips``), starts uvicorn on 127.0.0.1 and, as users it creates through the API (an officer
of the busiest commune police, a supervisor and an analyst of the busiest province, the
bootstrap admin), times requests one at a time (p50/p95 of ``--repeat`` calls after a
warm-up):

* the commune officer's queue: the first page, and a deep page reached by following
  ``next_cursor`` ``--deep-pages`` times;
* a filtered supervisor queue (open statuses, one category, by due date) and a text search;
* the case-work filters: an officer's unread messages, a supervisor's acknowledgement
  overdue and a kind + channel + due_before filter;
* GET /stats/summary for the province and a year (by category and by month), /stats/sla,
  /stats/hotspots;
* a full CSV export as admin (every tip): rows/s, and the server's resident memory (peak,
  sampled every 20 ms, against its level before the export).

GET /healthz is timed the same way: the floor of client, HTTP and framework.
Prints the figures and appends them to bench/results/<date>-<db>.md; asserts no timing.
Targets (bench/README.md): first page p95 <= 20 ms, deep page p95 <= 50 ms, province-year
summary <= 200 ms, resident memory <= 400 MB per worker.
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
    sql,
    timings,
    top_up,
)

TARGETS = {
    "officer queue, first page": 0.020,
    "officer queue, deep page": 0.050,
    "stats/summary, province-year, by category": 0.200,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tips", type=int, default=1_000_000, help="tips expected in the db")
    parser.add_argument(
        "--generate", action="store_true", help="top the database up to --tips first"
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed calls per request")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first")
    parser.add_argument("--deep-pages", type=int, default=20, help="next_cursor hops")
    parser.add_argument("--limit", type=int, default=50, help="page size")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--year", type=int, help="statistics year (default: last year)")
    parser.add_argument("--export", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--export-budget", type=float, default=600.0, help="stop the export after (s)"
    )
    parser.add_argument(
        "--budget", type=float, default=60.0, help="max seconds of timed calls per request"
    )
    parser.add_argument(
        "--scheduler",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the in-process scheduler as in production",
    )
    args = parser.parse_args()

    url = database_url(args)
    env = server_env(url, scheduler=args.scheduler)
    prepare_database(env)
    count = top_up(url, env, args.tips, args.generate)
    report = Report("bench_queue", url, command=command_line())
    if count < args.tips:
        report.line(f"**the database holds {count:,} tips, fewer than {args.tips:,}**")
    unit, province = busiest(url)
    year = args.year or datetime.now(UTC).year - 1
    period = f"year:{year}"
    unit_tips = int(
        sql(url, "SELECT count(*) FROM tips WHERE assigned_unit_code = %s", [unit])[0][0]
    )
    watched = int(sql(url, "SELECT count(*) FROM tip_watchers WHERE unit_code = %s", [unit])[0][0])
    province_tips = int(
        sql(url, "SELECT count(*) FROM tips WHERE province_code = %s", [province])[0][0]
    )
    rows: list[list[str]] = []

    def record(name: str, latencies: list[float], note: str = "") -> None:
        rows.append(latency_row(name, latencies, TARGETS.get(name), note))

    with (
        Server(url, workers=args.workers, env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        admin = login(client, "admin", ADMIN_PASSWORD)
        officer = ensure_user(
            client, admin, username=f"bench-officer-{unit}".lower(), role="officer", unit_code=unit
        )
        supervisor = ensure_user(
            client,
            admin,
            username=f"bench-supervisor-{province}",
            role="province_supervisor",
            province_code=province,
        )
        report.line(
            f"database: {count:,} tips; officer of {unit} ({unit_tips:,} tips assigned, "
            f"{watched:,} watched or handed on), "
            f"supervisor of province {province} ({province_tips:,} tips), statistics for "
            f"{year}; {args.workers} uvicorn worker(s), one client, requests one at a time, "
            f"{args.repeat} timed after {args.warmup} untimed"
        )
        repeat, warmup = args.repeat, args.warmup

        latencies, _ = timings(
            client, "/healthz", repeat=repeat * 4, warmup=warmup, budget=args.budget
        )
        record("GET /healthz (floor)", latencies)

        queue = {"limit": args.limit}
        latencies, first = timings(
            client,
            "/api/v1/tips",
            headers=officer,
            params=queue,
            repeat=repeat,
            warmup=warmup,
            budget=args.budget,
        )
        record("officer queue, first page", latencies, f"{len(first.json()['items'])} items")

        cursor = first.json()["next_cursor"]
        hops = 0
        while cursor and hops < args.deep_pages:
            page = client.get(
                "/api/v1/tips", headers=officer, params={**queue, "cursor": cursor}
            ).json()
            hops += 1
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        if cursor:
            latencies, deep = timings(
                client,
                "/api/v1/tips",
                headers=officer,
                params={**queue, "cursor": cursor},
                repeat=repeat,
                warmup=warmup,
                budget=args.budget,
            )
            record(
                "officer queue, deep page",
                latencies,
                f"after {hops} hops (~{hops * args.limit:,} tips in), "
                f"{len(deep.json()['items'])} items",
            )
        else:
            report.line("(the officer's queue has a single page: no deep page)")

        filtered = [
            ("status", s) for s in ("received", "verifying", "in_progress", "awaiting_info")
        ] + [("category_code", "theft_fraud"), ("sort", "due_at"), ("limit", args.limit)]
        latencies, answer = timings(
            client,
            "/api/v1/tips",
            headers=supervisor,
            params=filtered,
            repeat=repeat,
            warmup=warmup,
            budget=args.budget,
        )
        record(
            "supervisor queue, open theft/fraud by due date",
            latencies,
            f"{len(answer.json()['items'])} items",
        )
        search = [("q", "xe may"), ("limit", args.limit)]
        latencies, answer = timings(
            client,
            "/api/v1/tips",
            headers=supervisor,
            params=search,
            repeat=repeat,
            warmup=warmup,
            budget=args.budget,
        )
        record("supervisor queue, q=xe may", latencies, f"{len(answer.json()['items'])} items")
        # The case-work filters: unread reporter messages (two index probes per tip walked),
        # acknowledgement overdue, and kind/channel/commune together.
        for name, headers, params in (
            ("officer queue, has_unread_messages", officer, {"has_unread_messages": "true"}),
            ("supervisor queue, acknowledge_overdue", supervisor, {"acknowledge_overdue": "true"}),
            (
                "supervisor queue, kind+channel+due_before",
                supervisor,
                {"kind": "crime", "channel": "web", "due_before": "2030-01-01"},
            ),
        ):
            latencies, answer = timings(
                client,
                "/api/v1/tips",
                headers=headers,
                params={**params, "limit": args.limit},
                repeat=repeat,
                warmup=warmup,
                budget=args.budget,
            )
            record(name, latencies, f"{len(answer.json()['items'])} items")

        stats_repeat = max(5, repeat // 2)
        for name, path, params in (
            (
                "stats/summary, province-year, by category",
                "/api/v1/stats/summary",
                {"province_code": province, "period": period, "group_by": "category"},
            ),
            (
                "stats/summary, province-year, by month",
                "/api/v1/stats/summary",
                {"province_code": province, "period": period, "group_by": "month"},
            ),
            (
                "stats/sla, province-year",
                "/api/v1/stats/sla",
                {"province_code": province, "period": period},
            ),
            (
                "stats/hotspots, province-year, 500 m",
                "/api/v1/stats/hotspots",
                {"province_code": province, "period": period, "cell_m": 500},
            ),
        ):
            latencies, answer = timings(
                client,
                path,
                headers=supervisor,
                params=params,
                repeat=stats_repeat,
                warmup=2,
                budget=args.budget,
            )
            body = answer.json()
            if "total" in body:
                note = f"{body['total']:,} tips, {len(body['groups'])} groups"
            elif "units" in body:
                note = f"{len(body['units'])} units"
            else:
                note = f"{len(body['cells'])} cells"
            record(name, latencies, note)

        rss_before = max(server.worker_rss())
        if args.export:
            sampler = RssSampler(server)
            sampler.start()
            started = time.perf_counter()
            lines = 0
            size = 0
            complete = True
            with client.stream("GET", "/api/v1/exports/tips.csv", headers=admin) as answer:
                if answer.status_code != 200:
                    raise SystemExit(f"export: {answer.status_code}")
                for chunk in answer.iter_bytes():
                    lines += chunk.count(b"\n")
                    size += len(chunk)
                    if time.perf_counter() - started > args.export_budget:
                        complete = False
                        break
            seconds = time.perf_counter() - started
            peak = sampler.stop()
            exported = lines - 1
        rss_after = server.worker_rss()

    report.table(["request", "p50", "p95", "max", "target (p95)", "note"], rows)
    if args.export:
        stopped = "" if complete else f" (STOPPED after {args.export_budget:.0f} s, of {count:,})"
        report.line(
            f"- full CSV export (admin, every tip): {exported:,} rows{stopped}, {mb(size)} in "
            f"{seconds:.1f} s = {exported / seconds:,.0f} rows/s; server resident memory "
            f"{mb(rss_before)} before, peak {mb(peak)} during"
        )
    verdict = "met" if max(rss_after) <= 400 * 2**20 else "MISSED"
    report.line(
        f"- resident memory per worker at the end: {', '.join(mb(r) for r in rss_after)} "
        f"(target <= 400 MB: {verdict})"
    )
    report.save()


if __name__ == "__main__":
    main()
