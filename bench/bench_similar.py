"""Possible duplicates (GET /api/v1/tips/{id}/similar) at national scale, over HTTP.

Against a database filled by ``tinbao dev generate`` (``--generate`` tops it up to ``--tips``;
the issue's target is 1,000,000), starts uvicorn on 127.0.0.1 and times, one request at a
time, ``/similar`` for ``--samples`` different tips:

* random tips with a commune, as admin (the widest scope: every visible tip is a candidate);
* tips of the busiest commune (the most candidates in the same and neighbouring communes), as
  admin and as the supervisor of its province (the province rule in the WHERE clause);
* tips without a commune (``location_unknown``: the whole province within 30 days).

Baselines on the same server and client: GET /healthz (the floor of client, HTTP and
framework) and GET /api/v1/tips/{id} (one tip's full record). Prints p50/p95/max and the
answers' sizes, appends them to bench/results/<date>-<db>.md (``--results TOPIC``:
<date>-TOPIC.md); asserts no timing.

On PostgreSQL, after the timed requests, ``--explain N`` (default 20) runs EXPLAIN (ANALYZE,
BUFFERS) of the candidate query for N of the sampled tips of each row (bench/similar_plans.py:
the SQL app.triage.similar builds), with the custom and the generic plan: the time inside the
database and the buffers touched, which a loaded machine disturbs far less than wall time.
Target (issue 13): p95 < 100 ms at 1,000,000 tips.
"""

from __future__ import annotations

import argparse
import time

import httpx
from harness import (
    ADMIN_PASSWORD,
    Report,
    Server,
    add_database_arguments,
    command_line,
    database_url,
    db_kind,
    ensure_user,
    login,
    ms,
    percentile,
    prepare_database,
    server_env,
    sql,
    timings,
    top_up,
)

TARGET = 0.100


def _each(
    client: httpx.Client, tip_ids: list[str], headers: dict[str, str], warmup: int
) -> tuple[list[float], list[int]]:
    """One timed /similar call per tip (after ``warmup`` untimed ones): latencies, sizes."""
    for tip_id in tip_ids[:warmup]:
        client.get(f"/api/v1/tips/{tip_id}/similar", headers=headers)
    latencies, sizes = [], []
    for tip_id in tip_ids:
        started = time.perf_counter()
        answer = client.get(f"/api/v1/tips/{tip_id}/similar", headers=headers)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"/similar of {tip_id}: {answer.status_code} {answer.text[:300]}")
        sizes.append(len(answer.json()))
    return latencies, sizes


def _ids(url: str, where: str, params: list[str], limit: int) -> list[str]:
    rows = sql(
        url, f"SELECT id FROM tips WHERE {where} ORDER BY random() LIMIT {int(limit)}", params
    )
    return [str(r[0]) for r in rows]


def _plans(report: Report, url: str, rows: list[tuple[str, list[str], str]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) figures of the candidate query, and the busiest commune's
    first plan as text."""
    from similar_plans import explain_many

    table = []
    for name, ids, role in rows:
        for generic in (False, True):
            plans = explain_many(url, ids, role, generic=generic)
            times = [p.execution_ms for p in plans]
            buffers = sorted(p.shared_hit + p.shared_read for p in plans)
            table.append(
                [
                    name,
                    "generic" if generic else "custom",
                    str(len(plans)),
                    f"{percentile(times, 50):.2f} ms",
                    f"{percentile(times, 95):.2f} ms",
                    f"{max(times):.2f} ms",
                    f"{sum(p.planning_ms for p in plans) / len(plans):.2f} ms",
                    f"{buffers[len(buffers) // 2]:,} / {buffers[-1]:,}",
                    f"{sum(p.shared_read for p in plans):,}",
                ]
            )
    report.line("EXPLAIN (ANALYZE, BUFFERS) of the candidate query (time inside PostgreSQL):")
    header = ["query", "plan", "tips", "p50", "p95", "max", "planning", "buffers p50 / max"]
    report.table([*header, "blocks read"], table)
    for name, ids, role in rows[1:3]:
        plan = explain_many(url, ids[:1], role, generic=role != "admin", text=True)[0]
        kind = "generic" if role != "admin" else "custom"
        report.line(f"Plan, {name}, {kind} (tip {ids[0]}):")
        report.line("```")
        report.line(plan.text)
        report.line("```")
        report.line()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tips", type=int, default=1_000_000, help="tips expected in the db")
    parser.add_argument("--generate", action="store_true", help="top the db up to --tips first")
    parser.add_argument("--samples", type=int, default=200, help="tips asked about per row")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls first")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--explain", type=int, default=20, help="EXPLAIN ANALYZE per row (PG)")
    parser.add_argument("--results", help="write to bench/results/<date>-RESULTS.md")
    args = parser.parse_args()
    url = database_url(args)
    env = server_env(url, scheduler=False)
    prepare_database(env)
    count = top_up(url, env, args.tips, args.generate)
    report = Report("bench_similar", url, command=command_line(), topic=args.results or "")
    if count < args.tips:
        report.line(f"**the database holds {count:,} tips, fewer than the target {args.tips:,}**")
    busiest = sql(
        url,
        "SELECT commune_code, province_code, count(*) FROM tips WHERE commune_code IS NOT NULL "
        "GROUP BY commune_code, province_code ORDER BY count(*) DESC LIMIT 1",
    )
    if not busiest:
        raise SystemExit("no tips: run with --generate, or `tinbao dev generate --tips N`")
    commune, province, commune_tips = busiest[0]
    random_ids = _ids(url, "commune_code IS NOT NULL", [], args.samples)
    busy_ids = _ids(url, "commune_code = %s", [commune], args.samples)
    unknown_ids = _ids(url, "commune_code IS NULL", [], args.samples)
    rows: list[list[str]] = []

    def record(name: str, latencies: list[float], note: str = "") -> None:
        p95 = percentile(latencies, 95)
        verdict = "met" if p95 <= TARGET else "MISSED"
        target = f"< {ms(TARGET)} ({verdict})" if "similar" in name else ""
        p50, worst = ms(percentile(latencies, 50)), ms(max(latencies))
        rows.append([name, str(len(latencies)), p50, ms(p95), worst, target, note])

    with (
        Server(url, workers=args.workers, env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        admin = login(client, "admin", ADMIN_PASSWORD)
        supervisor = ensure_user(
            client,
            admin,
            username=f"bench-supervisor-{province}",
            role="province_supervisor",
            province_code=str(province),
        )
        report.line(
            f"database: {count:,} tips; busiest commune {commune} ({commune_tips:,} tips, "
            f"province {province}); {args.workers} uvicorn worker(s), one client, one request "
            f"at a time, one call per sampled tip after {args.warmup} untimed"
        )
        latencies, _ = timings(client, "/healthz", repeat=args.samples, warmup=args.warmup)
        record("GET /healthz (floor)", latencies)
        latencies = []
        for tip_id in random_ids:
            started = time.perf_counter()
            client.get(f"/api/v1/tips/{tip_id}", headers=admin).raise_for_status()
            latencies.append(time.perf_counter() - started)
        record("GET /tips/{id} (baseline: one record)", latencies)

        def sizes_note(sizes: list[int]) -> str:
            found = sum(1 for s in sizes if s)
            return (
                f"{found}/{len(sizes)} with duplicates, {sum(sizes) / max(1, len(sizes)):.1f} avg"
            )

        for name, ids, headers in (
            ("similar, random tips, admin", random_ids, admin),
            (f"similar, busiest commune {commune}, admin", busy_ids, admin),
            (f"similar, busiest commune {commune}, supervisor", busy_ids, supervisor),
            ("similar, tips without a commune, admin", unknown_ids, admin),
        ):
            if not ids:
                continue
            latencies, sizes = _each(client, ids, headers, args.warmup)
            record(name, latencies, sizes_note(sizes))
    report.table(["request", "calls", "p50", "p95", "max", "target", "answers"], rows)
    if args.explain and db_kind(url) == "postgresql":
        plan_rows = (
            ("random tips, admin", random_ids, "admin"),
            (f"busiest commune {commune}, admin", busy_ids, "admin"),
            (f"busiest commune {commune}, supervisor", busy_ids, "province_supervisor"),
            ("tips without a commune, admin", unknown_ids, "admin"),
        )
        _plans(report, url, [(n, ids[: args.explain], r) for n, ids, r in plan_rows if ids])
    report.save()


if __name__ == "__main__":
    main()
