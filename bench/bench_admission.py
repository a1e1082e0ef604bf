"""SQLite under overload, with and without the intake admission bound (TINBAO_MAX_QUEUED_WRITES).

For each bound (``--limits``, 0 = none), in one run: a fresh server on SQLite, a warm-up, then
intake in an open loop at ``--rate`` tips/s (above what SQLite takes, so a queue builds) for
``--duration`` s: p50/p95/p99 of the admitted tips (201) and how many got 503 service_busy.
A closed-loop peak says nothing here: a 503 is immediate, so a closed-loop client that does
not honour Retry-After spends its requests in a few seconds. Prints and appends the figures
to bench/results/<date>-sqlite.md. Asserts no timing.
"""

from __future__ import annotations

import argparse

from bench_intake import load, ok_latencies
from harness import (
    Report,
    Server,
    add_database_arguments,
    command_line,
    database_url,
    ms,
    percentile,
    prepare_database,
    server_env,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.set_defaults(db="sqlite")
    parser.add_argument("--limits", default="0,8", help="bounds to compare, comma-separated")
    parser.add_argument("--rate", type=float, default=30.0, help="offered tips/s")
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    url = database_url(args)
    prepare_database(server_env(url))
    report = Report("bench_admission", url, command=command_line())
    rows = []
    for limit in (int(x) for x in args.limits.split(",")):
        env = server_env(url, max_queued_writes=limit)
        with Server(url, workers=1, env=env) as server:
            load(server, "intake", count=100, duration=60, concurrency=8, seed=401)
            result = load(
                server,
                "intake",
                count=int(args.rate * args.duration),
                duration=args.duration + 10,
                concurrency=64,
                seed=402 + limit,
                rate=args.rate,
            )
        admitted = ok_latencies(result, "201")
        busy = result["statuses"].get("503", 0)
        other = {k: v for k, v in result["statuses"].items() if k not in ("201", "503")}
        other.update(result["failures"])
        rows.append(
            [
                str(limit) if limit else "none",
                f"{args.rate:.0f}/s",
                str(len(admitted)),
                f"{len(admitted) / result['elapsed']:.1f}/s",
                ms(percentile(admitted, 50)),
                ms(percentile(admitted, 95)),
                ms(percentile(admitted, 99)),
                str(busy),
                ", ".join(f"{k}: {v}" for k, v in sorted(other.items())) or "0",
            ]
        )
    report.table(
        ["bound", "offered", "201", "rate", "p50", "p95", "p99", "503 busy", "other"], rows
    )
    report.save()


if __name__ == "__main__":
    main()
