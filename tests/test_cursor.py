"""app.core.cursor: a cursor decodes to exactly the shape it declares, or a 422."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.cursor import (
    MAX_CURSOR_CHARS,
    Int,
    InvalidCursor,
    Nullable,
    Str,
    Tag,
    Time,
    decode_cursor,
    encode_cursor,
)

SHAPE = (Tag("p"), Int(0, 1), Nullable(Time()), Str())


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_round_trip() -> None:
    at = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert decode_cursor(encode_cursor(["p", 1, at, "abc"]), *SHAPE) == ["p", 1, at, "abc"]
    assert decode_cursor(encode_cursor(["p", 0, None, "abc"]), *SHAPE) == ["p", 0, None, "abc"]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        _raw("{}"),
        _raw('"p"'),
        _raw("[]"),
        _raw('["a","b"]'),  # another length
        _raw('["q",1,null,"x"]'),  # another tag
        _raw('["p",true,null,"x"]'),  # a boolean is not an integer
        _raw('["p",2,null,"x"]'),  # out of range
        _raw('["p",1,"not a time","x"]'),
        _raw('["p",1,"0001-01-01T00:00:00+23:59","x"]'),  # overflows UTC
        _raw('["p",1,"9999-12-31T23:59:59-12:00","x"]'),
        _raw('["p",1,"1850-01-01T00:00:00+00:00","x"]'),  # before EARLIEST
        _raw('["p",1,null,"a\\u0000b"]'),  # control character
        _raw('["p",1,null,["x"]]'),
        _raw('["p",1,NaN,"x"]'),
        _raw('["p",1e400,null,"x"]'),
        _raw("[" * 1500),
        _raw("[" * 100 + "]" * 100),
        "W" * (MAX_CURSOR_CHARS + 4),
        "\u00e9\u00e9\u00e9\u00e9",
    ],
)
def test_anything_else_is_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor, *SHAPE)
    assert caught.value.status == 422
    assert caught.value.code == "invalid_cursor"


def test_the_error_names_the_parameter() -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor("x", Int(), param="after")
    assert caught.value.errors is not None
    assert caught.value.errors[0][0] == "after"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


def _valid(values: list[object]) -> bool:
    return (
        values[0] == "p"
        and type(values[1]) is int
        and values[1] in (0, 1)
        and isinstance(values[3], str)
    )


@given(st.one_of(st.text(max_size=600), _json_values.map(lambda v: _raw(json.dumps(v)))))
def test_any_string_is_a_valid_value_or_invalid_cursor(cursor: str) -> None:
    try:
        values = decode_cursor(cursor, *SHAPE)
    except InvalidCursor as error:
        assert error.status == 422
        return
    assert len(values) == 4 and _valid(values)
    assert values[2] is None or (isinstance(values[2], datetime) and values[2].tzinfo is not None)


@given(
    st.integers(0, 1),
    st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
        ),
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=64),
)
def test_what_is_encoded_decodes_back(flag: int, at: datetime | None, tip_id: str) -> None:
    assert decode_cursor(encode_cursor(["p", flag, at, tip_id]), *SHAPE) == ["p", flag, at, tip_id]
