"""`make test-lowest`: after `uv pip install --resolution lowest-direct`, check that every direct
dependency (the dev extra included) is installed at exactly the lower bound pyproject.toml
declares. A bound the resolver cannot reach (another package needs more, or the version is
yanked or has no wheel for this Python) would otherwise be a declaration no install exercises.

Run with the lowest venv's Python: ``.venv-lowest/bin/python scripts/check_lowest.py``.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def lower_bound(req: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    wrong = []
    for line in declared:
        req = Requirement(line)
        bound = lower_bound(req)
        if bound is None:
            continue
        try:
            installed = Version(version(req.name))
        except PackageNotFoundError:
            wrong.append(f"{req.name}: not installed (declared {req.specifier})")
            continue
        if installed != bound:
            wrong.append(f"{req.name}: declared >= {bound}, lowest-direct installed {installed}")
    for problem in wrong:
        print(f"lower bound not exercised: {problem}", file=sys.stderr)
    if wrong:
        print("raise these bounds to the version installed (after checking why)", file=sys.stderr)
        return 1
    print(f"{len(declared)} direct dependencies installed at their declared lower bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
