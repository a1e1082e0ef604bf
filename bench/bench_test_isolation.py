"""How the test suite empties the database between tests: DELETE (tests/conftest.py today)
against TRUNCATE (before), on the same tests and database, alternating, in one run.

Each run is one `pytest` process on the given test paths (default tests/tips tests/triage) with
bench/isolation_plugin.py choosing the variant. Printed per run: wall time, CPU time (user+sys)
of the pytest process and its children, the number of clean-ups and the wall time spent in them
(the statements run in the PostgreSQL server, so the CPU they cost there is not in the pytest
process's figure: the clean-up seconds show it), and the load average before and after.

    .venv/bin/python bench/bench_test_isolation.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/tinbao_test --rounds 3

With ``--cleanups N`` it measures instead only the clean-up itself, N times each variant
alternating, on tables left empty (the fixed cost every test pays), on a database it resets
(``DROP SCHEMA public``) and migrates: give it one of its own.

Writes to bench/results/<date>-test-isolation.md. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, VENV_BIN, Report, command_line, loadavg

VARIANTS = ("truncate", "delete")


def cleanups_only(report: Report, url: str, count: int) -> None:
    """Time the clean-up statements alone, alternating, on a freshly migrated database."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import isolation_plugin
    from sqlalchemy import create_engine

    from tests import conftest

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    conftest.reset_database(engine)
    conftest.alembic_upgrade(engine)
    tables = [
        t
        for t in reversed(conftest.Base.metadata.sorted_tables)
        if t.name not in conftest.REFERENCE_TABLES
    ]
    clean = {
        "truncate": lambda: isolation_plugin._truncate(engine, tables),
        "delete": lambda: conftest.clean_transactional_tables(engine),
    }
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for n in range(count):
        for variant in VARIANTS if n % 2 == 0 else VARIANTS[::-1]:
            started = time.perf_counter()
            clean[variant]()
            times[variant].append(time.perf_counter() - started)
    engine.dispose()
    report.line(f"clean-up alone, {len(tables)} tables (empty), {count} times each, alternating")
    report.line()
    report.table(
        ["variant", "median ms", "p90 ms", "min ms", "max ms"],
        [
            [
                v,
                f"{statistics.median(t) * 1000:.1f}",
                f"{sorted(t)[int(0.9 * (len(t) - 1))] * 1000:.1f}",
                f"{min(t) * 1000:.1f}",
                f"{max(t) * 1000:.1f}",
            ]
            for v, t in times.items()
        ],
    )


def run_once(variant: str, url: str, paths: list[str]) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stats.json"
        env = dict(os.environ)
        env.update(
            TINBAO_TEST_DATABASE_URL=url,
            TINBAO_BENCH_ISOLATION=variant,
            TINBAO_BENCH_ISOLATION_OUT=str(out),
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")])),
        )
        load = loadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [str(VENV_BIN / "pytest"), "-p", "isolation_plugin", *paths],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = json.loads(out.read_text()) if out.exists() else {}
    summary = (done.stdout.strip().splitlines() or ["?"])[-1]
    return {
        "variant": variant,
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "cleanups": stats.get("cleanups", 0),
        "cleanup_s": stats.get("cleanup_seconds", 0.0),
        "load": f"{load} → {loadavg()}",
        "result": summary if done.returncode == 0 else f"FAILED ({summary})",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TINBAO_TEST_DATABASE_URL", ""),
        help="PostgreSQL test database (default: TINBAO_TEST_DATABASE_URL)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant")
    parser.add_argument(
        "--cleanups", type=int, default=0, help="time only N clean-ups per variant (resets the DB)"
    )
    parser.add_argument("paths", nargs="*", default=["tests/tips", "tests/triage"])
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("needs a PostgreSQL --database-url (on SQLite both variants are DELETE)")

    report = Report("Test isolation: TRUNCATE vs DELETE after each test", args.database_url)
    report.command = command_line()
    report.topic = "test-isolation"
    if args.cleanups:
        cleanups_only(report, args.database_url, args.cleanups)
        report.save()
        return
    report.line(f"tests: `{' '.join(args.paths)}`, {args.rounds} rounds, variants alternating")
    report.line()
    rows = []
    for n in range(args.rounds):
        order = VARIANTS if n % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            r = run_once(variant, args.database_url, args.paths)
            rows.append(r)
            print(
                f"  round {n + 1} {variant}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s cpu, "
                f"{r['cleanups']} clean-ups {r['cleanup_s']:.1f} s, load {r['load']}, "
                f"{r['result']}",
                flush=True,
            )
    report.table(
        [
            "round",
            "variant",
            "wall s",
            "cpu s (user+sys)",
            "clean-ups",
            "in clean-up s",
            "load 1/5/15 before → after",
            "result",
        ],
        [
            [
                i // 2 + 1,
                r["variant"],
                f"{r['wall']:.1f}",
                f"{r['cpu']:.1f}",
                r["cleanups"],
                f"{r['cleanup_s']:.1f}",
                r["load"],
                r["result"],
            ]
            for i, r in enumerate(rows)
        ],
    )
    medians = {
        v: {
            k: statistics.median(float(r[k]) for r in rows if r["variant"] == v)
            for k in ("wall", "cpu", "cleanup_s")
        }
        for v in VARIANTS
    }
    report.table(
        ["median", "wall s", "cpu s", "in clean-up s"],
        [
            [v, f"{m['wall']:.1f}", f"{m['cpu']:.1f}", f"{m['cleanup_s']:.1f}"]
            for v, m in medians.items()
        ],
    )
    t, d = medians["truncate"], medians["delete"]
    report.line(
        f"DELETE / TRUNCATE: wall {d['wall'] / t['wall']:.0%}, cpu {d['cpu'] / t['cpu']:.0%}, "
        f"time in clean-up {d['cleanup_s'] / max(t['cleanup_s'], 1e-9):.0%}"
    )
    report.save()


if __name__ == "__main__":
    main()
