"""Deadline-extension rules (pure): who may push a tip's due date, and how far.

Crime tips (Criminal Procedure Code art. 147): resolved within 20 days of receipt by the
resolving unit; for a complex case a first extension up to 2 months after that receipt, and a
second, on the procuracy's decision (``decision_ref`` required), up to 4 months in all. A third
extension, or a date past those bounds, answers 409 ``deadline_limit``. "Receipt" is
``Tip.received_at``: when the current unit received the tip (a transfer resets it), and only
extensions made since then count.

Security/order reports have no statutory limit; TinBáo allows one extension by a unit lead (or
above) of at most 30 days past the current due date.

Bounds are compared on calendar days in Asia/Ho_Chi_Minh: an ``until`` anywhere on the last
allowed day is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.errors import ValidationFailed, msg
from app.core.time import LOCAL_TZ, add_months, as_utc
from app.triage.errors import DeadlineLimit
from app.units.models import CategoryKind

CRIME_FIRST_BOUND_MONTHS = 2
CRIME_TOTAL_BOUND_MONTHS = 4
CRIME_MAX_EXTENSIONS = 2
SECURITY_MAX_EXTENSIONS = 1
SECURITY_MAX_EXTRA = timedelta(days=30)


@dataclass(frozen=True)
class ExtensionRequest:
    until: datetime
    reason: str
    decision_ref: str | None = None


def extension_bound(
    *, kind: str, received_at: datetime, due_at: datetime | None, prior: int, now: datetime
) -> datetime:
    """The latest ``until`` allowed for the next extension (raises when none is allowed)."""
    if kind == CategoryKind.crime:
        if prior >= CRIME_MAX_EXTENSIONS:
            raise DeadlineLimit(msg("triage.extend_crime_twice"))
        months = CRIME_FIRST_BOUND_MONTHS if prior == 0 else CRIME_TOTAL_BOUND_MONTHS
        return add_months(received_at, months)
    if prior >= SECURITY_MAX_EXTENSIONS:
        raise DeadlineLimit(msg("triage.extend_order_once"))
    return as_utc(due_at or now) + SECURITY_MAX_EXTRA


def check_extension(
    *,
    kind: str,
    received_at: datetime,
    due_at: datetime | None,
    prior: int,
    request: ExtensionRequest,
    now: datetime,
) -> None:
    """Raise 409 ``deadline_limit`` or 422 unless ``request`` is a lawful next extension."""
    bound = extension_bound(kind=kind, received_at=received_at, due_at=due_at, prior=prior, now=now)
    until = as_utc(request.until)
    if kind == CategoryKind.crime and prior >= 1 and not (request.decision_ref or "").strip():
        raise ValidationFailed(
            msg("triage.extend_needs_decision"),
            errors=[("decision_ref", msg("missing"))],
        )
    floor = max(as_utc(due_at), now) if due_at is not None else now
    if until <= floor:
        raise ValidationFailed(
            errors=[
                (
                    "until",
                    msg("triage.until_after_due"),
                )
            ]
        )
    if until.astimezone(LOCAL_TZ).date() > bound.astimezone(LOCAL_TZ).date():
        last_day = bound.astimezone(LOCAL_TZ).date().isoformat()
        raise DeadlineLimit(
            msg("triage.extend_latest", last_day=last_day),
            extra={"latest": last_day},
        )
