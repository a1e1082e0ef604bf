"""Receipts and references are drawn from one token_bytes call: every symbol equally likely."""

from __future__ import annotations

from collections import Counter

from app.core.security import CROCKFORD, random_crockford


def test_symbols_are_from_the_alphabet_and_uniform() -> None:
    assert len(random_crockford(20)) == 20
    drawn = "".join(random_crockford(20) for _ in range(4000))  # 80,000 symbols
    seen = Counter(drawn)
    assert set(seen) == set(CROCKFORD)
    expected = len(drawn) / len(CROCKFORD)  # 2,500 each, standard deviation about 49
    assert max(abs(n - expected) / expected for n in seen.values()) < 0.1, seen
