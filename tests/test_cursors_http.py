"""Malformed cursors answer 422 ``invalid_cursor`` on every list endpoint, never 500."""

from __future__ import annotations

import base64

import pytest

from tests.tips.helpers import TIPS, TRACK, payload
from tests.triage.helpers import make_staff


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


NESTED = _raw("[" * 1500)


def _is_invalid_cursor(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_cursor"


async def test_track_messages_with_a_two_element_cursor(client) -> None:  # type: ignore[no-untyped-def]
    created = await client.post(TIPS, json=payload())
    assert created.status_code == 201, created.text
    receipt = {"X-Tip-Receipt": created.json()["receipt"]}
    for cursor in ("WyJhIiwiYiJd", _raw("[1]"), _raw("[]"), NESTED):
        r = await client.get(f"{TRACK}/messages", params={"cursor": cursor}, headers=receipt)
        _is_invalid_cursor(r)


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("due_at", _raw('["d",0,"0001-01-01T00:00:00+23:59","x"]')),
        ("due_at", _raw('["d",0,"9999-12-31T23:59:59-12:00","x"]')),
        ("due_at", _raw('["d",0,null,"x"]')),
        ("due_at", _raw('["d",0,"2026-01-01T00:00:00+00:00",{"x":1}]')),
        ("-created_at", _raw('["c","0001-01-01T00:00:00+23:59","x"]')),
        ("-created_at", _raw('["c","2026-01-01T00:00:00+00:00"]')),
        ("priority", _raw('["p",0,1.5,"2026-01-01T00:00:00+00:00","x"]')),
        ("priority", _raw('["p",0,99999999999,"2026-01-01T00:00:00+00:00","x"]')),
        ("-created_at", NESTED),
        ("due_at", "WyJhIiwiYiJd"),
    ],
)
async def test_queue_cursor(app, client, db, sort, cursor) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(db, app)
    for who in ("admin", "officer_a"):  # the province-wide query and the unit queue
        r = await client.get(
            TIPS, params={"sort": sort, "cursor": cursor}, headers=staff.headers[who]
        )
        _is_invalid_cursor(r)


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJhIiwiYiJd",
        _raw('["0001-01-01T00:00:00+23:59","x"]'),
        _raw('["2026-01-01T00:00:00+00:00",7]'),
        _raw('"x"'),
        NESTED,
    ],
)
async def test_front_tips_cursor(app, client, db, cursor) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(db, app)
    r = await client.get(
        "/api/v1/front/tips", params={"cursor": cursor}, headers=staff.headers["front"]
    )
    _is_invalid_cursor(r)


async def test_a_deeply_nested_cursor_everywhere(app, client, db) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(db, app)
    h = staff.headers["admin"]
    paths = (
        "/api/v1/audit",
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/webhooks",
        "/api/v1/webhooks/dead-letters",
        "/api/v1/privacy/requests",
    )
    for path in paths:
        r = await client.get(path, params={"cursor": NESTED}, headers=h)
        _is_invalid_cursor(r)
    r = await client.get("/api/v1/events", params={"after": NESTED}, headers=h)
    _is_invalid_cursor(r)
