"""Keyset pages: the page shape, limits, and splitting a ``LIMIT n + 1`` fetch (cursors are
app.core.cursor)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.core.cursor import encode_cursor

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def split_page(
    rows: Sequence[R], limit: int, key: Callable[[R], Any] = attrgetter("id")
) -> tuple[list[R], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → the page and the cursor after its last row
    (None when there is no further row)."""
    page = list(rows[:limit])
    next_cursor = encode_cursor([key(page[-1])]) if len(rows) > limit and page else None
    return page, next_cursor
