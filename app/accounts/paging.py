"""What the account services share: the identifier cursor of their lists and the refusal of
what lies outside the caller's province."""

from __future__ import annotations

import re

from app.accounts.schemas import IDENTIFIER_PATTERN
from app.core.cursor import Str, decode_cursor
from app.core.errors import msg

OUTSIDE_PROVINCE = msg("accounts.outside_province")
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def id_after(cursor: str) -> str:
    """The id a list's ``next_cursor`` names (lists ordered by id)."""
    (after,) = decode_cursor(cursor, Str(pattern=_IDENTIFIER))
    return str(after)
