"""`tinbao admin-units apply` applies the shipped example change-set, and refuses it twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "change-set-merge.json"


def _tinbao(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_apply_the_example_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TINBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TINBAO_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TINBAO_MODE", None)
    for command in (("migrate",), ("load-reference-data",)):
        assert _tinbao(*command, env=env).returncode == 0
    dry = _tinbao("admin-units", "apply", str(EXAMPLE), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["id"] is None
    applied = _tinbao("admin-units", "apply", str(EXAMPLE), env=env)
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert report["id"] and report["communes_retired"] == ["00008", "26737"]
    again = _tinbao("admin-units", "apply", str(EXAMPLE), env=env)
    assert again.returncode == 1
    assert "changes.0" in again.stderr
