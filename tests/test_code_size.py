"""Modules of ``app`` stay under 500 lines and functions under 80 (STYLE: ~500 and ~80),
unless a function says why at its top: a ``# long:`` comment within its first lines."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
REASON = "# long:"

# Files other branches own while this test was written (issue 9's other parts); the lead
# removes an entry once its branch is merged and the file is short again.
# None today.
NOT_YET: dict[str, str] = {}


def _files() -> list[Path]:
    return [
        p
        for p in sorted(APP.rglob("*.py"))
        if "versions" not in p.relative_to(APP).parts  # generated Alembic revisions
    ]


def _relative(path: Path) -> str:
    return path.relative_to(APP.parent).as_posix()


def long_modules() -> list[str]:
    found = []
    for path in _files():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_MODULE_LINES and _relative(path) not in NOT_YET:
            found.append(f"{_relative(path)}: {lines} lines")
    return found


def long_functions_in(source: str, name: str) -> list[str]:
    """Functions over the limit whose first lines carry no ``# long:`` reason."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        assert node.end_lineno is not None
        length = node.end_lineno - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        head = lines[node.lineno - 1 : node.lineno + 15]  # signature, docstring, first lines
        if not any(line.strip().startswith(REASON) for line in head):
            found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_are_short() -> None:
    assert not long_modules(), long_modules()


def test_functions_are_short_or_say_why() -> None:
    found = []
    for path in _files():
        if _relative(path) not in NOT_YET:
            found += long_functions_in(path.read_text(encoding="utf-8"), _relative(path))
    assert not found, found


def test_the_check_sees_long_functions_and_their_reasons() -> None:
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    plain = f"def f():\n{body}"
    assert long_functions_in(plain, "m") == [f"m:1 f: {MAX_FUNCTION_LINES + 1} lines"]
    reasoned = f'async def f():\n    """Doc."""\n    # long: one transaction, read in order\n{body}'
    assert long_functions_in(reasoned, "m") == []
    nested = f"class C:\n    def g(self):\n{body.replace('    ', '        ')}"
    assert long_functions_in(nested, "m") == [f"m:2 g: {MAX_FUNCTION_LINES + 1} lines"]
