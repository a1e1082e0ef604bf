"""Property-based tests of the state machine table (pure: no database).

Random sequences of transition requests are run against a small model of a tip that applies
each plan the way the service does; the invariants below must hold after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import AppError, InvalidTransition, ValidationFailed
from app.core.time import add_months
from app.tips.models import TipStatus
from app.triage.errors import DeadlineLimit
from app.triage.extensions import ExtensionRequest, check_extension
from app.triage.workflow import (
    OUTCOMES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    TransitionRequest,
    allowed_targets,
    plan_transition,
)
from app.units.models import CategoryKind

ALL_OUTCOMES = sorted({o for s in OUTCOMES.values() for o in s})


@dataclass(frozen=True)
class Model:
    kind: str
    status: str = TipStatus.received.value
    outcome: str | None = None
    closed: bool = False


def apply(model: Model, request: TransitionRequest) -> Model:
    plan = plan_transition(kind=model.kind, status=model.status, request=request)
    return replace(
        model, status=plan.target.value, outcome=plan.outcome, closed=model.closed or plan.closes
    )


requests = st.builds(
    TransitionRequest,
    to=st.sampled_from([s.value for s in TipStatus]),
    note=st.one_of(st.none(), st.just(""), st.just("Lý do cụ thể")),
    outcome=st.one_of(st.none(), st.sampled_from(ALL_OUTCOMES)),
    outcome_summary=st.one_of(st.none(), st.just("Đã xử lý")),
)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from([k.value for k in CategoryKind]), steps=st.lists(requests, max_size=25))
def test_random_request_sequences_keep_the_invariants(
    kind: str, steps: list[TransitionRequest]
) -> None:
    model = Model(kind=kind)
    for request in steps:
        before = model
        try:
            model = apply(model, request)
        except (InvalidTransition, ValidationFailed):
            model = before  # a refused request changes nothing
        else:
            # Only moves listed in the table happen.
            assert request.to in allowed_targets(kind, before.status)
            # Nothing leaves a terminal status.
            assert before.status not in TERMINAL_STATUSES
        assert model.status in {s.value for s in TipStatus}
        if kind == CategoryKind.crime:
            assert model.status != TipStatus.rejected  # art. 145: never refused
        else:
            assert model.status != TipStatus.suspended
        if model.status == TipStatus.resolved:
            assert model.outcome in OUTCOMES[CategoryKind(kind)]
        if model.status == TipStatus.suspended:
            assert model.outcome == "suspended"
        # transferred and merged only through their own endpoints.
        assert model.status not in (TipStatus.transferred, TipStatus.merged)
        assert model.closed == (model.status in TERMINAL_STATUSES)


@given(
    kind=st.sampled_from([k.value for k in CategoryKind]),
    terminal=st.sampled_from(sorted(TERMINAL_STATUSES)),
    request=requests,
)
def test_terminal_statuses_accept_nothing(
    kind: str, terminal: str, request: TransitionRequest
) -> None:
    with pytest.raises(InvalidTransition) as info:
        plan_transition(kind=kind, status=terminal, request=request)
    assert info.value.extra == {"allowed": []}


def test_the_table_never_lets_a_crime_tip_be_rejected_or_a_report_be_suspended() -> None:
    for row in TRANSITIONS:
        if row.target == TipStatus.rejected:
            assert CategoryKind.crime not in row.kinds
        if row.target == TipStatus.suspended:
            assert row.kinds == {CategoryKind.crime}


def test_illegal_move_lists_the_allowed_targets() -> None:
    with pytest.raises(InvalidTransition) as info:
        plan_transition(
            kind="crime", status="received", request=TransitionRequest(to="rejected", note="x")
        )
    assert info.value.extra["allowed"] == [
        "verifying",
        "in_progress",
        "awaiting_info",
        "transferred",
        "referred",
        "merged",
    ]


@pytest.mark.parametrize(
    ("kind", "request_", "field"),
    [
        ("crime", TransitionRequest(to="resolved"), "outcome"),
        ("crime", TransitionRequest(to="resolved", outcome="handled"), "outcome"),
        ("security_order", TransitionRequest(to="resolved", outcome="prosecuted"), "outcome"),
        ("security_order", TransitionRequest(to="rejected"), "note"),
        ("security_order", TransitionRequest(to="rejected", note="   "), "note"),
        ("crime", TransitionRequest(to="referred"), "note"),
        ("crime", TransitionRequest(to="in_progress", outcome="prosecuted"), "outcome"),
        ("crime", TransitionRequest(to="merged"), "to"),
        ("crime", TransitionRequest(to="transferred"), "to"),
    ],
)
def test_missing_or_wrong_fields_are_422(
    kind: str, request_: TransitionRequest, field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        plan_transition(kind=kind, status="verifying", request=request_)
    assert field in [f for f, _ in info.value.errors or []]


def test_resume_clears_the_suspension_and_is_flagged() -> None:
    plan = plan_transition(
        kind="crime", status="suspended", request=TransitionRequest(to="in_progress")
    )
    assert plan.resumes and plan.outcome is None and not plan.closes


# --- deadline extensions -----------------------------------------------------------------

RECEIVED = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội


def _extend(kind: str, *, prior: int, until: datetime, decision_ref: str | None = None) -> None:
    check_extension(
        kind=kind,
        received_at=RECEIVED,
        due_at=RECEIVED + timedelta(days=20),
        prior=prior,
        request=ExtensionRequest(until=until, reason="Vụ việc phức tạp", decision_ref=decision_ref),
        now=RECEIVED + timedelta(days=10),
    )


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(RECEIVED, 1) == datetime(2026, 2, 28, 3, 0, tzinfo=UTC)
    assert add_months(RECEIVED, 2) == datetime(2026, 3, 31, 3, 0, tzinfo=UTC)


def test_crime_extension_bounds() -> None:
    two_months = add_months(RECEIVED, 2)
    _extend("crime", prior=0, until=two_months)
    # Anywhere on the last allowed day (Vietnamese calendar) is fine.
    _extend("crime", prior=0, until=datetime(2026, 3, 31, 16, 59, tzinfo=UTC))
    with pytest.raises(DeadlineLimit):
        _extend("crime", prior=0, until=datetime(2026, 3, 31, 17, 0, tzinfo=UTC))
    with pytest.raises(ValidationFailed) as info:
        _extend("crime", prior=1, until=two_months + timedelta(days=30))
    assert info.value.errors and info.value.errors[0][0] == "decision_ref"
    _extend("crime", prior=1, until=add_months(RECEIVED, 4), decision_ref="QĐ 12/VKS")
    with pytest.raises(DeadlineLimit):
        _extend("crime", prior=1, until=add_months(RECEIVED, 5), decision_ref="QĐ 12/VKS")
    with pytest.raises(DeadlineLimit):
        _extend("crime", prior=2, until=RECEIVED + timedelta(days=40), decision_ref="QĐ 13")


def test_an_extension_must_move_the_date_later() -> None:
    with pytest.raises(ValidationFailed):
        _extend("crime", prior=0, until=RECEIVED + timedelta(days=5))


def test_security_reports_get_one_extension_of_30_days() -> None:
    due = RECEIVED + timedelta(days=20)
    _extend("security_order", prior=0, until=due + timedelta(days=30))
    with pytest.raises(DeadlineLimit):
        _extend("security_order", prior=0, until=due + timedelta(days=31))
    with pytest.raises(DeadlineLimit):
        _extend("security_order", prior=1, until=due + timedelta(days=3))


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from([k.value for k in CategoryKind]),
    prior=st.integers(0, 3),
    days=st.integers(-30, 200),
    with_ref=st.booleans(),
)
def test_no_accepted_extension_exceeds_four_months(
    kind: str, prior: int, days: int, with_ref: bool
) -> None:
    until = RECEIVED + timedelta(days=days)
    try:
        _extend(kind, prior=prior, until=until, decision_ref="QĐ 1" if with_ref else None)
    except AppError:
        return
    if kind == "crime":
        assert prior < 2
        assert until <= add_months(RECEIVED, 4) + timedelta(days=1)
        if prior == 1:
            assert with_ref
    else:
        assert prior == 0
