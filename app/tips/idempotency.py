"""Idempotency-Key for intake: a retry with the same key and body answers the first response.

The key is scoped to the caller (``user:<id>``, ``api_key:<id>`` or ``anonymous``) and stored
only as a keyed hash; the request is fingerprinted by its canonical JSON and its files' SHA-256.
The stored response holds the receipt, so it is encrypted (AES-GCM, the record's key hash as
associated data) and purged after 24 hours.

Two identical requests racing: both find no record; the first to insert its record wins (the
key hash is the primary key), the other's ``INSERT ... ON CONFLICT DO NOTHING`` inserts nothing
— on PostgreSQL it waits for the winner's commit first — and that whole transaction is rolled
back (its tip, register number, rows) before it answers the winner's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import dialect
from app.core.errors import Conflict, msg
from app.core.principal import Principal
from app.core.security import DataCipher, keyed_hash
from app.core.time import as_utc
from app.tips.models import IdempotencyRecord

REPLAY_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 128
# Anonymous callers share one key space: their keys must not be guessable (API.md).
MIN_ANONYMOUS_KEY_LENGTH = 16

# Core statements, compiled once: no unit of work on the intake path.
_RECORDS = cast(Table, IdempotencyRecord.__table__)
_FIND = select(
    _RECORDS.c.request_hash,
    _RECORDS.c.key_id,
    _RECORDS.c.response_ciphertext,
    _RECORDS.c.expires_at,
).where(_RECORDS.c.key_hash == bindparam("key_hash"))
_FORGET = delete(_RECORDS).where(_RECORDS.c.key_hash == bindparam("key_hash"))
_REMEMBER = dialect.insert_ignore(
    _RECORDS,
    (
        "key_hash",
        "request_hash",
        "tip_id",
        "key_id",
        "response_ciphertext",
        "expires_at",
        "created_at",
        "updated_at",
    ),
    returning=("key_hash",),
)


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


@dataclass(frozen=True)
class IdempotencyKey:
    key_hash: str
    request_hash: str


def caller_scope(actor: Principal | None) -> str:
    return "anonymous" if actor is None else f"{actor.kind}:{actor.id}"


def request_fingerprint(document: Any, file_hashes: Sequence[str]) -> str:
    """SHA-256 of the canonical JSON document and the uploaded files' hashes, in order."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode())
    for file_hash in file_hashes:
        digest.update(b"\n" + file_hash.encode())
    return digest.hexdigest()


def idempotency_key(
    secret: str, *, key: str, actor: Principal | None, fingerprint: str
) -> IdempotencyKey:
    return IdempotencyKey(
        key_hash=keyed_hash(secret, f"{caller_scope(actor)}\n{key}"), request_hash=fingerprint
    )


def _conflict() -> IdempotencyConflict:
    return IdempotencyConflict(msg("idempotency.conflict"))


async def _stored(session: AsyncSession, key_hash: str) -> Row[Any] | None:
    return (await session.execute(_FIND, {"key_hash": key_hash})).first()


def _open(record: Row[Any], *, key: IdempotencyKey, cipher: DataCipher) -> Any:
    if record.request_hash != key.request_hash:
        raise _conflict()
    plaintext = cipher.decrypt(record.key_id, record.response_ciphertext, aad=key.key_hash.encode())
    return json.loads(plaintext)


async def find_replay(
    session: AsyncSession, *, key: IdempotencyKey, cipher: DataCipher, now: datetime
) -> Any | None:
    """The stored response for this key, None when there is none (or it expired), 409 when
    the key was used with a different request."""
    record = await _stored(session, key.key_hash)
    if record is None:
        return None
    if as_utc(record.expires_at) <= now:
        await session.execute(_FORGET, {"key_hash": key.key_hash})
        return None
    return _open(record, key=key, cipher=cipher)


async def remember_response(
    session: AsyncSession,
    *,
    key: IdempotencyKey,
    tip_id: str,
    response: dict[str, Any],
    cipher: DataCipher,
    now: datetime,
) -> Any | None:
    """Store the response for replays, after the tip's rows (sent already: intake writes
    them by Core INSERTs, nothing waits in the session). None when stored; when a concurrent
    request with the same key committed first, this transaction is rolled back and the
    winner's response is returned (or 409 if its request differed)."""
    key_id, blob = cipher.encrypt(
        json.dumps(response, ensure_ascii=False).encode(), aad=key.key_hash.encode()
    )
    stored = await session.execute(
        _REMEMBER,
        {
            "key_hash": key.key_hash,
            "request_hash": key.request_hash,
            "tip_id": tip_id,
            "key_id": key_id,
            "response_ciphertext": blob,
            "expires_at": now + REPLAY_WINDOW,
            "created_at": now,
            "updated_at": now,
        },
    )
    if stored.first() is not None:
        return None
    # Lost the race: undo everything this request wrote, then answer like a replay.
    await session.rollback()
    winner = await _stored(session, key.key_hash)
    if winner is None:  # the winner's record is gone already (purged): nothing to answer
        raise RuntimeError("idempotency record lost to a concurrent request, then gone")
    return _open(winner, key=key, cipher=cipher)


async def purge_expired_idempotency(session: AsyncSession, now: datetime) -> int:
    """Delete records past their 24 hours (they hold encrypted receipts). For the scheduler."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
