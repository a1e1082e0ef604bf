"""The handling of a synthetic tip (app.devdata.synth): its simulated timeline after intake,
each step at a sampled time and stopping at ``now`` — the transfer of commune crime tips to
the provincial investigation agency, verification, handling, and an end that fits the kind
(or a merge into an earlier tip of the same place and category)."""

from __future__ import annotations

import random
from collections.abc import Set
from datetime import datetime, timedelta

from app.devdata import texts
from app.devdata.shapes import (
    AWAITING_INFO_SHARE,
    COMMUNE_CRIME_KEPT_PATHS,
    COMMUNE_TRANSFER_SHARE,
    CRIME_PATHS,
    LATE_SHARE,
    SECURITY_PATHS,
    STUCK_MOSTLY_BEFORE,
    CategoryRef,
    CommuneRef,
    choose,
)
from app.devdata.tip_state import TipState
from app.units.deadlines import handover_deadlines
from app.units.models import CategoryKind, UnitKind
from app.units.routing import department_unit_code, provincial_unit_code


class Handling:
    """Moves tips through their life; draws from the generator's ``rng``."""

    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        unit_codes: Set[str],
        duplicates: dict[tuple[str, str], tuple[str, str, str]],
    ) -> None:
        self.rng = rng
        self.now = now
        self.unit_codes = unit_codes
        # (commune, category) -> the last tip there that a duplicate can be merged into:
        # (id, reference, unit holding it); the generator fills it as it makes tips.
        self._duplicates = duplicates

    def _hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def handle(
        self,
        tip: TipState,
        commune: CommuneRef,
        category: CategoryRef,
        *,
        crime: bool,
        commune_unit: bool,
    ) -> None:
        rng = self.rng
        late = False
        if crime and commune_unit:
            if rng.random() >= COMMUNE_TRANSFER_SHARE:
                self._close_early(tip, commune, category, choose(rng, COMMUNE_CRIME_KEPT_PATHS))
                return
            limit = (tip.transfer_due_at or tip.created) - tip.created
            roll = rng.random()
            if roll < 0.85:
                delay = limit * rng.uniform(0.1, 0.8)
            elif roll < 0.95:
                delay = limit * rng.uniform(0.8, 1.0)
            else:
                delay = limit * rng.uniform(1.02, 3.0)
            if not self._transfer(tip, tip.created + delay, province=commune.province_code):
                return
        path = choose(rng, CRIME_PATHS if crime else SECURITY_PATHS)
        # A backlog is mostly recent: old tips were closed in the end, most of them late.
        old = self.now - tip.received_at > STUCK_MOSTLY_BEFORE
        if path == "stuck" and old and rng.random() < 0.85:
            path = "not_prosecuted" if crime else "handled"
            late = True
        if path == "merged":
            self._close_early(tip, commune, category, "merged")
            return
        received = tip.received_at
        verifying_at = received + timedelta(hours=min(rng.lognormvariate(2.3, 0.8), 96.0))
        if not tip.reach(verifying_at):
            return
        tip.move("verifying", verifying_at)
        if path == "rejected":
            at = verifying_at + self._hours(1, 72)
            if tip.reach(at):
                tip.move("rejected", at, note=rng.choice(texts.REJECT_NOTES))
            return
        working_at = verifying_at + self._hours(2, 72)
        if not tip.reach(working_at):
            return
        tip.move("in_progress", working_at)
        clock = working_at
        if rng.random() < AWAITING_INFO_SHARE:
            asked = clock + self._hours(24, 120)
            if not tip.reach(asked):
                return
            tip.move("awaiting_info", asked, note=texts.ASK_INFO_NOTE)
            if path == "stuck" and rng.random() < 0.5:
                return
            answered = asked + self._hours(24, 240)
            if not tip.reach(answered):
                return
            tip.move("in_progress", answered, note=texts.RESUME_NOTE)
            clock = answered
        if path == "stuck":
            return
        window = (tip.due_at or received + timedelta(days=15)) - received
        late = late or rng.random() < LATE_SHARE
        share = rng.uniform(1.03, 2.5) if late else rng.uniform(0.15, 0.97)
        end = max(received + window * share, clock + self._hours(1, 24))
        if not tip.reach(end):
            return
        if path == "suspended":
            tip.move("suspended", end, outcome="suspended", note="Tạm đình chỉ việc giải quyết.")
        elif path == "referred":
            tip.move("referred", end, note=rng.choice(texts.REFER_NOTES))
        else:
            tip.move("resolved", end, outcome=path, summary=texts.OUTCOME_SUMMARIES.get(path))

    def _transfer(self, tip: TipState, at: datetime, *, province: str) -> bool:
        """To the provincial investigation agency, as app.triage.handover.transfer does."""
        target = department_unit_code(province, "CSDT")
        if target not in self.unit_codes:
            target = provincial_unit_code(province)
        if target == tip.unit or not tip.reach(at):
            return False
        source_status, source_unit = tip.status, tip.unit
        tip.staff_action(at)
        if tip.acknowledged_at is None:
            tip.acknowledged_at = at
        tip.unit = target
        tip.status = "received"
        tip.received_at = at
        deadlines = handover_deadlines(
            kind=CategoryKind.crime,
            unit_kind=UnitKind.provincial,  # the agency or the provincial police: resolving units
            unit_remote=False,
            resolve_days=None,
            handed_over_at=at,
        )
        tip.classify_by = deadlines.classify_by
        tip.transfer_due_at = deadlines.transfer_due_at
        tip.due_at = deadlines.due_at or tip.due_at
        number = tip.register(target, at)
        tip.watchers.pop(target, None)
        tip.watchers.setdefault(source_unit, "transfer")
        tip.event(
            "tip.transferred",
            at,
            from_status=source_status,
            to_status="received",
            public=True,
            note=texts.TRANSFER_REASON,
            data={
                "from_unit": source_unit,
                "to_unit": target,
                "register_number": number,
                "due_at": tip.due_at.isoformat() if tip.due_at else None,
            },
        )
        return True

    def _close_early(
        self, tip: TipState, commune: CommuneRef, category: CategoryRef, path: str
    ) -> None:
        """Merged into an earlier tip of the place and category, or referred elsewhere,
        within two days of receipt."""
        at = tip.received_at + self._hours(2, 20)
        if not tip.reach(at):
            return
        duplicate_of = self._duplicates.get((commune.code, category.code))
        if path == "merged" and duplicate_of is not None:
            into_id, into_reference, into_unit = duplicate_of
            source = tip.status
            tip.staff_action(at)
            tip.status = "merged"
            tip.merged_into_id = into_id
            tip.closed_at = at
            tip.outcome = None
            tip.event(
                "tip.merged",
                at,
                from_status=source,
                to_status="merged",
                public=True,
                note=texts.MERGE_NOTE,
                data={"into_id": into_id, "into_reference": into_reference},
            )
            tip.event(
                "tip.duplicate_merged",
                at,
                unit=into_unit,
                note=texts.MERGE_NOTE,
                data={"from_id": tip.id, "from_reference": tip.reference},
                changes=False,
                tip_id=into_id,
            )
            return
        tip.move("referred", at, note=self.rng.choice(texts.REFER_NOTES))
