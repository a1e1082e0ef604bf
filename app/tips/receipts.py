"""Receipts and references.

Receipts are the reporter's only credential: 20 random Crockford base32 symbols (100 bits),
shown as five dashed groups of four, stored only as HMAC-SHA256 under ``receipt_key`` of the
normalised form. References (``TB-XXXX-XXXX``) are unique, not secret. Neither is ever logged.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import (
    CROCKFORD,
    constant_time_equal,
    group,
    keyed_hash,
    normalize_crockford,
    random_crockford,
)
from app.tips.models import Tip

RECEIPT_SYMBOLS = 20  # 100 bits
REFERENCE_SYMBOLS = 8  # TB-XXXX-XXXX, 40 bits: unique, not secret

_NO_MATCH = "0" * 64


def new_receipt() -> str:
    return group(random_crockford(RECEIPT_SYMBOLS))


def receipt_hash(receipt_key: str, receipt: str) -> str | None:
    """The stored form of a receipt; None when it cannot be one (wrong length or alphabet)."""
    normalized = normalize_crockford(receipt)
    if len(normalized) != RECEIPT_SYMBOLS or any(ch not in CROCKFORD for ch in normalized):
        return None
    return keyed_hash(receipt_key, normalized)


async def find_tip_by_receipt(
    session: AsyncSession, *, receipt_key: str, receipt: str | None
) -> Tip | None:
    """The tip a receipt belongs to, or None. The hash is looked up, then compared in
    constant time; a malformed receipt costs the same hash and comparison."""
    candidate = receipt_hash(receipt_key, receipt or "")
    computed = candidate or keyed_hash(receipt_key, "-")
    tip = await session.scalar(select(Tip).where(Tip.receipt_hash == computed))
    stored = tip.receipt_hash if tip is not None else _NO_MATCH
    if constant_time_equal(stored, computed) and candidate is not None and tip is not None:
        return tip
    return None


def new_reference() -> str:
    """A ``TB-XXXX-XXXX`` reference, drawn at random: the unique index on ``tips.reference``
    refuses one already taken (:func:`reference_taken`; intake then draws again)."""
    return "TB-" + group(random_crockford(REFERENCE_SYMBOLS))


def reference_taken(exc: IntegrityError) -> bool:
    """Whether a failed write broke the uniqueness of ``tips.reference`` (PostgreSQL names the
    constraint, SQLite the column)."""
    message = str(exc.orig)
    return "uq_tips_reference" in message or "tips.reference" in message
