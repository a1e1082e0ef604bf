"""Intake throughput: POST /api/v1/tips against a real server, compared with a trivial endpoint.

Starts uvicorn (``--workers``) on a random 127.0.0.1 port against SQLite or PostgreSQL, with
the rate limits raised out of the way, and drives it from a separate load-generator process
(bench/loadgen.py). In one run, with the same server and client:

1. the peak rate of GET /healthz (closed loop, ``--concurrency`` connections);
2. the peak rate of intake: distinct valid tips (commune codes, points, pre-2025 codes,
   anonymous and identified reporters, an Idempotency-Key each);
3. intake at ``--fraction`` (80 %) of that peak, open loop, with its latency percentiles;
4. the database afterwards: exactly the acknowledged tips are there (by reference), and
   every unit's register is still gapless.

Prints the figures and appends them to bench/results/<date>-<db>.md. Asserts no timing.
Targets (bench/README.md): intake >= 50 % of the trivial rate; p99 < 100 ms at 80 % of peak.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    VENV_BIN,
    Report,
    Server,
    add_database_arguments,
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


def row(name: str, result: dict[str, Any], status: str) -> list[str]:
    latencies = result["latencies"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=32, help="client connections")
    parser.add_argument("--requests", type=int, default=5000, help="intake requests, peak run")
    parser.add_argument("--trivial-requests", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=20.0, help="max seconds per run")
    parser.add_argument("--fraction", type=float, default=0.8, help="of peak, steady run")
    parser.add_argument("--warmup", type=int, default=200, help="intake requests first")
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
    args = parser.parse_args()

    url = database_url(args)
    env = server_env(url, TINBAO_SCHEDULER_ENABLED=str(args.scheduler).lower())
    prepare_database(env)
    report = Report("bench_intake", url, command=command_line())
    before = count_tips(url)
    acknowledged: list[str] = []
    with Server(url, workers=args.workers, env=env) as server:
        report.line(
            f"server: {args.workers} uvicorn worker(s), scheduler "
            f"{'on' if args.scheduler else 'off'}; client: 1 process, "
            f"{args.concurrency} connections; database: {db_kind(url)} with {before:,} tips"
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
        peak = load(
            server,
            "intake",
            count=args.requests,
            duration=args.duration,
            concurrency=args.concurrency,
            seed=202,
        )
        if spy is not None:
            spy.wait()
        acknowledged += peak["references"]
        peak_rate = ok_count(peak, "201") / peak["elapsed"]
        trivial_rate = ok_count(trivial, "200") / trivial["elapsed"]
        steady_rate = args.fraction * peak_rate
        steady = load(
            server,
            "intake",
            count=max(1, int(steady_rate * args.duration)),
            duration=args.duration + 5,
            concurrency=max(args.concurrency, 64),
            seed=303,
            rate=steady_rate,
        )
        acknowledged += steady["references"]
        rss = server.worker_rss()

    report.table(
        ["run", "requests", "rate (2xx)", "p50", "p95", "p99", "errors"],
        [
            row("GET /healthz, peak", trivial, "200"),
            row("POST /api/v1/tips, peak", peak, "201"),
            row(f"POST /api/v1/tips at {args.fraction:.0%} of peak (open loop)", steady, "201"),
        ],
    )
    ratio = peak_rate / trivial_rate if trivial_rate else float("nan")
    p99 = percentile(steady["latencies"], 99)
    report.line(
        f"- intake / trivial: {ratio:.1%} (target >= 50 %: {'met' if ratio >= 0.5 else 'MISSED'})"
    )
    report.line(
        f"- p99 at {args.fraction:.0%} of peak ({steady_rate:,.0f} tips/s offered): {ms(p99)} "
        f"(target < 100 ms: {'met' if p99 < 0.1 else 'MISSED'})"
    )
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
