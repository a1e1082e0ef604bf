"""Notice expansion alone: the background runner's CPU per cause, for two code trees in one run.

Fills ``notification_causes`` with one outbox row per timeline row of ``--types`` (intake's
by default: tip.created, tip.urgent) of the first ``--causes`` such rows, then times
``app.notifications.worker.expand_all`` over them in a child process whose ``app`` package
comes from each ``--tree`` in turn (say the lead's checkout and a branch), alternating for
``--rounds``. Before every round the notification tables are emptied and the causes written
again, so each round expands the same rows. The units' leads exist (bench_notifications), and
one officer per ``--officer-every`` units has opted in to new tips with an e-mail address and
SMTP configured, so some causes give deliveries too (never sent: only expansion is timed).

Prints, per tree: causes/s, the child's CPU per cause (``time.process_time``: Python's share,
not the database's) and SQL statements per cause. Empties the notification tables of the
database it is given, before every round and after the last (a server started on it later
would try to send the deliveries): use a benchmark database (``tinbao dev generate`` fills
one, see harness.top_up). Asserts no timing; writes no results file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import harness
from bench_notifications import add_leads
from harness import ROOT, add_database_arguments, command_line, database_url, sql

from app.notifications.hooks import NOTIFYING_EVENTS  # a constant: no app code runs

SMTP_URL = "smtp://127.0.0.1:1"  # configured, never reached: nothing is sent


def add_officers(url: str, every: int) -> int:
    """An officer opted in to new tips, with an e-mail address, in every ``every``-th unit."""
    import psycopg

    units = [r[0] for r in sql(url, "SELECT code FROM police_units ORDER BY code")][::every]
    have = {r[0] for r in sql(url, "SELECT unit_code FROM users WHERE username LIKE 'bench-off-%'")}
    missing = [u for u in units if u not in have]
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(
            "INSERT INTO users (id, username, password_hash, full_name, role, unit_code,"
            " disabled, token_version, locale, notify_channels, notify_new_tips, email,"
            " created_at, updated_at) VALUES (%s, %s, '!', 'Bench officer', 'officer', %s,"
            " false, 0, 'vi', '[\"email\"]', true, %s, now(), now())",
            [
                (str(uuid.uuid4()), f"bench-off-{u.lower()}", u, f"{u}@bench.invalid")
                for u in missing
            ],
        )
    return len(missing)


def reset_causes(url: str, causes: int, types: list[str]) -> dict[str, int]:
    """Empty the notification tables; one unexpanded cause per timeline row of ``types`` of
    the first ``causes`` such rows. Their number by type."""
    import psycopg

    with psycopg.connect(url) as conn:
        for table in ("notification_deliveries", "notifications", "urgent_alerts"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM notification_causes")
        conn.execute(
            "INSERT INTO notification_causes (type, tip_id, tip_event_id, at, data, created_at,"
            " updated_at) SELECT type, tip_id, id, at, '{}', now(), now() FROM tip_events"
            " WHERE type = ANY(%s) ORDER BY id LIMIT %s",
            (types, causes),
        )
        rows = conn.execute("SELECT type, count(*) FROM notification_causes GROUP BY type")
        return {str(kind): int(count) for kind, count in rows.fetchall()}


async def expand_once() -> dict[str, Any]:
    """In the child: expand every pending cause once; the figures, as a dict."""
    from sqlalchemy import event

    from app.core.config import get_settings
    from app.core.db import make_async_engine, make_sessionmaker
    from app.core.security import DataCipher
    from app.notifications import worker

    settings = get_settings()
    engine = make_async_engine(settings)
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessionmaker = make_sessionmaker(engine)
    cipher = DataCipher(settings.data_keys)
    async with engine.connect():  # the pool's first connection outside the timing
        pass
    wall, cpu = time.perf_counter(), time.process_time()
    causes = await worker.expand_all(sessionmaker, settings=settings, cipher=cipher)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await engine.dispose()
    return {"causes": causes, "wall": wall, "cpu": cpu, "statements": statements[0]}


def run_child(tree: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child"],
        env={**env, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT / 'bench'}"},
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child on {tree} failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def produced(url: str) -> str:
    """What the expansion wrote: row counts, a digest of the rows (causes named by their
    timeline row, so two trees' runs compare), and inbox entries out of cause order."""
    inbox, deliveries, alerts = (
        int(sql(url, f"SELECT count(*) FROM {table}")[0][0])
        for table in ("notifications", "notification_deliveries", "urgent_alerts")
    )
    [(inbox_digest,)] = sql(
        url,
        "SELECT md5(string_agg(concat_ws(':', c.tip_event_id, n.user_id, n.type, n.tip_id,"
        " n.reference, n.at), ',' ORDER BY c.tip_event_id, n.user_id))"
        " FROM notifications n JOIN notification_causes c ON c.id = n.cause_id",
    )
    [(delivery_digest,)] = sql(
        url,
        "SELECT md5(string_agg(concat_ws(':', c.tip_event_id, d.recipient, d.channel, d.type,"
        " d.status, d.urgent, d.user_id, d.tip_id), ',' ORDER BY c.tip_event_id, d.recipient,"
        " d.channel)) FROM notification_deliveries d JOIN notification_causes c"
        " ON c.id = d.cause_id",
    )
    [(disordered,)] = sql(
        url,
        "SELECT count(*) FROM (SELECT cause_id, lag(cause_id) OVER (PARTITION BY user_id"
        " ORDER BY id) AS before FROM notifications) t WHERE t.before > t.cause_id",
    )
    return (
        f"{inbox:,} inbox ({str(inbox_digest)[:8]}), {deliveries:,} deliveries"
        f" ({str(delivery_digest)[:8]}), {alerts:,} alerts; inbox out of order: {disordered}"
    )


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(asyncio.run(expand_once())))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--tree", action="append", type=Path, required=True)
    parser.add_argument("--causes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--officer-every", type=int, default=3)
    parser.add_argument(
        "--types",
        default="tip.created,tip.urgent",
        help="timeline types given causes (default: intake's; 'all': every notifying type)",
    )
    args = parser.parse_args()
    url = database_url(args)
    types = sorted(NOTIFYING_EVENTS) if args.types == "all" else args.types.split(",")
    if not url.startswith("postgresql"):
        raise SystemExit("a PostgreSQL database filled by `tinbao dev generate`")
    env = harness.server_env(url, TINBAO_SMTP_URL=SMTP_URL)
    harness.prepare_database(env)
    print(f"{command_line()}\n{harness.uptime()}")
    print(f"leads added: {add_leads(url)}; officers added: {add_officers(url, args.officer_every)}")
    results: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in args.tree}
    for round_ in range(args.rounds):
        for tree in args.tree:
            counts = reset_causes(url, args.causes, types)
            figures = run_child(tree, env)
            results[tree].append(figures)
            if round_ == 0:
                print(f"causes: {counts}\n{tree}: {produced(url)}")
            n = max(figures["causes"], 1)
            print(
                f"round {round_ + 1} {tree}: {figures['causes']:,} causes in "
                f"{figures['wall']:.2f} s, CPU {figures['cpu'] / n * 1000:.3f} ms/cause, "
                f"{figures['statements'] / n:.2f} statements/cause"
            )
    # A server started on this database later must not find these deliveries due.
    with_deliveries = sql(url, "SELECT count(*) FROM notification_deliveries")[0][0]
    reset_causes(url, 0, types)
    print(f"{with_deliveries:,} deliveries of the last round removed\n{harness.uptime()}")
    for tree, runs in results.items():
        best = min(runs, key=lambda r: r["cpu"])
        n = max(best["causes"], 1)
        print(
            f"{tree}: best of {len(runs)}: {n / best['wall']:,.0f} causes/s, "
            f"CPU {best['cpu'] / n * 1000:.3f} ms/cause, "
            f"{best['statements'] / n:.2f} statements/cause"
        )


if __name__ == "__main__":
    main()
