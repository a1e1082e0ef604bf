"""The deadlines and the working calendar live in ``app.units.deadlines`` (intake, below
triage, needs them too); this name stays for existing imports."""

from app.units.deadlines import (
    CALENDAR_TTL_SECONDS,
    LOCAL_TZ,
    Deadlines,
    HandoverDeadlines,
    WorkingCalendar,
    add_working_days,
    compute_deadlines,
    end_of_local_day,
    handover_deadlines,
    invalidate_calendar_cache,
    load_calendar,
    local_day,
)

__all__ = [
    "CALENDAR_TTL_SECONDS",
    "LOCAL_TZ",
    "Deadlines",
    "HandoverDeadlines",
    "WorkingCalendar",
    "add_working_days",
    "compute_deadlines",
    "end_of_local_day",
    "handover_deadlines",
    "invalidate_calendar_cache",
    "load_calendar",
    "local_day",
]
