"""When is a tip overdue, in Python and in SQL (the two must agree).

A tip is overdue when its clock runs (it is open and not suspended: a suspension stops the
time limit, art. 148) and a deadline has passed: ``due_at`` (resolution), or
``transfer_due_at`` (a commune police must forward a crime tip to the provincial
investigation agency within 24 h, 48 h for remote communes; cleared by the transfer).
``acknowledge_by`` is reported separately and does not make a tip overdue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from app.core.time import as_utc_or_none
from app.tips.models import Tip
from app.triage.workflow import CLOCK_STOPPED_STATUSES, TERMINAL_STATUSES


def effective_deadline(tip: Tip) -> datetime | None:
    """The earliest deadline the tip must meet now, or None when its clock is stopped."""
    if tip.status in CLOCK_STOPPED_STATUSES:
        return None
    deadlines = [d for d in (as_utc_or_none(tip.due_at), as_utc_or_none(tip.transfer_due_at)) if d]
    return min(deadlines) if deadlines else None


def is_overdue(tip: Tip, now: datetime) -> bool:
    deadline = effective_deadline(tip)
    return deadline is not None and deadline < now


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        Tip.status.not_in([s.value for s in CLOCK_STOPPED_STATUSES]),
        or_(Tip.due_at < now, Tip.transfer_due_at < now),
    )


# --- acknowledgement and classification (Joint Circular 01/2017 art. 14(1); DOMAIN.md) ----
# Both checks concern open tips only: a closed tip was answered one way or another.


def is_acknowledge_overdue(tip: Tip, now: datetime) -> bool:
    """Not acknowledged to the reporter by ``acknowledge_by`` while still open."""
    ack_by = as_utc_or_none(tip.acknowledge_by)
    return (
        tip.acknowledged_at is None
        and tip.status not in TERMINAL_STATUSES
        and ack_by is not None
        and ack_by < now
    )


def acknowledge_overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        Tip.acknowledged_at.is_(None),
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
        Tip.acknowledge_by < now,
    )


def classify_overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Not classified (first transition, or a correction) by ``classify_by``, still open."""
    return and_(
        Tip.classified_at.is_(None),
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
        Tip.classify_by < now,
    )
