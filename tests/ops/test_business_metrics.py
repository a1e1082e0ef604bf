"""Business metrics in /metrics: intake counted by channel and kind; open and overdue tips
from a sample kept for TINBAO_METRICS_SAMPLE_SECONDS (a scrape does not count the tips)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import event

from tests.integration.helpers import make_tips, vn
from tests.tips.helpers import TIPS, payload

ROOT = Path(__file__).resolve().parents[2]


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + r"$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_intake_counter(client):
    before = (await client.get("/metrics")).text

    for _ in range(2):
        assert (await client.post(TIPS, json=payload())).status_code == 201

    after = (await client.get("/metrics")).text
    labels = {"channel": "mobile", "kind": "crime"}
    assert (
        metric(after, "tinbao_tips_received_total", **labels)
        - metric(before, "tinbao_tips_received_total", **labels)
        == 2
    )


async def test_open_and_overdue_tips_are_sampled(client, db, app):
    now = [1000.0]
    app.state.business_metrics.clock = lambda: now[0]
    app.state.business_metrics._taken = None
    far, past = vn("2099-01-01 00:00"), vn("2025-01-01 00:00")
    await make_tips(
        db,
        [
            {"status": "received", "due_at": far},
            {"status": "received", "due_at": past},  # overdue
            {"status": "in_progress", "due_at": past},  # overdue
            {"status": "suspended", "due_at": past},  # clock stopped: not overdue
            {"status": "resolved", "due_at": past},  # closed: not open, not overdue
            {"status": "merged"},
        ],
    )
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = (await client.get("/metrics")).text
        sampled = len(statements)
        await make_tips(db, [{"status": "received", "due_at": past}])
        statements.clear()
        cached = (await client.get("/metrics")).text
        cached_statements = len(statements)
        now[0] += app.state.settings.metrics_sample_seconds + 1
        fresh = (await client.get("/metrics")).text
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert sampled == 2
    assert metric(first, "tinbao_open_tips", status="received") == 2
    assert metric(first, "tinbao_open_tips", status="in_progress") == 1
    assert metric(first, "tinbao_open_tips", status="suspended") == 1
    assert metric(first, "tinbao_open_tips", status="verifying") == 0
    assert 'tinbao_open_tips{status="resolved"}' not in first
    assert metric(first, "tinbao_overdue_tips") == 2
    # Within the TTL the scrape answers from the sample, without a query.
    assert cached_statements == 0
    assert metric(cached, "tinbao_open_tips", status="received") == 2
    assert metric(fresh, "tinbao_open_tips", status="received") == 3
    assert metric(fresh, "tinbao_overdue_tips") == 3


async def test_grafana_dashboard_uses_exported_metrics(client):
    dashboard = json.loads((ROOT / "ops" / "grafana" / "tinbao.json").read_text())
    exported = (await client.get("/metrics")).text
    used = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"tinbao_\w+", target["expr"])
    }

    assert {"tinbao_tips_received_total", "tinbao_open_tips", "tinbao_overdue_tips"} <= used
    # tinbao_outbox_pending comes with the outbox's own change
    missing = {name for name in used if f"# HELP {name} " not in exported}
    assert missing <= {"tinbao_outbox_pending"}, missing
    assert all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"])
