"""The append-only, hash-chained audit log: its table and its one writer, ``record``.

Every package writes it (accounts, administration, triage, ...), so it lives in core;
``app.audit`` reads, verifies and anchors it.

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

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core import dialect
from app.core.db import Base
from app.core.principal import Principal
from app.core.time import as_utc, utcnow

GENESIS_HASH = "0" * 64
# Key of the PostgreSQL advisory lock that serializes appends ("TinBáoAu" as an int64).
AUDIT_LOCK_KEY = 0x54696E42616F4175
SYSTEM_LABEL = "system"
_LABEL_MAX = 64


def canonical_time(at: datetime) -> str:
    # The hash covers the UTC wall clock, whatever offset the value came with.
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, given its fields and its prev_hash."""
    fields = {
        "id": entry.id,
        "at": canonical_time(entry.at),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "reason": entry.reason,
        "data": entry.data,
    }
    return hashlib.sha256((entry.prev_hash + canonical_json(fields)).encode()).hexdigest()


async def _serialize_appends(session: AsyncSession) -> None:
    noop = update(AuditEntry).where(AuditEntry.id == -1).values(action=AuditEntry.action)
    await dialect.serialize_writers(session, key=AUDIT_LOCK_KEY, sqlite_noop=noop)


async def record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (flushed, not committed).

    ``actor=None`` is the system (bootstrap, scheduler) unless ``actor_label`` says otherwise
    (e.g. "anonymous" for a failed login).
    """
    await _serialize_appends(session)
    last = (
        await session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        )
    ).first()
    label = actor_label or (actor.label if actor else SYSTEM_LABEL)
    now = utcnow()
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        at=now,
        created_at=now,
        actor_id=actor.id if actor else None,
        actor_label=label[:_LABEL_MAX],
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        # What is hashed must be what reads back: JSON-native values only.
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    await session.flush()
    return entry


class AuditEntry(Base):
    """Append-only, hash-chained: ``hash = sha256(prev_hash || canonical entry)``."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_label: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
