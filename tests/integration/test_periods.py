"""The period notation: windows in Vietnamese calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import ValidationFailed
from app.core.time import LOCAL_TZ as VN_TZ
from app.integration.periods import parse_bound, parse_period, resolve_window


def midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=VN_TZ).astimezone(UTC)


@pytest.mark.parametrize(
    ("period", "first_day", "day_after"),
    [
        ("month:2026-11", "2026-11-01", "2026-12-01"),
        ("month:2026-12", "2026-12-01", "2027-01-01"),
        ("quarter:2026-Q1", "2026-01-01", "2026-04-01"),
        ("half:2026-H1", "2026-01-01", "2026-07-01"),
        ("half:2026-h2", "2026-07-01", "2027-01-01"),
        ("year:2026", "2026-01-01", "2027-01-01"),
        ("eval_residential:2026", "2025-11-01", "2026-11-01"),
        ("eval_commune:2026", "2025-11-16", "2026-11-16"),
        ("day:2024-02-29", "2024-02-29", "2024-03-01"),
    ],
)
def test_named_periods(period, first_day, day_after):
    window = parse_period(period)

    assert (window.start, window.end) == (midnight(first_day), midnight(day_after))
    assert window.start is not None and window.start.hour == 17  # 00:00 at UTC+7


@pytest.mark.parametrize(
    "period",
    [
        "month:2026-13",
        "month:2026-1",
        "quarter:2026-Q5",
        "half:2026",
        "year:26",
        "day:2025-02-29",
        "decade:2020",
        "month",
        "",
        "eval_commune:",
        "year:0001",
    ],
)
def test_bad_periods(period):
    with pytest.raises(ValueError):
        parse_period(period)


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9990, 12, 31)))
def test_a_day_falls_in_exactly_its_month_and_its_evaluation_years(day):
    moment = midnight(day.isoformat()) + timedelta(hours=12)
    month = parse_period(f"month:{day.year}-{day.month:02d}")
    residential = parse_period(f"eval_residential:{day.year + (day.month >= 11)}")
    commune_year = day.year + ((day.month, day.day) >= (11, 16))
    commune = parse_period(f"eval_commune:{commune_year}")

    for window in (month, residential, commune):
        assert window.start <= moment < window.end
    # Consecutive evaluation years adjoin: no day is in two, none in neither.
    assert parse_period(f"eval_commune:{commune_year + 1}").start == commune.end
    assert (
        parse_period(f"eval_residential:{day.year + 1}").start
        == parse_period(f"eval_residential:{day.year}").end
    )


def test_bounds():
    assert parse_bound("2026-11-20", end=False) == midnight("2026-11-20")
    assert parse_bound("2026-11-20", end=True) == midnight("2026-11-21")
    assert parse_bound("2026-11-20T21:00:00+07:00", end=False) == datetime(
        2026, 11, 20, 14, tzinfo=UTC
    )
    assert parse_bound("2026-11-20T14:00:00Z", end=True) == datetime(2026, 11, 20, 14, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_bound("2026-11-20T21:00:00", end=False)


def test_resolve_window_rejects_both_notations():
    with pytest.raises(ValidationFailed):
        resolve_window(period="year:2026", from_=None, to="2026-01-01")
    assert resolve_window(period=None, from_=None, to=None).start is None
