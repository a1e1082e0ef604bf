"""A failing test is reported as a failure, not as an INTERNALERROR, when it leaves behind a
Future whose exception nobody retrieved (tests/gc_safe_ast.py says why it could be one)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAILING_MODULE = textwrap.dedent(
    '''
    import asyncio
    import gc
    import logging
    import sys

    logging.basicConfig(stream=sys.stderr)  # a handler that formats tracebacks


    def _raise():
        value = None
        return value.attribute + 1  # traceback marks this with carets: ast.parse


    def _leave_unretrieved_futures():
        """In a cycle only the collector frees, moved to generation 1 first so that the
        collections during pytest's ast.parse of this module free them."""
        loop = asyncio.new_event_loop()
        cycle = []
        for _ in range(50):
            future = loop.create_future()
            try:
                _raise()
            except AttributeError as exc:
                future.set_exception(exc)
            cycle.append(future)
        cycle.append(cycle)
        loop.close()
        gc.collect(0)


    def test_fails():
        _leave_unretrieved_futures()
        assert 1 == 2
    '''
)
# Enough objects for the parse to run generation-1 collections.
PADDING = "\n".join(
    f"PAD_{i} = [{', '.join(f'({j}, {j})' for j in range(20))}]" for i in range(400)
)


def _run(directory: Path, *plugin: str) -> subprocess.CompletedProcess[str]:
    (directory / "pytest.ini").write_text("[pytest]\n")
    (directory / "test_leaves_futures.py").write_text(FAILING_MODULE + "\n\n" + PADDING + "\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin],
        cwd=directory,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="gh-106905 is a CPython 3.11 bug")
def test_without_the_guard_the_failure_is_an_internal_error(tmp_path):
    """The scenario reproduces the bug, so the test below can fail."""
    result = _run(tmp_path)
    assert result.returncode == pytest.ExitCode.INTERNAL_ERROR, result.stdout[-2000:]
    assert "AST constructor recursion depth mismatch" in result.stdout


def test_with_the_guard_the_failure_is_reported(tmp_path):
    result = _run(tmp_path, "-p", "tests.gc_safe_ast")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout[-2000:]
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "assert 1 == 2" in result.stdout
