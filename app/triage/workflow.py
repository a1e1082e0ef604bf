"""The tip state machine: ONE table of allowed transitions and what each needs.

Everything that changes a tip's status goes through :func:`plan_transition`; the service
applies the plan. Rules that the table encodes (Criminal Procedure Code 2015, arts. 145–149):

* crime tips are never ``rejected`` (art. 145(1): no refusal at intake); they can be
  transferred or referred to the competent body instead;
* ``suspended`` (tạm đình chỉ, art. 148) exists only for crime tips; it records the outcome
  ``suspended`` and stops the clock; resuming (→ ``in_progress``) gives at most one more
  month (art. 149);
* ``resolved`` needs an outcome valid for the kind; ``rejected`` and ``referred`` need a note
  giving the reason;
* ``transferred`` and ``merged`` are carried out by their own endpoints (``/transfer`` needs a
  unit, ``/merge`` needs the tip to merge into). ``transferred`` is never stored: the same tip
  moves to the new unit and starts again at ``received`` there, with its history kept;
* ``resolved``, ``rejected``, ``referred`` and ``merged`` are terminal: they accept no
  transition. After ``not_prosecuted`` the reporter may still complain within 15 days; that
  happens on the message channel (/track), which stays open on closed tips.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import InvalidTransition, Message, ValidationFailed, msg
from app.tips.models import TipStatus
from app.units.models import CategoryKind


class CrimeOutcome(StrEnum):
    prosecuted = "prosecuted"  # khởi tố
    not_prosecuted = "not_prosecuted"  # không khởi tố
    suspended = "suspended"  # tạm đình chỉ


class SecurityOutcome(StrEnum):
    handled = "handled"
    mediated = "mediated"
    unfounded = "unfounded"
    noted = "noted"


OUTCOMES: dict[CategoryKind, frozenset[str]] = {
    CategoryKind.crime: frozenset(CrimeOutcome),
    CategoryKind.security_order: frozenset(SecurityOutcome),
}

TERMINAL_STATUSES: frozenset[TipStatus] = frozenset(
    {TipStatus.resolved, TipStatus.rejected, TipStatus.referred, TipStatus.merged}
)
# Statuses whose deadline clock runs: open, and not paused by a suspension decision.
CLOCK_STOPPED_STATUSES: frozenset[TipStatus] = TERMINAL_STATUSES | {TipStatus.suspended}

_BOTH = frozenset(CategoryKind)
_CRIME = frozenset({CategoryKind.crime})
_SECURITY = frozenset({CategoryKind.security_order})

S = TipStatus


@dataclass(frozen=True)
class Transition:
    source: TipStatus
    target: TipStatus
    kinds: frozenset[CategoryKind] = _BOTH
    needs: tuple[str, ...] = ()  # request fields that must be present
    via: str | None = None  # the endpoint that performs it, when not /transitions


@dataclass(frozen=True)
class Requirement:
    kinds: frozenset[CategoryKind] = _BOTH
    needs: tuple[str, ...] = ()
    via: str | None = None


# What a target status demands, wherever the tip comes from.
_REQUIREMENTS: dict[TipStatus, Requirement] = {
    S.suspended: Requirement(kinds=_CRIME),
    S.resolved: Requirement(needs=("outcome",)),
    S.rejected: Requirement(kinds=_SECURITY, needs=("note",)),
    S.referred: Requirement(needs=("note",)),
    S.transferred: Requirement(needs=("unit_code", "reason"), via="transfer"),
    S.merged: Requirement(needs=("into_id",), via="merge"),
}


def _rows(source: TipStatus, *targets: TipStatus) -> tuple[Transition, ...]:
    rows = []
    for target in targets:
        req = _REQUIREMENTS.get(target, Requirement())
        rows.append(Transition(source, target, req.kinds, req.needs, req.via))
    return tuple(rows)


_LEAVE = (S.transferred, S.referred, S.rejected, S.merged)  # ways out of any open status

# THE table. Read a row as "from <source> a tip may go to <target> (if its kind allows)".
TRANSITIONS: tuple[Transition, ...] = (
    *_rows(S.received, S.verifying, S.in_progress, S.awaiting_info, *_LEAVE),
    *_rows(S.verifying, S.in_progress, S.awaiting_info, S.suspended, S.resolved, *_LEAVE),
    *_rows(S.in_progress, S.verifying, S.awaiting_info, S.suspended, S.resolved, *_LEAVE),
    *_rows(S.awaiting_info, S.verifying, S.in_progress, S.suspended, S.resolved, *_LEAVE),
    # Resume (art. 149), a final decision, or hand the case on.
    *_rows(S.suspended, S.in_progress, S.resolved, S.transferred, S.merged),
    # resolved, rejected, referred, merged: terminal. transferred: never stored.
)

_BY_SOURCE: dict[TipStatus, dict[TipStatus, Transition]] = {}
for _row in TRANSITIONS:
    _BY_SOURCE.setdefault(_row.source, {})[_row.target] = _row


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


def allowed_targets(kind: str, status: str) -> list[str]:
    """The statuses a tip of this kind may move to from ``status``, in table order."""
    rows = _BY_SOURCE.get(TipStatus(status), {})
    return [str(t) for t, row in rows.items() if CategoryKind(kind) in row.kinds]


def find_transition(kind: str, status: str, target: str) -> Transition:
    """The table row for this move, or 409 ``invalid_transition`` listing what is allowed."""
    row = _BY_SOURCE.get(TipStatus(status), {}).get(TipStatus(target))
    if row is None or CategoryKind(kind) not in row.kinds:
        allowed = allowed_targets(kind, status)
        listed = ", ".join(allowed) or "—"
        raise InvalidTransition(
            msg("triage.transition", status=status, target=target, listed=listed),
            extra={"allowed": allowed},
        )
    return row


@dataclass(frozen=True)
class TransitionRequest:
    to: str
    note: str | None = None
    outcome: str | None = None
    outcome_summary: str | None = None


@dataclass(frozen=True)
class TransitionPlan:
    """What the service must write: the new status and the fields that go with it."""

    source: TipStatus
    target: TipStatus
    outcome: str | None  # the tip's outcome after the move
    outcome_summary: str | None
    closes: bool  # target is terminal: set closed_at
    resumes: bool  # suspended → in_progress: due in at most one more month


def plan_transition(*, kind: str, status: str, request: TransitionRequest) -> TransitionPlan:
    """Check a request against the table; 409 for an illegal move, 422 for missing fields."""
    row = find_transition(kind, status, request.to)
    if row.via is not None:
        raise ValidationFailed(
            msg("triage.use_endpoint_detail", via=row.via, target=row.target.value),
            errors=[("to", msg("triage.use_endpoint", via=row.via))],
        )
    errors: list[tuple[str, Message]] = []
    note = (request.note or "").strip()
    if "note" in row.needs and not note:
        errors.append(("note", msg("triage.note_required")))
    outcome = request.outcome
    valid = sorted(OUTCOMES[CategoryKind(kind)])
    if row.target is S.resolved:
        if not outcome:
            errors.append(("outcome", msg("triage.outcome_required", choices=", ".join(valid))))
        elif outcome not in valid:
            errors.append(("outcome", msg("triage.outcome_invalid", choices=", ".join(valid))))
    elif outcome is not None:
        errors.append(("outcome", msg("triage.outcome_only_resolved")))
    if request.outcome_summary is not None and row.target not in TERMINAL_STATUSES:
        errors.append(("outcome_summary", msg("triage.summary_only_closing")))
    if errors:
        raise ValidationFailed(errors=errors)

    # The suspension decision is the tip's outcome while it stands; any other move clears it.
    new_outcome: str | None = None
    if row.target is S.resolved:
        new_outcome = outcome
    elif row.target is S.suspended:
        new_outcome = CrimeOutcome.suspended.value
    summary = request.outcome_summary.strip() if request.outcome_summary else None
    return TransitionPlan(
        source=row.source,
        target=row.target,
        outcome=new_outcome,
        outcome_summary=summary or None,
        closes=row.target in TERMINAL_STATUSES,
        resumes=row.source is S.suspended and row.target is S.in_progress,
    )
