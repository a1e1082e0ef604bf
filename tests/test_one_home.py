"""One home per rule (issue 9), checked on the source of ``app``: what has a module of its own
is not written again elsewhere.

- the dialect's INSERT ... ON CONFLICT: ``app.core.dialect`` (no other module picks
  ``postgresql.insert`` or ``sqlite.insert`` itself);
- aware-UTC conversion: ``app.core.time`` (and the column type of ``app.core.db``);
- the units' register counters: ``app.tips.register``;
- the timeline's rows (``tip_events``): ``app.tips.timeline``
(the data generator, ``app.devdata``, writes both in bulk with COPY: the stated exception)."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"


def _sources() -> dict[str, str]:
    return {
        path.relative_to(APP.parent).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(APP.rglob("*.py"))
        if "versions" not in path.parts  # Alembic revisions are history
    }


def written_outside(pattern: str, homes: set[str]) -> list[str]:
    found = []
    for name, source in _sources().items():
        if any(name == home or name.startswith(home + "/") for home in homes):
            continue
        for number, line in enumerate(source.splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_the_dialect_insert_is_chosen_in_one_place() -> None:
    assert written_outside(r"sqlalchemy\.dialects\b", {"app/core/dialect.py"}) == []


def test_naive_times_become_utc_in_one_place() -> None:
    homes = {"app/core/time.py", "app/core/db.py"}
    assert written_outside(r"replace\(tzinfo=(UTC|timezone\.utc)\)", homes) == []


def test_register_counters_have_one_writer() -> None:
    homes = {"app/tips/register.py", "app/tips/models.py", "app/devdata"}
    assert written_outside(r"\bRegisterCounter\b|\bregister_counters\b", homes) == []


def test_timeline_rows_have_one_writer() -> None:
    homes = {"app/tips/timeline.py", "app/tips/models.py", "app/devdata"}
    assert written_outside(r"\bTipEvent\(|insert\(TipEvent\b", homes) == []


def test_the_check_sees_what_it_looks_for() -> None:
    sources = _sources()
    assert any("sqlalchemy.dialects" in s for s in sources.values())
    assert written_outside(r"sqlalchemy\.dialects\b", set()) != []
    assert written_outside(r"\bRegisterCounter\b", {"app/tips/models.py"}) != []
