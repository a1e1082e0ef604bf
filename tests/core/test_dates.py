"""Extreme dates from clients are clear 4xx, never a 500 (intake and Open311 filters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.validation import EARLIEST_YEAR, instant_problem
from tests.accounts.helpers import make_api_key
from tests.open311.helpers import assert_open311_error
from tests.tips.helpers import TIPS, payload

EXTREMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+00:00",
    "1899-12-31T23:59:59+07:00",
]


@pytest.mark.parametrize("value", EXTREMES)
async def test_occurred_at_out_of_the_window_is_a_422(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.post(TIPS, json=payload(occurred_at=value))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "occurred_at"
    assert error["code"] == "out_of_range"


async def test_the_earliest_year_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TIPS,
        json=payload(occurred_at="1850-06-01T00:00:00+07:00"),
        headers={"Accept-Language": "en"},
    )
    assert response.json()["errors"][0]["message"] == "Must not be before the year 1900."


async def test_plausible_times_are_accepted(client: httpx.AsyncClient) -> None:
    for value in ("1900-01-01T12:00:00+07:00", "2026-11-20T21:00:00+07:00"):
        response = await client.post(TIPS, json=payload(occurred_at=value))
        assert response.status_code == 201, response.text


def test_the_window() -> None:
    assert instant_problem(datetime(EARLIEST_YEAR, 1, 2, tzinfo=UTC)) is None
    assert instant_problem(datetime(EARLIEST_YEAR - 1, 12, 30, tzinfo=UTC)) is not None
    assert instant_problem(datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)) is not None


@pytest.fixture
async def key(db: Any, app: Any) -> str:
    _, value = await make_api_key(db, app, role="open311_client", province_code="79", name="k")
    return value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("start_date", "0001-01-01T00:00:00+23:59"),
        ("start_date", "0001-01-01"),
        ("end_date", "0001-01-01"),
        ("end_date", "9999-12-31"),
        ("end_date", "9999-12-31T23:59:59-14:00"),
        ("start_date", "9999-12-31T23:59:59+00:00"),
        ("end_date", "0001-01-01T00:00:00Z"),
    ],
)
async def test_open311_date_filters_out_of_range_are_400(
    client: httpx.AsyncClient, key: str, name: str, value: str
) -> None:
    response = await client.get(
        "/open311/v2/requests.json",
        params={"api_key": key, name: value},
        headers={"Accept-Language": "en"},
    )
    [error] = assert_open311_error(response, 400)
    assert error["description"].startswith(f"{name}: ")
