"""Counters of intake kept in the process (Prometheus counters: a restart starts them at 0,
which ``rate()`` and ``increase()`` expect)."""

from __future__ import annotations

from prometheus_client import Counter

TIPS_RECEIVED = Counter(
    "tinbao_tips_received_total",
    "Tips accepted at intake, by channel and kind",
    ["channel", "kind"],
)
