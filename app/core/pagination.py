"""Opaque cursors: base64url of a small JSON list of the sort key values."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.core.errors import ValidationFailed

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(errors=[("cursor", ("Con trỏ không hợp lệ", "Invalid cursor"))])


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(values, list):
        raise invalid_cursor()
    return values


def split_page(
    rows: Sequence[R], limit: int, key: Callable[[R], Any] = attrgetter("id")
) -> tuple[list[R], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → the page and the cursor after its last row
    (None when there is no further row)."""
    page = list(rows[:limit])
    next_cursor = encode_cursor([key(page[-1])]) if len(rows) > limit and page else None
    return page, next_cursor
