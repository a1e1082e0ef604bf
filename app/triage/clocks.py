"""The resolution clocks of a tip as a pure function of its state (kind, receipt by the
current unit, the category's period, the unit). Corrections recompute them here when the kind
or the category changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.time import as_utc
from app.units.models import CategoryKind, UnitKind

COMMUNE_TRANSFER_HOURS = 24  # art. 146(3), Circular 28/2020
REMOTE_COMMUNE_TRANSFER_HOURS = 48


@dataclass(frozen=True)
class Clocks:
    due_at: datetime
    transfer_due_at: datetime | None


def clocks_for(
    *, kind: str, received_at: datetime, resolve_days: int, unit_kind: str, unit_remote: bool
) -> Clocks:
    """``due_at``: the category's period from receipt by the current unit (20 days for crime
    categories, art. 147); ``transfer_due_at``: a crime tip at a commune police must be
    forwarded within 24 h (48 h for a remote commune) of receipt."""
    received = as_utc(received_at)
    transfer_due_at = None
    if kind == CategoryKind.crime.value and unit_kind == UnitKind.commune.value:
        hours = REMOTE_COMMUNE_TRANSFER_HOURS if unit_remote else COMMUNE_TRANSFER_HOURS
        transfer_due_at = received + timedelta(hours=hours)
    return Clocks(due_at=received + timedelta(days=resolve_days), transfer_due_at=transfer_due_at)
