"""One synthetic tip as it moves through its life (app.devdata.synth): its state, the
clock its events follow, and the rows it writes into a batch."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.devdata.shapes import (
    CLOCK_STOPPED,
    CLOCK_TICK,
    PUBLIC_STATUS,
    STAFF_LABEL,
    SYSTEM_LABEL,
    TERMINAL,
    local_year,
)

if TYPE_CHECKING:  # the generator owns its tips; they write into its batch
    from app.devdata.synth import Synthesizer


class TipState:
    """One tip being simulated: its fields, its timeline and its register entries."""

    def __init__(self, synth: Synthesizer, *, tip_id: str, reference: str, created: datetime):
        self.synth = synth
        self.id = tip_id
        self.reference = reference
        self.created = created
        self.clock = created  # the time of the last step taken
        self.last_change = created  # updated_at: the last change a reader would see
        self.status = "received"
        self.unit = ""
        self.register_number = ""
        self.received_at = created
        self.acknowledged_at: datetime | None = None
        self.first_response_at: datetime | None = None
        self.classify_by: datetime | None = None
        self.transfer_due_at: datetime | None = None
        self.due_at: datetime | None = None
        self.outcome: str | None = None
        self.outcome_summary: str | None = None
        self.merged_into_id: str | None = None
        self.closed_at: datetime | None = None
        self.notified: datetime | None = None
        self.watchers: dict[str, str] = {}  # unit code -> reason

    # -- time ------------------------------------------------------------------------------

    def reach(self, at: datetime) -> bool:
        """Move the clock to ``at`` (False when that is after now: the simulation stops).
        Deadlines passed on the way, while the clock ran, get their ``tip.overdue`` event."""
        limit = min(at, self.synth.now)
        if self.status not in CLOCK_STOPPED:
            passed = sorted(
                (deadline, name)
                for name, deadline in (
                    ("transfer_due_at", self.transfer_due_at),
                    ("due_at", self.due_at),
                )
                if deadline is not None
                and self.clock <= deadline < limit
                and (self.notified is None or deadline > self.notified)
            )
            for deadline, name in passed:
                noticed = min(deadline + CLOCK_TICK, limit)
                self.notified = deadline
                self.event(
                    "tip.overdue",
                    noticed,
                    actor=SYSTEM_LABEL,
                    data={
                        "deadline": name,
                        "due_at": deadline.isoformat(),
                        "status": self.status,
                        "assignee_id": None,
                    },
                    changes=False,
                )
        if at > self.synth.now:
            return False
        self.clock = at
        return True

    # -- writing ---------------------------------------------------------------------------

    def event(
        self,
        type_: str,
        at: datetime,
        *,
        actor: str = STAFF_LABEL,
        unit: str | None = None,
        from_status: str | None = None,
        to_status: str | None = None,
        public: bool = False,
        note: str | None = None,
        data: dict[str, Any] | None = None,
        changes: bool = True,
        tip_id: str | None = None,
    ) -> None:
        self.synth.batch.events.append(
            (
                tip_id or self.id,
                type_,
                at,
                None,
                actor,
                unit or self.unit,
                from_status,
                to_status,
                public,
                PUBLIC_STATUS[self.status] if public else None,
                None,
                note,
                json.dumps(data or {}, ensure_ascii=False),
                at,
                at,
            )
        )
        if changes:
            self.last_change = at

    def register(self, unit: str, at: datetime) -> str:
        year = local_year(at)
        counters = self.synth.reference.counters
        seq = counters.get((unit, year), 0) + 1
        counters[(unit, year)] = seq
        self.synth.batch.counters[(unit, year)] = seq
        number = f"{unit}/{year}/{seq:06d}"
        self.synth.batch.entries.append((self.id, unit, year, seq, number, at, at, at))
        self.register_number = number
        return number

    def staff_action(self, at: datetime) -> None:
        if self.first_response_at is None:
            self.first_response_at = at
        if self.acknowledged_at is None and self.status == "received":
            self.acknowledged_at = at

    def move(
        self,
        target: str,
        at: datetime,
        *,
        outcome: str | None = None,
        note: str | None = None,
        summary: str | None = None,
    ) -> None:
        """A transition as app.triage.actions.transition writes it."""
        source = self.status
        before = PUBLIC_STATUS[source]
        self.staff_action(at)
        self.status = target
        self.outcome = outcome if target in ("resolved", "suspended") else None
        if summary is not None:
            self.outcome_summary = summary
        closes = target in TERMINAL
        if closes:
            self.closed_at = at
        self.event(
            "tip.status_changed",
            at,
            from_status=source,
            to_status=target,
            public=PUBLIC_STATUS[target] != before or closes,
            note=note,
            data={"outcome": self.outcome},
        )
