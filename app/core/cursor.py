"""Opaque cursors: base64url of a short JSON list, decoded against the shape its endpoint
declares.

Every list endpoint reads its cursor here, so a cursor is either exactly what that endpoint
wrote (same length, same element types, times within range) or a 422 ``invalid_cursor``
problem naming the parameter; never a 500 whatever the string.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.core.errors import ValidationFailed
from app.core.messages import msg
from app.core.time import as_utc

# The longest cursor any endpoint writes is well under 200 characters; anything far longer
# is refused before it is decoded (it is also how deep nesting never reaches the parser).
MAX_CURSOR_CHARS = 512
# Times a cursor may carry: far wider than any stored creation or due date, and safely
# inside what both databases and Python's datetime hold.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"

    def __init__(self, param: str = "cursor") -> None:
        super().__init__(
            msg("cursor.invalid"),
            errors=[(param, msg("invalid_cursor"))],
        )


@dataclass(frozen=True)
class Str:
    """A string without control characters, at most ``max_length`` long."""

    max_length: int = 64
    pattern: re.Pattern[str] | None = None

    def check(self, value: Any) -> str:
        if (
            not isinstance(value, str)
            or len(value) > self.max_length
            or _CONTROL.search(value)
            or (self.pattern is not None and not self.pattern.fullmatch(value))
        ):
            raise ValueError
        return value


@dataclass(frozen=True)
class Int:
    """An integer (never a boolean) within ``[low, high]``."""

    low: int = 0
    high: int = 2**63 - 1

    def check(self, value: Any) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise ValueError
        return value


@dataclass(frozen=True)
class Time:
    """An RFC 3339 instant between ``EARLIEST`` and ``LATEST``, read as aware UTC."""

    def check(self, value: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        try:
            moment = as_utc(datetime.fromisoformat(value))
        except OverflowError as exc:
            raise ValueError from exc
        if not EARLIEST <= moment < LATEST:
            raise ValueError
        return moment


@dataclass(frozen=True)
class Tag:
    """A fixed string that names what the cursor is for (a sort order)."""

    value: str

    def check(self, value: Any) -> str:
        if value != self.value or not isinstance(value, str):
            raise ValueError
        return value


@dataclass(frozen=True)
class Nullable:
    """``inner``, or JSON null."""

    inner: Str | Int | Time

    def check(self, value: Any) -> Any:
        return None if value is None else self.inner.check(value)


Element = Str | Int | Time | Tag | Nullable


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    """The cursor for ``values`` (strings, integers, None; datetimes are written in UTC)."""
    text = json.dumps([_plain(v) for v in values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _raw_values(cursor: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise ValueError
    padded = cursor + "=" * (-len(cursor) % 4)
    raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
    values = json.loads(raw, parse_constant=_no_constants)
    if not isinstance(values, list):
        raise ValueError
    return values


def decode_cursor(cursor: str, *shape: Element, param: str = "cursor") -> list[Any]:
    """The values of ``cursor``, one per element of ``shape`` and checked by it.

    Raises ``InvalidCursor`` (422, naming ``param``) for anything else: not base64url, not
    JSON, not a list, another length, an element of another type, a time out of range.
    """
    try:
        values = _raw_values(cursor)
        if len(values) != len(shape):
            raise ValueError
        return [element.check(value) for element, value in zip(shape, values, strict=True)]
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise InvalidCursor(param) from exc
