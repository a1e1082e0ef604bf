"""pytest plugin for bench_test_isolation.py: swaps how tests/conftest.py empties the
transactional tables after each test, and records the time spent doing it.

``TINBAO_BENCH_ISOLATION``: ``delete`` (what tests/conftest.py does), ``truncate`` (what it did
before: ``TRUNCATE ... RESTART IDENTITY CASCADE`` on PostgreSQL). ``TINBAO_BENCH_ISOLATION_OUT``:
a JSON file that receives the number of clean-ups and the seconds they took.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

_STATS = {"cleanups": 0, "cleanup_seconds": 0.0}


def _truncate(engine: Engine, tables: list[Any]) -> None:
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _install(module: Any) -> None:
    original = module.clean_transactional_tables
    variant = os.environ.get("TINBAO_BENCH_ISOLATION", "delete")
    if variant not in {"delete", "truncate"}:
        raise ValueError(f"TINBAO_BENCH_ISOLATION={variant!r}: delete or truncate")

    def clean(engine: Engine) -> None:
        started = time.perf_counter()
        if variant == "truncate" and engine.dialect.name == "postgresql":
            tables = [
                t
                for t in reversed(module.Base.metadata.sorted_tables)
                if t.name not in module.REFERENCE_TABLES
            ]
            _truncate(engine, tables)
        else:
            original(engine)
        _STATS["cleanups"] += 1
        _STATS["cleanup_seconds"] += time.perf_counter() - started

    module.clean_transactional_tables = clean


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    # tests/conftest.py, whatever module name the import mode gives it.
    if hasattr(plugin, "clean_transactional_tables") and hasattr(plugin, "REFERENCE_TABLES"):
        _install(plugin)
        # Tests that `from tests.conftest import clean_transactional_tables` get the same one.
        sys.modules.setdefault("tests.conftest", plugin)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("TINBAO_BENCH_ISOLATION_OUT")
    if out:
        Path(out).write_text(json.dumps(_STATS), encoding="utf-8")
