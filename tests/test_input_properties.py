"""Property tests for the parsers of client input: whatever a client sends as a period, a
date, a place or a multipart body, the answer is the parsed value or a clear 4xx, never an
exception (a 500). Cursors have their own property tests (tests/test_cursor.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import ValidationFailed
from app.integration.periods import Window, resolve_window
from app.open311.dependencies import get_request_query
from tests.tips.helpers import TIPS, payload

PERIOD_KINDS = ["day", "month", "quarter", "half", "year", "eval_residential", "eval_commune"]
# Text near the notations (so that most examples get past the first check) and anything.
near_period = st.builds(
    lambda kind, sep, arg: kind + sep + arg,
    st.sampled_from([*PERIOD_KINDS, "", "DAY", "week"]),
    st.sampled_from([":", "", "::", " : "]),
    st.from_regex(r"[0-9]{0,5}(-[0-9QqHh]{0,3}){0,3}", fullmatch=True),
)
near_moment = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]{0,15})?([+-][0-9]{2}:[0-9]{2}|Z)?", fullmatch=True
    ),
    st.text(max_size=40),
)


def _check_window(window: Window) -> None:
    for bound in (window.start, window.end):
        assert bound is None or bound.utcoffset() == UTC.utcoffset(None)
    if window.start is not None and window.end is not None:
        assert window.start < window.end


@settings(max_examples=300, deadline=None)
@given(st.one_of(near_period, st.text(max_size=30)))
def test_any_period_is_a_window_or_a_validation_error(period: str) -> None:
    try:
        window = resolve_window(period=period, from_=None, to=None)
    except ValidationFailed:
        return
    _check_window(window)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), near_moment), st.one_of(st.none(), near_moment))
def test_any_from_to_is_a_window_or_a_validation_error(from_: str | None, to: str | None) -> None:
    try:
        window = resolve_window(period=None, from_=from_, to=to)
    except ValidationFailed:
        return
    for bound in (window.start, window.end):
        assert bound is None or bound.utcoffset() == UTC.utcoffset(None)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), near_moment), st.one_of(st.none(), near_moment))
def test_any_open311_date_filter_parses_or_is_refused(start: str | None, end: str | None) -> None:
    params = {k: v for k, v in (("start_date", start), ("end_date", end)) if v is not None}
    try:
        query = get_request_query(params)
    except ValidationFailed:
        return
    for moment in (query.start, query.end):
        assert moment is None or moment.tzinfo is not None


# Over HTTP: places in a tip, and multipart bodies. Few examples (each is a request).
HTTP = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
coordinate = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=8, max_value=23.5),
    st.text(max_size=8),
    st.none(),
)
commune_code = st.one_of(
    st.from_regex(r"[0-9]{0,7}", fullmatch=True), st.text(max_size=12), st.integers(), st.none()
)


@HTTP
@given(code=commune_code, lat=coordinate, lon=coordinate)
async def test_any_place_is_accepted_or_a_clear_4xx(client, code, lat, lon):
    location = {
        k: v for k, v in (("commune_code", code), ("lat", lat), ("lon", lon)) if v is not None
    }
    body = json.dumps(payload(location=location or None), allow_nan=True)
    r = await client.post(TIPS, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code in {201, 400, 404, 422}, (location, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


@HTTP
@given(lat=coordinate, lon=coordinate)
async def test_any_point_to_locate_answers_or_a_clear_4xx(client, lat, lon):
    params = {k: str(v) for k, v in (("lat", lat), ("lon", lon)) if v is not None}
    r = await client.get("/api/v1/admin-units/locate", params=params)
    assert r.status_code in {200, 404, 422}, (params, r.status_code, r.text[:300])


part_name = st.one_of(st.sampled_from(["tip", "files", "file", ""]), st.text(max_size=10))
parts = st.lists(
    st.tuples(
        part_name,
        st.one_of(st.none(), st.text(max_size=12)),  # filename: None makes a form field
        st.sampled_from(["image/jpeg", "image/png", "application/json", "text/plain", ""]),
        st.one_of(st.binary(max_size=200), st.just(b"\xff\xd8\xff"), st.just(b"{}")),
    ),
    max_size=4,
)


@HTTP
@given(parts=parts, document=st.one_of(st.none(), st.text(max_size=50), st.just("{}")))
async def test_any_multipart_body_is_accepted_or_a_clear_4xx(client, parts, document):
    data = {"tip": document} if document is not None else {}
    files = [
        (name, (filename, content, ctype))
        for name, filename, ctype, content in parts
        if filename is not None and name
    ]
    r = await client.post(TIPS, data=data, files=files or [("files", ("a.bin", b"", ""))])
    assert r.status_code < 500, (data, files, r.status_code, r.text[:300])
    assert r.status_code in {201, 400, 413, 415, 422}, (r.status_code, r.text[:300])


@HTTP
@given(
    body=st.binary(max_size=300),
    boundary=st.from_regex(r"[A-Za-z0-9'()+_,-./:=?]{0,70}", fullmatch=True),
)
async def test_any_raw_multipart_bytes_are_a_clear_4xx(client, body, boundary):
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = await client.post(TIPS, content=body, headers=headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
