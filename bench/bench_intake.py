"""Intake throughput: POST /api/v1/tips against a real server, beside its baselines.

Starts uvicorn (``--workers``) on a random 127.0.0.1 port against SQLite or PostgreSQL, with
the rate limits raised out of the way, and drives it from a separate load-generator process
(bench/loadgen.py). In one run, with the same server and client:

1. the peak rate of GET /healthz (closed loop, ``--concurrency`` connections);
2. the peak rate of intake: distinct valid tips (commune codes, points, pre-2025 codes,
   anonymous and identified reporters, an Idempotency-Key each);
3. intake at ``--fraction`` (80 %) of that peak, open loop, with its latency percentiles;
   with the scheduler on, the peak and each run are followed by a wait until the background
   runner owes nothing (causes expanded, events sequenced): its backlog, how long it took and
   the CPU it cost are printed, so a tip's whole cost counts the runner's catch-up too, and
   no run starts behind;
4. the database afterwards: exactly the acknowledged tips are there (by reference), and
   every unit's register is still gapless.

On PostgreSQL, in the same run and from the same client, the baselines of issue 17:

5. the peer (bench/peer_intake.py): a hand-written FastAPI endpoint on raw asyncpg running
   the statements one tip costs in TinBáo in one transaction, into peer_* tables made like
   the real ones: its peak and its latency at 80 % of its peak;
6. pgbench running the same transaction (bench/intake.pgbench) with as many clients as the
   app's pool can hold (20).

For each: the rate, the ratios, CPU per tip of the serving process (its own CPU time, psutil)
and of PostgreSQL's backends (by ps title), statements per tip (counted on the app's engine by
bench/intake_sql.py; pg_stat_statements is not loaded on this server) and pg_stat_database's
commits and rows per tip. The steady run is repeated ``--runs`` times (p99 in each).

Prints the figures and appends them to bench/results/<date>-<db>.md (``--results TOPIC``:
<date>-TOPIC.md). Asserts no timing.
Targets: intake >= 100 % of the peer and >= 40 % of pgbench, worker CPU <= 1 ms per tip,
p99 < 100 ms at 80 % of peak in every run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    VENV_BIN,
    Report,
    Server,
    add_database_arguments,
    children,
    command_line,
    database_url,
    db_kind,
    mb,
    ms,
    percentile,
    prepare_database,
    server_env,
    sql,
)
from intake_peers import (
    Peer,
    backend_cpu,
    backend_delta,
    db_stats,
    dbname,
    pgbench,
    process_cpu,
    setup_peer,
    stats_delta,
)


def load(
    server: Server,
    scenario: str,
    *,
    count: int,
    duration: float,
    concurrency: int,
    seed: int,
    rate: float = 0.0,
) -> dict[str, Any]:
    """Run the load generator in its own process and read its summary."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [
            str(VENV_BIN / "python"),
            str(ROOT / "bench" / "loadgen.py"),
            f"--port={server.port}",
            f"--scenario={scenario}",
            f"--count={count}",
            f"--duration={duration}",
            f"--concurrency={concurrency}",
            f"--seed={seed}",
            f"--rate={rate}",
            f"--out={out}",
        ]
        subprocess.run(command, check=True, cwd=ROOT)
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def ok_count(result: dict[str, Any], status: str) -> int:
    return int(result["statuses"].get(status, 0))


def errors(result: dict[str, Any], status: str) -> str:
    wrong = {k: v for k, v in result["statuses"].items() if k != status}
    wrong.update(result["failures"])
    return ", ".join(f"{k}: {v}" for k, v in sorted(wrong.items())) or "0"


def ok_latencies(result: dict[str, Any], status: str) -> list[float]:
    """Latencies of the answers with ``status`` (a 503 service_busy is quick: it would
    flatter the percentiles)."""
    codes = result.get("codes") or []
    if not codes:
        return list(result["latencies"])
    return [t for t, c in zip(result["latencies"], codes, strict=True) if str(c) == status]


def row(name: str, result: dict[str, Any], status: str) -> list[str]:
    latencies = ok_latencies(result, status)
    rate = ok_count(result, status) / result["elapsed"]
    return [
        name,
        str(result["sent"]),
        f"{rate:,.0f}/s",
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 95)),
        ms(percentile(latencies, 99)),
        errors(result, status),
    ]


def count_tips(url: str) -> int:
    return int(sql(url, "SELECT count(*) FROM tips")[0][0])


def references_present(url: str, references: list[str]) -> int:
    found = 0
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        marks = ", ".join("%s" for _ in chunk)
        query = f"SELECT count(*) FROM tips WHERE reference IN ({marks})"
        found += int(sql(url, query, chunk)[0][0])
    return found


GAPLESS = """
SELECT count(*) FROM (
    SELECT e.unit_code, e.year
    FROM register_entries e
    LEFT JOIN register_counters c ON c.unit_code = e.unit_code AND c.year = e.year
    GROUP BY e.unit_code, e.year, c.last_number
    HAVING count(*) <> max(e.seq) OR count(DISTINCT e.seq) <> count(*)
        OR c.last_number IS NULL OR max(e.seq) <> c.last_number
) AS broken
"""


def profile(server: Server, seconds: float, name: str, fmt: str) -> subprocess.Popen[bytes] | None:
    """py-spy on the server's processes for ``seconds`` (flamegraph SVG, collapsed stacks
    "raw" for grep and sort, or speedscope JSON) into bench/results/."""
    spy = str(VENV_BIN / "py-spy") if (VENV_BIN / "py-spy").exists() else shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed (.venv/bin/pip install py-spy): no profile")
        return None
    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}[fmt]
    out = ROOT / "bench" / "results" / f"profile-{name}.{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert server.process is not None
    print(f"profiling the server for {seconds:.0f} s into {out.relative_to(ROOT)}")
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.process.pid),
            "--subprocesses",
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--format",
            fmt,
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def statements_per_tip(env: dict[str, str], url: str) -> str:
    """bench/intake_sql.py in a child process: what one tip sends, on the app's engine."""
    done = subprocess.run(
        [
            str(VENV_BIN / "python"),
            str(ROOT / "bench" / "intake_sql.py"),
            f"--database-url={url}",
            "--tips=40",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("statements per tip")]
    return lines[-1].split(": ", 1)[1] if lines else f"? ({done.stderr.strip()[-200:]})"


def slow_seconds(result: dict[str, Any], share: float = 0.01) -> str:
    """When the slowest ``share`` of an open-loop run's requests were due (second of the run:
    count), so stalls that come in bursts show as such."""
    pairs = sorted(zip(result["latencies"], result["sent_at"], strict=True), reverse=True)
    slow = pairs[: max(1, int(len(pairs) * share))]
    buckets: dict[int, int] = {}
    for _, at in slow:
        buckets[int(at)] = buckets.get(int(at), 0) + 1
    return ", ".join(f"{sec}s: {n}" for sec, n in sorted(buckets.items()))


def measured_peak(
    target: Any, scenario_seed: int, args: argparse.Namespace, name: str, url: str
) -> tuple[dict[str, Any], float, float]:
    """A closed-loop intake peak; (result, CPU s of the serving process, CPU s of backends)."""
    pids = target.worker_pids()
    cpu0, back0 = process_cpu(pids), backend_cpu(name) if db_kind(url) == "postgresql" else {}
    result = load(
        target,
        "intake",
        count=args.requests,
        duration=args.duration,
        concurrency=args.concurrency,
        seed=scenario_seed,
    )
    cpu = process_cpu(pids) - cpu0
    back = backend_delta(back0, backend_cpu(name)) if db_kind(url) == "postgresql" else 0.0
    return result, cpu, back


# What the background runner still owes the tips already acknowledged: causes not yet expanded
# into notices, timeline events not yet given a feed position.
BACKLOG = (
    "SELECT (SELECT count(*) FROM notification_causes WHERE expanded_at IS NULL)"
    " + (SELECT count(*) FROM tip_events WHERE feed_position IS NULL)"
)


def server_pids(server: Server) -> list[int]:
    """The server's process and all its descendants (web workers, a runner child)."""
    if server.process is None:
        return []
    pids, todo = [], [server.process.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children(pid)
    return pids


@dataclass(frozen=True)
class CatchUp:
    """The runner catching up after a run: the backlog it started from, how long it took, and
    the CPU the server's processes spent meanwhile."""

    backlog: int
    seconds: float
    cpu: float
    done: bool


def catch_up(server: Server, url: str, *, scheduler: bool, timeout: float = 180.0) -> CatchUp:
    """Wait (polling) until the runner owes nothing; without a scheduler nothing drains."""
    pids = server_pids(server)
    cpu0, start = process_cpu(pids), time.monotonic()
    first = left = int(sql(url, BACKLOG)[0][0])
    while scheduler and left and time.monotonic() - start < timeout:
        time.sleep(0.25)
        left = int(sql(url, BACKLOG)[0][0])
    return CatchUp(first, time.monotonic() - start, process_cpu(pids) - cpu0, left == 0)


def steady_runs(
    target: Any,
    rate: float,
    runs: int,
    args: argparse.Namespace,
    seed: int,
    settle: Callable[[], CatchUp] | None = None,
) -> tuple[list[dict[str, Any]], list[CatchUp]]:
    """``runs`` open-loop runs at ``rate``; with ``settle``, each starts once the runner has
    caught up with the run before (whose backlog it returns), so run 1 does not pay for the
    peak's backlog and every run starts from the same state."""
    results, settled = [], []
    for i in range(runs):
        if settle is not None:
            settled.append(settle())
        results.append(
            load(
                target,
                "intake",
                count=max(1, int(rate * args.duration)),
                duration=args.duration + 5,
                concurrency=max(args.concurrency, 64),
                seed=seed + i,
                rate=rate,
            )
        )
    if settle is not None:
        settled.append(settle())
    return results, settled


def per_tip(cpu: float, tips: int) -> str:
    return f"{cpu / tips * 1000:.2f} ms" if tips else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=32, help="client connections")
    parser.add_argument("--requests", type=int, default=5000, help="intake requests, peak run")
    parser.add_argument("--trivial-requests", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=15.0, help="max seconds per run")
    parser.add_argument("--fraction", type=float, default=0.8, help="of peak, steady run")
    parser.add_argument("--runs", type=int, default=5, help="steady runs of the app")
    parser.add_argument("--peer-runs", type=int, default=2, help="steady runs of the peer")
    parser.add_argument("--pgbench-clients", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=200, help="intake requests first")
    parser.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the raw-asyncpg peer and pgbench too (PostgreSQL only)",
    )
    parser.add_argument(
        "--scheduler",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the in-process scheduler (feed sequencer, overdue job) as in production",
    )
    parser.add_argument(
        "--profile",
        choices=("flamegraph", "raw", "speedscope"),
        help="py-spy the server during the intake peak run",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra TINBAO_ setting for the app's server",
    )
    parser.add_argument(
        "--launcher",
        choices=("uvicorn", "serve", "serve-worker-process"),
        default="serve",
        help="how the server starts: `tinbao serve` as deployed (default: its garbage-collector "
        "freeze, no uvicorn proxy-headers layer), uvicorn itself, or `tinbao serve "
        "--worker-process` (the runner in a child process; its CPU is not the serving process')",
    )
    parser.add_argument("--results", help="write to bench/results/<date>-RESULTS.md")
    args = parser.parse_args()

    url = database_url(args)
    pg = db_kind(url) == "postgresql"
    extra = dict(item.split("=", 1) for item in args.server_env)
    env = server_env(url, scheduler=args.scheduler, **extra)
    prepare_database(env)
    report = Report("bench_intake", url, command=command_line(), topic=args.results or "")
    statements = statements_per_tip(env, url)
    peers = pg and args.peers
    if peers:
        setup_peer(url)
    name = dbname(url) if pg else ""
    before = count_tips(url)
    stats0 = db_stats(url) if pg else {}
    acknowledged: list[str] = []
    serve = {"uvicorn": None, "serve": (), "serve-worker-process": ("--worker-process",)}
    with Server(url, workers=args.workers, env=env, serve=serve[args.launcher]) as server:
        settings_note = ", " + ", ".join(args.server_env) if extra else ""
        report.line(
            f"server: {args.launcher}, {args.workers} uvicorn worker(s), scheduler "
            f"{'on' if args.scheduler else 'off'}{settings_note}; "
            f"client: 1 process, {args.concurrency} connections; database: {db_kind(url)} "
            f"with {before:,} tips"
        )
        warm = load(server, "intake", count=args.warmup, duration=60, concurrency=8, seed=101)
        acknowledged += warm["references"]
        load(server, "healthz", count=2000, duration=10, concurrency=8, seed=0)
        trivial = load(
            server,
            "healthz",
            count=args.trivial_requests,
            duration=args.duration,
            concurrency=args.concurrency,
            seed=0,
        )
        spy = None
        if args.profile:
            spy = profile(server, args.duration, f"intake-{db_kind(url)}", args.profile)
        all_cpu0 = process_cpu(server_pids(server))
        peak, app_cpu, app_backends = measured_peak(server, 202, args, name, url)
        peak_cpu_all = process_cpu(server_pids(server)) - all_cpu0
        if spy is not None:
            spy.wait()
        acknowledged += peak["references"]
        peak_rate = ok_count(peak, "201") / peak["elapsed"]
        trivial_rate = ok_count(trivial, "200") / trivial["elapsed"]
        steady, settled = steady_runs(
            server,
            args.fraction * peak_rate,
            args.runs,
            args,
            303,
            settle=lambda: catch_up(server, url, scheduler=args.scheduler),
        )
        for result in steady:
            acknowledged += result["references"]
        rss = server.worker_rss()
    app_tips = count_tips(url) - before
    time.sleep(1.0)
    stats1 = db_stats(url) if pg else {}

    rows = [
        row("app: GET /healthz, peak", trivial, "200"),
        row("app: POST /api/v1/tips, peak", peak, "201"),
    ]
    rows += [
        row(f"app: tips at {args.fraction:.0%} of peak, run {i + 1}", r, "201")
        for i, r in enumerate(steady)
    ]
    lines: list[str] = []
    if peers:
        with Peer(url) as peer:
            load(peer, "intake", count=args.warmup, duration=60, concurrency=8, seed=111)
            peer_peak, peer_cpu, peer_backends = measured_peak(peer, 212, args, name, url)
            peer_rate = ok_count(peer_peak, "201") / peer_peak["elapsed"]
            peer_steady, _ = steady_runs(peer, args.fraction * peer_rate, args.peer_runs, args, 313)
        time.sleep(1.0)
        stats2 = db_stats(url)
        peer_tips = int(sql(url, "SELECT count(*) FROM peer_tips")[0][0])
        bench = pgbench(url, clients=args.pgbench_clients, seconds=args.duration)
        rows.append(row("peer: POST /api/v1/tips, peak", peer_peak, "201"))
        rows += [
            row(f"peer: tips at {args.fraction:.0%} of its peak, run {i + 1}", r, "201")
            for i, r in enumerate(peer_steady)
        ]
        rows.append(
            [
                f"pgbench, {args.pgbench_clients} clients",
                str(bench["count"]),
                f"{bench['tps']:,.0f}/s",
                f"mean {bench['latency_ms']:.1f} ms",
                "",
                "",
                "0",
            ]
        )
        lines += [
            f"- intake / peer: {peak_rate / peer_rate:.1%} (target >= 100 %: "
            f"{'met' if peak_rate >= peer_rate else 'MISSED'}); intake / pgbench: "
            f"{peak_rate / bench['tps']:.1%} (target >= 40 %: "
            f"{'met' if peak_rate >= 0.4 * bench['tps'] else 'MISSED'}); peer / pgbench: "
            f"{peer_rate / bench['tps']:.1%}",
            f"- CPU per tip at peak, serving process: app {per_tip(app_cpu, ok_count(peak, '201'))}"
            f" (target <= 1 ms: {'met' if app_cpu <= 0.001 * ok_count(peak, '201') else 'MISSED'}),"
            f" peer {per_tip(peer_cpu, ok_count(peer_peak, '201'))}",
            f"- CPU per tip at peak, PostgreSQL backends: app "
            f"{per_tip(app_backends, ok_count(peak, '201'))}, peer "
            f"{per_tip(peer_backends, ok_count(peer_peak, '201'))}, pgbench "
            f"{per_tip(bench['backend_cpu'], bench['count'])}",
            f"- pg_stat_database per tip: app (all its phases, background runner included) "
            f"{stats_delta(stats0, stats1, app_tips)}; "
            f"peer {stats_delta(stats1, stats2, peer_tips)}; "
            f"pgbench {bench['stats']}",
        ]
    else:
        lines.append(
            f"- CPU per tip at peak, serving process: app {per_tip(app_cpu, ok_count(peak, '201'))}"
        )
    report.table(["run", "requests", "rate (2xx)", "p50", "p95", "p99", "errors"], rows)
    report.line(f"- intake / trivial: {peak_rate / trivial_rate:.1%}")
    for line in lines:
        report.line(line)
    after_peak = settled[0]
    if args.scheduler:
        report.line(
            f"- the runner after the peak: {after_peak.backlog:,} causes and events owed, "
            f"{'caught up' if after_peak.done else 'NOT caught up'} in {after_peak.seconds:.1f} s "
            f"using {per_tip(after_peak.cpu, ok_count(peak, '201'))} of CPU per peak tip "
            f"(all the server's processes); a tip's whole cost in the serving process"
            f"{' and the runner child' if args.launcher == 'serve-worker-process' else ''}: "
            f"{per_tip(peak_cpu_all + after_peak.cpu, ok_count(peak, '201'))}"
        )
        report.line(
            "- owed by the runner at the end of each steady run (each run waits until it is "
            "caught up): " + ", ".join(f"{c.backlog:,} ({c.seconds:.1f} s)" for c in settled[1:])
        )
    report.line(
        f"- statements per tip, counted on the app's engine (bench/intake_sql.py): {statements}"
        " (plus BEGIN and COMMIT, and the pool's pre-ping)"
    )
    p99s = [percentile(ok_latencies(r, "201"), 99) for r in steady]
    met = sum(1 for p in p99s if p < 0.1)
    report.line(
        f"- p99 at {args.fraction:.0%} of peak ({args.fraction * peak_rate:,.0f} tips/s offered), "
        f"{len(p99s)} runs: {', '.join(ms(p) for p in p99s)}; < 100 ms in {met} of {len(p99s)}"
    )
    for i, r in enumerate(steady):
        report.line(f"  - run {i + 1}, when the slowest 1 % were due: {slow_seconds(r)}")
    report.line(f"- resident memory per worker after the runs: {', '.join(mb(r) for r in rss)}")

    after = count_tips(url)
    present = references_present(url, acknowledged)
    broken = int(sql(url, GAPLESS)[0][0])
    exact = present == len(acknowledged) == after - before
    report.line(
        f"- database: {len(acknowledged):,} tips acknowledged (201), {present:,} of them found "
        f"by reference, {after - before:,} tips added: "
        f"{'exactly the acknowledged tips' if exact else 'MISMATCH'}"
    )
    report.line(
        f"- registers: {'gapless in every unit and year' if broken == 0 else f'{broken} BROKEN'}"
    )
    report.save()


if __name__ == "__main__":
    main()
