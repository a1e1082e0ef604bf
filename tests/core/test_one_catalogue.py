"""One message catalogue serves every error (issue 9).

mypy holds the types: an error's ``detail`` and each ``errors[]`` message are a catalogue
``Message`` (``app.core.messages``), so an inline (Vietnamese, English) pair or a bare string
does not type-check. This test reads the source for what typing cannot see: a text written
straight into an error's constructor.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import app.core.errors as errors_module
import app.main  # noqa: F401  (imports every domain, so every AppError subclass is defined)
from app.core.errors import AppError

APP = Path(__file__).resolve().parents[2] / "app"


def _error_names() -> set[str]:
    """AppError and every subclass the app defines, and the functions that build answers."""
    names = {"problem_response"}
    pending = [AppError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def _is_text(node: ast.expr) -> bool:
    """A literal text, or a tuple holding one (the legacy pair)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple):
        return any(_is_text(element) for element in node.elts)
    return False


def _texts_in_errors(node: ast.expr) -> list[ast.expr]:
    """The messages of an ``errors=[(field, message), ...]`` literal."""
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [
        item.elts[1]
        for item in node.elts
        if isinstance(item, ast.Tuple) and len(item.elts) == 2 and _is_text(item.elts[1])
    ]


def _inline_texts() -> list[str]:
    names = _error_names()
    found = []
    for path in sorted(APP.rglob("*.py")):
        if "catalogue" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in names:
                continue
            texts = [arg for arg in node.args if _is_text(arg)]
            for keyword in node.keywords:
                if keyword.arg == "detail" and _is_text(keyword.value):
                    texts.append(keyword.value)
                if keyword.arg == "errors":
                    texts.extend(_texts_in_errors(keyword.value))
            found += [f"{path.relative_to(APP.parent)}:{t.lineno}" for t in texts]
    return found


def test_no_error_is_written_with_an_inline_text() -> None:
    assert _inline_texts() == []


def test_the_check_sees_the_error_classes_and_a_pair() -> None:
    names = _error_names()
    assert {"AppError", "NotFound", "ValidationFailed", "IdempotencyConflict"} <= names
    pair = ast.parse('NotFound(("Không thấy.", "Not found."))').body[0]
    assert isinstance(pair, ast.Expr) and isinstance(pair.value, ast.Call)
    assert _is_text(pair.value.args[0])
    assert not _is_text(ast.parse('msg("tips.not_found")').body[0].value)  # type: ignore[attr-defined]


def test_answers_carry_catalogue_messages_only() -> None:
    source = inspect.getsource(errors_module)
    assert "FALLBACK_FIELD_CODE" not in source  # every errors[] item has its entry's code
