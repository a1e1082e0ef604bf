"""What a test needs beyond Python: one rule for all of them.

`make test` on a machine with only Python passes, as the README promises: a test whose
service or program is missing is skipped, saying what is missing and how to get it. In CI
(`CI=true`, set by `.ci/run`, which installs and starts all of them) it fails instead: CI must
run every test."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip outside CI, fail under CI=true."""
    if in_ci():
        pytest.fail(f"{reason}; with CI=true this test must run", pytrace=False)
    pytest.skip(f"{reason} (skipped outside CI)")


def program(name: str, package: str, path: str | None = None) -> str:
    """The path of program ``name``: ``path`` when given, else found on PATH; unavailable
    when it is not there. The Debian ``package`` provides it."""
    found = shutil.which(name) if path is None else path if os.access(path, os.X_OK) else None
    if not found:
        unavailable(f"no {name} at {path or 'any PATH entry'} (apt-get install {package})")
    return found
