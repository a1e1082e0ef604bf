"""Random sequences of transition requests through the whole stack (HTTP, service, database).

The request sequences are drawn by hypothesis (a fixed number of examples, replayed inside
one async test); after every request the stored tip must satisfy the invariants.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.tips.models import TipStatus
from app.triage.workflow import OUTCOMES, TERMINAL_STATUSES
from app.units.models import CategoryKind
from tests.triage.helpers import events_of, load_tip, make_staff, submit, submit_security

ALL_OUTCOMES = sorted({o for s in OUTCOMES.values() for o in s})

STATUSES = [s.value for s in TipStatus]
request_st = st.one_of(
    # Plausible requests, so that walks get deep (to suspended, resolved, closed)...
    st.sampled_from(STATUSES).map(lambda to: {"to": to, "note": "Lý do"}),
    st.sampled_from(ALL_OUTCOMES).map(lambda o: {"to": "resolved", "outcome": o}),
    # ... and anything at all.
    st.fixed_dictionaries(
        {"to": st.sampled_from(STATUSES)},
        optional={"note": st.sampled_from(["", "Lý do"]), "outcome": st.sampled_from(ALL_OUTCOMES)},
    ),
)
SEQUENCES: list[list[dict[str, Any]]] = []


@settings(max_examples=16, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(request_st, min_size=8, max_size=20))
def _collect(sequence: list[dict[str, Any]]) -> None:
    SEQUENCES.append(sequence)


_collect()


async def test_random_sequences_through_the_api(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["lead_a"]
    for i, sequence in enumerate(SEQUENCES):
        tip = await (submit(client) if i % 2 == 0 else submit_security(client))
        kind = CategoryKind.crime if i % 2 == 0 else CategoryKind.security_order
        status = "received"
        for request in sequence:
            r = await client.post(f"/api/v1/tips/{tip['id']}/transitions", json=request, headers=h)
            row = await load_tip(db, tip["id"])
            if r.status_code == 200:
                assert status not in TERMINAL_STATUSES
                status = request["to"]
            else:
                assert r.status_code in (409, 422), r.text
                if status in TERMINAL_STATUSES:
                    assert r.status_code == 409 and r.json()["allowed"] == []
            assert row.status == status
            assert kind != CategoryKind.crime or row.status != "rejected"
            assert kind != CategoryKind.security_order or row.status != "suspended"
            if row.status == "resolved":
                assert row.outcome in OUTCOMES[kind]
            assert (row.closed_at is not None) == (row.status in TERMINAL_STATUSES)
        changes = await events_of(db, tip["id"], "tip.status_changed")
        assert changes[-1].to_status == status if changes else status == "received"
