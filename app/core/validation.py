"""Pydantic's validation errors as catalogue messages (``errors[]`` codes and texts).

A citizen must never read a library's English sentence or a raw regular expression: each
pydantic error type maps to a catalogue entry, filled from the error's context. A validator of
ours that wants its own words raises ``rule_error(key)`` (a ``PydanticCustomError`` whose type
is a catalogue key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.core.messages import MESSAGES, Message, msg
from app.core.time import to_local

_BY_TYPE: dict[str, str] = {
    "missing": "missing",
    "missing_argument": "missing",
    "missing_keyword_only_argument": "missing",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_short": "too_short.items",
    "too_long": "too_long.items",
    "extra_forbidden": "extra_forbidden",
    "unexpected_keyword_argument": "extra_forbidden",
    "finite_number": "out_of_range",
    "greater_than": "out_of_range.gt",
    "greater_than_equal": "out_of_range.ge",
    "less_than": "out_of_range.lt",
    "less_than_equal": "out_of_range.le",
    "datetime_parsing": "invalid_format.datetime",
    "datetime_type": "invalid_format.datetime",
    "datetime_from_date_parsing": "invalid_format.datetime",
    "datetime_object_invalid": "invalid_format.datetime",
    "timezone_aware": "invalid_format.datetime",
    "timezone_naive": "invalid_format.datetime",
    "date_parsing": "invalid_format.date",
    "date_type": "invalid_format.date",
    "date_from_datetime_parsing": "invalid_format.date",
    "date_from_datetime_inexact": "invalid_format.date",
}

# Error types meaning "not the type expected", and how to name the expected type.
_EXPECTED_TYPE: dict[str, str] = {
    "string_type": "type.string",
    "string_sub_type": "type.string",
    "int_type": "type.integer",
    "int_parsing": "type.integer",
    "int_parsing_size": "type.integer",
    "int_from_float": "type.integer",
    "float_type": "type.number",
    "float_parsing": "type.number",
    "decimal_type": "type.number",
    "decimal_parsing": "type.number",
    "bool_type": "type.boolean",
    "bool_parsing": "type.boolean",
    "model_type": "type.object",
    "model_attributes_type": "type.object",
    "dict_type": "type.object",
    "mapping_type": "type.object",
    "dataclass_type": "type.object",
    "list_type": "type.array",
    "tuple_type": "type.array",
    "set_type": "type.array",
    "iterable_type": "type.array",
    "none_required": "type.null",
}

_BOUNDS = ("min_length", "max_length", "ge", "gt", "le", "lt")
_QUOTED = re.compile(r"'([^']*)'")


def _rfc3339(value: datetime) -> str:
    return to_local(value).isoformat()


# Times in responses: RFC 3339 in Asia/Ho_Chi_Minh, e.g. 2026-11-25T23:59:59+07:00.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(_rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


def rule_error(key: str, **params: Any) -> PydanticCustomError:
    """Raise this from a validator to answer with the catalogue's message ``key``."""
    msg(key)  # an unknown key fails where it is written
    return PydanticCustomError(key, key, params or None)


def _choices(ctx: Mapping[str, Any]) -> str:
    expected = str(ctx.get("expected", ""))
    return ", ".join(_QUOTED.findall(expected)) or expected


def field_message(err: Mapping[str, Any]) -> Message:
    """The catalogue message for one pydantic error."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if kind in MESSAGES:  # one of ours (rule_error), or a code the catalogue spells the same
        fields = {k: v for k, v in ctx.items() if isinstance(v, str | int | float)}
        return msg(kind, **fields)
    if kind in ("literal_error", "enum"):
        return msg("invalid_choice", choices=_choices(ctx))
    if kind in _EXPECTED_TYPE:
        return msg("invalid_type", expected=msg(_EXPECTED_TYPE[kind]))
    if kind == "string_pattern_mismatch":
        last = str((err.get("loc") or ("",))[-1])
        if last.endswith("phone"):
            return msg("invalid_format.phone")
        if last.endswith("email"):
            return msg("invalid_format.email")
        return msg("invalid_format")
    key = _BY_TYPE.get(kind)
    if key is None:
        return msg("invalid_format")  # value_error and the rest: no library text
    return msg(key, **{k: ctx[k] for k in _BOUNDS if k in ctx})


# JSON bodies mean the types they declare: pydantic's lax mode would take `0` or `"yes"` for a
# boolean (`{"notify_new_tips": 0}` once switched a preference off), `"1"` or `true` for an
# integer or a number, and a count of seconds for a time. Every field of a JSON body (and of
# the JSON part of an upload) is typed with these; query parameters and form fields are text
# and stay lax (`?urgent=true`, Open311's `lat=10.77`).
def _json_number(error_type: str) -> BeforeValidator:
    """A JSON number: not text, not a boolean (which Python counts as an int). ``1.0`` is an
    integer to JSON Schema, so it stays one (lax pydantic refuses ``1.5`` for an int)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(error_type, "not a JSON number")
        return value

    return BeforeValidator(check)


# A constrained number puts its bounds before the check, so that the document keeps them as
# `minimum`/`maximum`: `Annotated[int, Field(ge=0, le=9), JSON_INT]`.
JSON_INT = _json_number("int_type")
JSON_NUMBER = _json_number("float_type")
JsonBool = Annotated[bool, Strict()]
JsonInt = Annotated[int, JSON_INT]
JsonNumber = Annotated[float, JSON_NUMBER]
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text_starting_with_a_date(error_type: str) -> BeforeValidator:
    """Times and days are text that starts with the date (RFC 3339), never a number of
    seconds (lax pydantic takes `1700000000`, even as a string, for a moment of 2023)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and _DATE_TEXT.match(value):
            return value
        if isinstance(value, datetime | date):  # already parsed (a model built in code)
            return value
        raise PydanticCustomError(error_type, "not RFC 3339 text")

    return BeforeValidator(check)


# Put in the Annotated of a time or a day field (JSON bodies and query parameters alike).
TimeText = _text_starting_with_a_date("datetime_type")
DayText = _text_starting_with_a_date("date_type")


# Times people give about the past (occurred_at, an intake's received_at, Open311 date filters)
# are accepted from this year on: older is a typo or a probe, never a tip police can act on.
EARLIEST_YEAR = 1900
_WIDEST_OFFSETS = (timezone(timedelta(hours=14)), timezone(timedelta(hours=-14)))


def instant_problem(value: datetime) -> Message | None:
    """Why a client's aware instant is unusable (it must be shown in any offset and be on or
    after EARLIEST_YEAR), or None."""
    try:
        utc = value.astimezone(UTC)
        for tz in _WIDEST_OFFSETS:
            utc.astimezone(tz)
    except (OverflowError, ValueError):
        return msg("out_of_range.date")
    if utc.year < EARLIEST_YEAR:
        return msg("not_before_year", year=EARLIEST_YEAR)
    return None


def _plausible(value: datetime) -> datetime:
    problem = instant_problem(value)
    if problem is not None:
        raise rule_error(problem.key, **problem.params)
    return value


# An instant with an offset that instant_problem accepts.
PlausibleInstant = Annotated[AwareDatetime, TimeText, AfterValidator(_plausible)]
