"""Intake throughput with notifications on and off, side by side in one run.

The same database, server settings and load generator as bench_intake.py; the server is
started twice (``TINBAO_NOTIFICATIONS_ENABLED=false``, then ``true``), each time with the
in-process scheduler and notification worker running as in production, and driven at its
intake peak (closed loop, ``--concurrency`` connections, up to ``--duration`` seconds). The
units' leads exist, so with notifications on every new tip gives an outbox row (written in the
intake transaction) that the worker expands into inbox entries. Target (issue 14): intake with
notifications on within 10 % of the figure with them off.

Prints the figures and appends them to bench/results/<date>-<db>.md. Asserts no timing.
"""

from __future__ import annotations

import argparse
import os
import socket

import harness
from bench_intake import load, ok_count, row
from harness import Report, Server, add_database_arguments, command_line, database_url, sql


def free_port_in_range() -> int:
    """This session's servers listen on 24000-24999 only."""
    low, high = (int(v) for v in os.environ.get("BENCH_PORTS", "24000-24999").split("-"))
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port")


def add_leads(url: str) -> int:
    """A lead in every commune police unit (no password: nobody logs in as them)."""
    import uuid

    units = [r[0] for r in sql(url, "SELECT code FROM police_units WHERE kind = 'commune'")]
    existing = {r[0] for r in sql(url, "SELECT unit_code FROM users WHERE role = 'unit_lead'")}
    missing = [u for u in units if u not in existing]
    if not missing:
        return 0
    import psycopg

    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO users (id, username, password_hash, full_name, role, unit_code,"
            " disabled, token_version, locale, notify_channels, notify_new_tips, created_at,"
            " updated_at) VALUES (%s, %s, '!', 'Bench lead', 'unit_lead', %s, false, 0, 'vi',"
            " '[]', false, now(), now())",
            [(str(uuid.uuid4()), f"bench-lead-{u.lower()}", u) for u in missing],
        )
    return len(missing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="off/on pairs, alternating")
    args = parser.parse_args()
    harness.free_port = free_port_in_range  # Server.start picks its port through this

    url = database_url(args)
    base_env = harness.server_env(url, scheduler=True)
    harness.prepare_database(base_env)
    leads = add_leads(url) if url.startswith("postgresql") else 0
    report = Report("bench_notifications", url, command=command_line())
    report.line(
        f"server: 1 uvicorn worker, scheduler and notification worker on; client: 1 process, "
        f"{args.concurrency} connections; {leads} unit leads added"
    )
    rows, rates = [], {False: 0.0, True: 0.0}
    for enabled in [False, True] * args.rounds:
        env = {**base_env, "TINBAO_NOTIFICATIONS_ENABLED": str(enabled).lower()}
        causes_before = int(sql(url, "SELECT count(*) FROM notification_causes")[0][0])
        with Server(url, workers=1, env=env) as server:
            load(server, "intake", count=args.warmup, duration=60, concurrency=8, seed=11)
            peak = load(
                server,
                "intake",
                count=args.requests,
                duration=args.duration,
                concurrency=args.concurrency,
                seed=22 if enabled else 33,
            )
        label = f"POST /api/v1/tips, notifications {'on' if enabled else 'off'}"
        rows.append(row(label, peak, "201"))
        rates[enabled] += ok_count(peak, "201") / peak["elapsed"] / args.rounds
        causes = int(sql(url, "SELECT count(*) FROM notification_causes")[0][0]) - causes_before
        report.line(f"- notifications {'on' if enabled else 'off'}: {causes:,} outbox rows written")
    pending = int(
        sql(url, "SELECT count(*) FROM notification_causes WHERE expanded_at IS NULL")[0][0]
    )
    inbox = int(sql(url, "SELECT count(*) FROM notifications")[0][0])
    report.line(
        f"- outbox rows not yet expanded when the server stopped: {pending:,}; "
        f"inbox rows: {inbox:,}"
    )
    report.line()
    report.table(["run", "requests", "rate (2xx)", "p50", "p95", "p99", "errors"], rows)
    ratio = rates[True] / rates[False] if rates[False] else float("nan")
    report.line(f"- on / off: {ratio:.1%} (target >= 90 %: {'met' if ratio >= 0.9 else 'MISSED'})")
    report.save()


if __name__ == "__main__":
    main()
