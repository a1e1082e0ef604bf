"""What a catalogue entry is, and the ``errors[]`` codes an entry may answer with."""

from __future__ import annotations

from typing import NamedTuple

# The codes an ``errors[]`` item may carry besides a rule's own word (API.md, Conventions).
FIELD_CODES = frozenset(
    {
        "missing",
        "too_short",
        "too_long",
        "invalid_format",
        "invalid_choice",
        "out_of_range",
        "extra_forbidden",
        "invalid_type",
        "unknown_parameter",
    }
)


class Entry(NamedTuple):
    code: str  # the errors[] code
    vi: str
    en: str
