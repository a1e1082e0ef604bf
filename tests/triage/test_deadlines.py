"""Working-day arithmetic (Asia/Ho_Chi_Minh) and the shipped holiday calendar."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.units.deadlines import (
    WorkingCalendar,
    add_working_days,
    compute_deadlines,
    handover_deadlines,
    invalidate_calendar_cache,
    load_calendar,
)
from app.units.models import CalendarDay, CategoryKind, UnitKind

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR_CSV = Path(__file__).resolve().parents[2] / "app" / "triage" / "data" / "calendar_days.csv"


def _shipped_calendar() -> WorkingCalendar:
    with CALENDAR_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return WorkingCalendar(
        holidays=frozenset(date.fromisoformat(r["day"]) for r in rows if r["kind"] == "holiday"),
        working_days=frozenset(
            date.fromisoformat(r["day"]) for r in rows if r["kind"] == "working_day"
        ),
    )


SHIPPED = _shipped_calendar()


def vn(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=VN)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # API.md: received on Sunday 2026-11-22, acknowledge within 3 working days.
        (vn(2026, 11, 22), 3, end_of(2026, 11, 25)),
        # 18:00 UTC on Sunday is 01:00 on Monday in Việt Nam: Monday is the receipt day.
        (datetime(2026, 11, 22, 18, 0, tzinfo=UTC), 3, end_of(2026, 11, 26)),
        # Tết Bính Ngọ: 16–20 February 2026 off, with the weekends around it.
        (vn(2026, 2, 13), 3, end_of(2026, 2, 25)),
        (vn(2026, 2, 17), 1, end_of(2026, 2, 23)),
        # 30/4 and 1/5 2026 (Thursday, Friday), then the weekend.
        (vn(2026, 4, 29), 3, end_of(2026, 5, 6)),
        # Hùng Kings day 2026 falls on Sunday 26/4: Monday 27/4 is the day off instead.
        (vn(2026, 4, 24), 1, end_of(2026, 4, 28)),
        # 2025: Friday 2/5 off, Saturday 26/4 worked in exchange.
        (vn(2025, 4, 24), 2, end_of(2025, 4, 26)),
        (vn(2025, 4, 29), 1, end_of(2025, 5, 5)),
        # National Day 2025: 1/9 and 2/9.
        (vn(2025, 8, 29), 1, end_of(2025, 9, 3)),
        # Zero days: the receipt day if it is a working day, else the next one.
        (vn(2026, 11, 23), 0, end_of(2026, 11, 23)),
        (vn(2026, 11, 22), 0, end_of(2026, 11, 23)),
    ],
)
def test_examples(start: datetime, days: int, expected: datetime) -> None:
    result = add_working_days(start, days, SHIPPED)
    assert result == expected
    assert result.isoformat() == expected.isoformat()
    assert result.utcoffset() == timedelta(hours=7)


def test_rejects_negative_days_and_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        add_working_days(vn(2026, 1, 5), -1, SHIPPED)
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 1, 5, 10), 1, SHIPPED)


def test_shipped_calendar_covers_2025_to_2028() -> None:
    for year in (2025, 2026, 2027, 2028):
        holidays = {d for d in SHIPPED.holidays if d.year == year}
        assert date(year, 1, 1) in holidays
        assert {date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= holidays
        assert date(year, 9, 1) in holidays or date(year, 9, 3) in holidays
    # Tết and Hùng Kings day (DOMAIN.md's lunar dates).
    for tet in (date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26)):
        assert tet in SHIPPED.holidays
        # Five statutory days off around Tết, shifted off weekends.
        around = {tet + timedelta(days=k) for k in range(-7, 8)}
        assert len([d for d in around if d in SHIPPED.holidays and d.weekday() < 5]) >= 5
    for hung in (date(2025, 4, 7), date(2026, 4, 27), date(2027, 4, 16), date(2028, 4, 4)):
        assert not SHIPPED.is_working_day(hung)
    for swapped in SHIPPED.working_days:
        assert swapped.weekday() >= 5


moments = st.datetimes(
    min_value=datetime(2024, 12, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.just(UTC),
)
calendars = st.builds(
    WorkingCalendar,
    holidays=st.frozensets(st.dates(date(2024, 12, 1), date(2029, 6, 30)), max_size=120),
    working_days=st.frozensets(st.dates(date(2024, 12, 1), date(2029, 6, 30)), max_size=10),
)


def _working_days_between(calendar: WorkingCalendar, after: date, until: date) -> int:
    """Working days in (after, until]."""
    count, day = 0, after
    while day < until:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


@given(start=moments, days=st.integers(0, 60), calendar=st.one_of(st.just(SHIPPED), calendars))
def test_result_is_the_end_of_a_working_day_not_before_start(
    start: datetime, days: int, calendar: WorkingCalendar
) -> None:
    result = add_working_days(start, days, calendar)
    local = result.astimezone(VN)
    assert calendar.is_working_day(local.date())
    assert local.time() == time(23, 59, 59)
    assert result >= start
    start_day = start.astimezone(VN).date()
    if days == 0:
        # The first working day on or after the receipt day.
        assert _working_days_between(calendar, start_day - timedelta(days=1), local.date()) == 1
    else:
        # Exactly `days` working days after the receipt day, holidays skipped.
        assert _working_days_between(calendar, start_day, local.date()) == days


@given(start=moments, days=st.integers(0, 40), calendar=st.one_of(st.just(SHIPPED), calendars))
def test_monotone_in_days(start: datetime, days: int, calendar: WorkingCalendar) -> None:
    earlier = add_working_days(start, days, calendar)
    later = add_working_days(start, days + 1, calendar)
    # 0 and 1 working days coincide when the receipt day is not a working day.
    assert earlier < later if days >= 1 else earlier <= later


@given(start=moments, days=st.integers(1, 30))
def test_never_ends_on_a_holiday_or_weekend(start: datetime, days: int) -> None:
    day = add_working_days(start, days, SHIPPED).astimezone(VN).date()
    assert day not in SHIPPED.holidays
    assert day.weekday() < 5 or day in SHIPPED.working_days


@given(
    kind=st.sampled_from(CategoryKind),
    unit_kind=st.sampled_from(UnitKind),
    unit_remote=st.booleans(),
    acknowledge_working_days=st.integers(0, 20),
    resolve_days=st.integers(1, 90),
    received_at=st.one_of(moments, moments.map(lambda m: m.astimezone(VN))),
    calendar=st.one_of(st.just(SHIPPED), calendars),
)
def test_compute_deadlines(
    kind: CategoryKind,
    unit_kind: UnitKind,
    unit_remote: bool,
    acknowledge_working_days: int,
    resolve_days: int,
    received_at: datetime,
    calendar: WorkingCalendar,
) -> None:
    d = compute_deadlines(
        kind=kind,
        unit_kind=unit_kind,
        unit_remote=unit_remote,
        acknowledge_working_days=acknowledge_working_days,
        resolve_days=resolve_days,
        received_at=received_at,
        calendar=calendar,
    )
    # Every date is stored and answered in UTC.
    for value in (d.received_at, d.acknowledge_by, d.classify_by, d.transfer_due_at, d.due_at):
        assert value is None or value.utcoffset() == timedelta(0)
    assert d.received_at == received_at
    # Acknowledged by the end of a working day, the one add_working_days names.
    assert d.acknowledge_by >= received_at
    assert d.acknowledge_by == add_working_days(received_at, acknowledge_working_days, calendar)
    local = d.acknowledge_by.astimezone(VN)
    assert calendar.is_working_day(local.date())
    assert local.time() == time(23, 59, 59)
    assert d.classify_by == received_at + timedelta(hours=24)
    assert d.due_at == received_at + timedelta(days=resolve_days)
    # Only crime tips at commune police wait for a transfer: 24 h, 48 h when remote.
    if kind == CategoryKind.crime and unit_kind == UnitKind.commune:
        assert d.transfer_due_at == received_at + timedelta(hours=48 if unit_remote else 24)
    else:
        assert d.transfer_due_at is None


@given(
    kind=st.sampled_from(CategoryKind),
    unit_kind=st.sampled_from(UnitKind),
    unit_remote=st.booleans(),
    resolve_days=st.one_of(st.none(), st.integers(1, 90)),
    handed_over_at=moments,
)
def test_handover_deadlines(
    kind: CategoryKind,
    unit_kind: UnitKind,
    unit_remote: bool,
    resolve_days: int | None,
    handed_over_at: datetime,
) -> None:
    d = handover_deadlines(
        kind=kind,
        unit_kind=unit_kind,
        unit_remote=unit_remote,
        resolve_days=resolve_days,
        handed_over_at=handed_over_at,
    )
    assert d.classify_by == handed_over_at + timedelta(hours=24)
    if kind == CategoryKind.security_order:
        # The category's resolution period afresh (15 days when the category is gone).
        assert d.transfer_due_at is None
        assert d.due_at == handed_over_at + timedelta(days=resolve_days or 15)
    elif unit_kind == UnitKind.commune:
        # Handed to another commune police: forwarded in 24 h (48 h remote), due date kept.
        assert d.transfer_due_at == handed_over_at + timedelta(hours=48 if unit_remote else 24)
        assert d.due_at is None
    else:
        # A resolving unit: 20 days from the hand-over (art. 147(1)), no transfer pending.
        assert d.transfer_due_at is None
        assert d.due_at == handed_over_at + timedelta(days=20)


def test_deadlines_accept_the_stored_string_kinds() -> None:
    """Rows hold kinds as strings; they name the same rule as the enums."""
    received = vn(2026, 11, 22)
    by_enum = compute_deadlines(
        kind=CategoryKind.crime,
        unit_kind=UnitKind.commune,
        unit_remote=True,
        acknowledge_working_days=3,
        resolve_days=20,
        received_at=received,
        calendar=SHIPPED,
    )
    by_string = compute_deadlines(
        kind="crime",
        unit_kind="commune",
        unit_remote=True,
        acknowledge_working_days=3,
        resolve_days=20,
        received_at=received,
        calendar=SHIPPED,
    )
    assert by_enum == by_string
    assert by_string.acknowledge_by == end_of(2026, 11, 25)
    assert by_string.transfer_due_at == received + timedelta(hours=48)
    handed = handover_deadlines(
        kind="crime",
        unit_kind="department",
        unit_remote=False,
        resolve_days=None,
        handed_over_at=received,
    )
    assert handed.due_at == received + timedelta(days=20)


async def test_load_calendar_reads_the_table(db: AsyncSession) -> None:
    invalidate_calendar_cache()
    calendar = await load_calendar(db)
    assert calendar == SHIPPED
    extra = date(2026, 11, 24)
    db.add(CalendarDay(day=extra, kind="holiday", name="Ngày Văn hóa Việt Nam (thử)"))
    await db.commit()
    try:
        # Cached until invalidated (whoever writes calendar_days invalidates).
        assert extra not in (await load_calendar(db)).holidays
        invalidate_calendar_cache()
        calendar = await load_calendar(db)
        assert extra in calendar.holidays
        assert add_working_days(vn(2026, 11, 22), 3, calendar) == end_of(2026, 11, 26)
    finally:
        await db.execute(delete(CalendarDay).where(CalendarDay.day == extra))
        await db.commit()
        invalidate_calendar_cache()
