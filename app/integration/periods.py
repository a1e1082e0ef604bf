"""Reporting periods: the windows statistics and exports count tips in.

A window is half-open, ``[start, end)``, in UTC. Calendar days are Vietnamese days
(Asia/Ho_Chi_Minh, UTC+7 all year): ``month:2026-11`` starts at 2026-11-01 00:00 +07:00.

Named periods (``period=``):

* ``day:2026-11-20``, ``month:2026-11``, ``quarter:2026-Q4``, ``half:2026-H1`` (or ``H2``),
  ``year:2026``;
* ``eval_residential:2026`` — the Circular 124/2021 evaluation year of residential areas:
  1 Nov 2025 – 31 Oct 2026;
* ``eval_commune:2026`` — that of communes, agencies and schools: 16 Nov 2025 – 15 Nov 2026.

``from`` / ``to`` take a calendar day (``2026-11-20``, both ends inclusive) or an RFC 3339
time with an offset (``from`` inclusive, ``to`` exclusive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.core.errors import Message, ValidationFailed, msg
from app.core.time import local_day_start

# Vietnam has kept UTC+7 without daylight saving since 1975: SQL can shift by a constant.
VN_UTC_OFFSET_HOURS = 7

PERIOD_HELP = (
    "day:YYYY-MM-DD, month:YYYY-MM, quarter:YYYY-Q1..Q4, half:YYYY-H1|H2, year:YYYY, "
    "eval_residential:YYYY (1 Nov of YYYY-1 – 31 Oct YYYY), "
    "eval_commune:YYYY (16 Nov of YYYY-1 – 15 Nov YYYY)"
)

_PATTERNS: dict[str, re.Pattern[str]] = {
    "day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
    "quarter": re.compile(r"(\d{4})-[Qq]([1-4])"),
    "half": re.compile(r"(\d{4})-[Hh]([12])"),
    "year": re.compile(r"(\d{4})"),
    "eval_residential": re.compile(r"(\d{4})"),
    "eval_commune": re.compile(r"(\d{4})"),
}
# What the OpenAPI document says a `period` looks like (parse_period also checks the dates).
PERIOD_SCHEMA = {
    "pattern": r"^\s*(" + "|".join(f"{k}:{p.pattern}" for k, p in _PATTERNS.items()) + r")\s*$"
}


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _day_range(first: date, last_inclusive: date) -> Window:
    return Window(local_day_start(first), local_day_start(last_inclusive + timedelta(days=1)))


def parse_period(value: str) -> Window:
    """The window a named period covers; ValueError when the notation is wrong."""
    kind, sep, arg = value.strip().partition(":")
    pattern = _PATTERNS.get(kind)
    match = pattern.fullmatch(arg) if pattern and sep else None
    if match is None:
        raise ValueError(f"unknown period {value!r}; expected one of {PERIOD_HELP}")
    year = int(match.group(1))
    if not 1900 <= year <= 9998:
        raise ValueError(f"year out of range in {value!r}")
    if kind == "day":
        day = date(year, int(match.group(2)), int(match.group(3)))  # ValueError if invalid
        return _day_range(day, day)
    if kind == "month":
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month out of range in {value!r}")
        return Window(
            local_day_start(date(year, month, 1)), local_day_start(_add_months(year, month, 1))
        )
    if kind == "quarter":
        first_month = (int(match.group(2)) - 1) * 3 + 1
        return Window(
            local_day_start(date(year, first_month, 1)),
            local_day_start(_add_months(year, first_month, 3)),
        )
    if kind == "half":
        first_month = 1 if match.group(2) == "1" else 7
        return Window(
            local_day_start(date(year, first_month, 1)),
            local_day_start(_add_months(year, first_month, 6)),
        )
    if kind == "year":
        return _day_range(date(year, 1, 1), date(year, 12, 31))
    if kind == "eval_residential":
        return _day_range(date(year - 1, 11, 1), date(year, 10, 31))
    return _day_range(date(year - 1, 11, 16), date(year, 11, 15))  # eval_commune


def parse_bound(value: str, *, end: bool) -> datetime:
    """A ``from``/``to`` value in UTC: a calendar day, or a time with an offset.

    A day as ``to`` includes that whole day (the bound is the next day's midnight).
    """
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        return local_day_start(day + timedelta(days=1) if end else day)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time needs an offset (e.g. +07:00)")
    return parsed.astimezone(UTC)


def resolve_window(*, period: str | None, from_: str | None, to: str | None) -> Window:
    """The window from ``period`` or ``from``/``to`` (not both); 422 when malformed."""
    errors: list[tuple[str, Message]] = []
    if period is not None and (from_ is not None or to is not None):
        raise ValidationFailed(errors=[("period", msg("period.both"))])
    if period is not None:
        try:
            return parse_period(period)
        except (ValueError, OverflowError):
            raise ValidationFailed(
                errors=[("period", msg("period.invalid", help=PERIOD_HELP))]
            ) from None
    start = end = None
    for field, raw in (("from", from_), ("to", to)):
        if raw is None:
            continue
        try:
            bound = parse_bound(raw, end=field == "to")
        except (ValueError, OverflowError):
            errors.append((field, msg("period.bound")))
            continue
        if field == "from":
            start = bound
        else:
            end = bound
    if not errors and start is not None and end is not None and end <= start:
        errors.append(("to", msg("period.order")))
    if errors:
        raise ValidationFailed(errors=errors)
    return Window(start, end)
