"""`ast.parse` with the cyclic garbage collector paused, for the whole test process.

CPython 3.11 keeps the AST constructor's recursion depth in shared interpreter state
(gh-106905; seen on 3.11.2 and 3.11.7, not on 3.12.1 or 3.13.0). Converting a parsed tree to
Python objects allocates many of them, so the collector can run in the middle of it; a
finalizer it calls may log, and when the logged record carries an exception, 3.11's traceback
formatting calls `ast.parse` for the caret line: a nested parse that leaves the outer one's
depth wrong, and the outer one raises ``SystemError: AST constructor recursion depth
mismatch``.

In the tests the finalizer is asyncio's: a Future whose exception nobody retrieved (aiosmtplib
before 3.0.1 leaves one when the SMTP server drops the connection) logs "Future exception was
never retrieved" with the exception when it is collected. Pytest parses the failing test's
module to print the failure, so the test failure became an INTERNALERROR that ended the run.

Pausing the collector during `ast.parse` (pytest's reports and assertion rewriting, traceback's
carets all call it) makes the finalizers run after the parse, where they only log. A lock would
not help: the nested parse is in the same thread.
"""

from __future__ import annotations

import ast
import functools
import gc
from typing import Any

_parse = ast.parse


@functools.wraps(_parse)
def _parse_without_collection(*args: Any, **kwargs: Any) -> Any:
    if not gc.isenabled():
        return _parse(*args, **kwargs)
    gc.disable()
    try:
        return _parse(*args, **kwargs)
    finally:
        gc.enable()


def install() -> None:
    ast.parse = _parse_without_collection


def pytest_configure() -> None:
    """As a plugin (``-p tests.gc_safe_ast``): installed before any test module is imported."""
    install()
