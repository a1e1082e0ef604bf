"""The append-only, hash-chained audit log.

Each entry stores ``hash = sha256(prev_hash + canonical JSON of its fields)``, the first
entry's ``prev_hash`` being 64 zeros, and ids are assigned here, gapless (``previous id + 1``).
Editing an entry breaks its own hash; deleting or reordering entries breaks the link
(``prev_hash``/id) of the entry that follows. Appends are serialized so that two concurrent
transactions never chain onto the same predecessor:

* PostgreSQL: a transaction-scoped advisory lock, taken before the last entry is read and
  held until the caller's transaction ends (so call ``record`` late in the transaction);
* SQLite: a no-op write first takes the database's single write lock.

Audit data must never hold personal data of reporters (names, phones, addresses): record
ids, codes and usernames of staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.audit_log import (
    AUDIT_LOCK_KEY,
    GENESIS_HASH,
    SYSTEM_LABEL,
    AuditEntry,
    canonical_json,
    canonical_time,
    entry_hash,
    record,
)
from app.core.cursor import Int, decode_cursor
from app.core.pagination import split_page

__all__ = [
    "AUDIT_LOCK_KEY",
    "GENESIS_HASH",
    "SYSTEM_LABEL",
    "AuditEntry",
    "VerifyResult",
    "canonical_json",
    "canonical_time",
    "entry_hash",
    "list_entries",
    "record",
    "verify",
]

_VERIFY_BATCH = 1000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None
    last_hash: str | None = None


async def verify(session: AsyncSession) -> VerifyResult:
    """Walk the chain in id order; stop at the first entry that does not fit."""
    checked = 0
    prev_id = 0
    prev_hash = GENESIS_HASH
    while True:
        batch = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.id > prev_id)
                    .order_by(AuditEntry.id)
                    .limit(_VERIFY_BATCH)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        for entry in batch:
            checked += 1
            if (
                entry.id != prev_id + 1
                or entry.prev_hash != prev_hash
                or entry.hash != entry_hash(entry)
            ):
                return VerifyResult(ok=False, checked=checked, first_bad_id=entry.id)
            prev_id, prev_hash = entry.id, entry.hash
        if len(batch) < _VERIFY_BATCH:
            break
    return VerifyResult(
        ok=True, checked=checked, first_bad_id=None, last_hash=prev_hash if checked else None
    )


async def list_entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[Sequence[AuditEntry], str | None]:
    """Newest first; the cursor is the last id seen."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if action:
        query = query.where(AuditEntry.action == action)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if cursor:
        (before_id,) = decode_cursor(cursor, Int())
        query = query.where(AuditEntry.id < before_id)
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)
