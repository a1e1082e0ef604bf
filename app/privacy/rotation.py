"""Data-key rotation: re-encrypt everything sealed under an old key with the current one.

The key ring (``TINBAO_DATA_KEYS``) encrypts with its first key and decrypts with any, so a
rotation is: put a new key first (old keys after it), restart, run ``tinbao
reencrypt-reporters``, check it reports nothing left, then drop the old key. What is sealed
with the ring, each with its own associated data:

* reporter identities (``reporter_identities``, AAD = tip id; purged rows hold nothing),
* intake replay records (``idempotency_records``, AAD = key hash),
* webhook secrets (``webhook_subscriptions``, AAD = ``webhook:<id>``),
* complaints and protection requests (``tip_complaints``, ``protection_requests``; AAD =
  ``complaint:<id>`` / ``protection:<id>``, app.tips.followup_sealing).
* persons involved and victim (``tips.people_*``, AAD = ``tip-people:<tip id>``),
* conversation messages (``tip_messages.body_*``, AAD = ``tip-message:<id>``),
* the reporter's notice contacts (``reporter_notify_contacts``, AAD = ``notify:<tip id>``),
* a pending correction's new reporter fields (``privacy_requests.correction_*``, AAD =
  ``privacy-correction:<id>``).

Work goes in batches, each its own transaction. Every row is rewritten by a conditional
UPDATE that still expects the old key id and ciphertext, so a row changed meanwhile (erased,
re-encrypted by a concurrent run) is left alone; running the command again finds only what
is left, so it is idempotent. Rows that cannot be decrypted (their key is not in the ring,
or the ciphertext does not authenticate) are counted and left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from app.core.security import DataCipher
from app.integration.models import WebhookSubscription
from app.privacy.correction import correction_aad
from app.privacy.models import PrivacyRequest
from app.tips import followup_sealing as sealing
from app.tips.followup_models import Complaint, ProtectionRequest
from app.tips.models import (
    IdempotencyRecord,
    ReporterIdentity,
    ReporterNotifyContact,
    Tip,
    TipMessage,
)
from app.tips.notify_contact import contact_aad
from app.tips.sealed import message_aad, people_aad

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    """Where a table keeps ciphertext sealed with the ring, and the AAD of a row."""

    name: str
    model: type[Any]
    pk: InstrumentedAttribute[Any]
    key_id: InstrumentedAttribute[Any]
    ciphertext: InstrumentedAttribute[Any]
    aad: Callable[[str], bytes]


SEALED: tuple[SealedColumn, ...] = (
    SealedColumn(
        "reporter_identities",
        ReporterIdentity,
        ReporterIdentity.tip_id,
        ReporterIdentity.key_id,
        ReporterIdentity.ciphertext,
        lambda tip_id: tip_id.encode(),
    ),
    SealedColumn(
        "idempotency_records",
        IdempotencyRecord,
        IdempotencyRecord.key_hash,
        IdempotencyRecord.key_id,
        IdempotencyRecord.response_ciphertext,
        lambda key_hash: key_hash.encode(),
    ),
    SealedColumn(
        "webhook_subscriptions",
        WebhookSubscription,
        WebhookSubscription.id,
        WebhookSubscription.secret_key_id,
        WebhookSubscription.secret_ciphertext,
        # Must match app.integration.webhooks: the secret is sealed for its subscription.
        lambda subscription_id: f"webhook:{subscription_id}".encode(),
    ),
    SealedColumn(
        "tip_complaints",
        Complaint,
        Complaint.id,
        Complaint.key_id,
        Complaint.ciphertext,
        lambda row_id: sealing.aad(sealing.COMPLAINT, row_id),
    ),
    SealedColumn(
        "protection_requests",
        ProtectionRequest,
        ProtectionRequest.id,
        ProtectionRequest.key_id,
        ProtectionRequest.ciphertext,
        lambda row_id: sealing.aad(sealing.PROTECTION, row_id),
    ),
    SealedColumn("tip_people", Tip, Tip.id, Tip.people_key_id, Tip.people_ciphertext, people_aad),
    SealedColumn(
        "tip_messages",
        TipMessage,
        TipMessage.id,
        TipMessage.body_key_id,
        TipMessage.body_ciphertext,
        message_aad,
    ),
    SealedColumn(
        "reporter_notify_contacts",
        ReporterNotifyContact,
        ReporterNotifyContact.tip_id,
        ReporterNotifyContact.key_id,
        ReporterNotifyContact.ciphertext,
        contact_aad,
    ),
    SealedColumn(
        "privacy_corrections",
        PrivacyRequest,
        PrivacyRequest.id,
        PrivacyRequest.correction_key_id,
        PrivacyRequest.correction_ciphertext,
        correction_aad,
    ),
)


@dataclass
class BatchResult:
    seen: int = 0
    reencrypted: int = 0
    failed: int = 0
    last_pk: str | None = None


@dataclass
class RotationReport:
    current_key_id: str
    reencrypted: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    failed_key_ids: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not any(self.failed.values())


def _stale(column: SealedColumn, cipher: DataCipher) -> list[Any]:
    return [column.ciphertext.is_not(None), column.key_id != cipher.current_key_id]


async def reencrypt_batch(
    session: AsyncSession,
    *,
    column: SealedColumn,
    cipher: DataCipher,
    after: str | None,
    limit: int,
    failed_key_ids: set[str] | None = None,
) -> BatchResult:
    """Re-encrypt up to ``limit`` rows of ``column`` not under the current key whose primary
    key sorts after ``after``. Flushes; the caller commits."""
    query = select(column.pk, column.key_id, column.ciphertext).where(*_stale(column, cipher))
    if after is not None:
        query = query.where(column.pk > after)
    rows = (await session.execute(query.order_by(column.pk).limit(limit))).all()
    result = BatchResult(seen=len(rows), last_pk=rows[-1][0] if rows else after)
    for pk, key_id, blob in rows:
        aad = column.aad(pk)
        try:
            plaintext = cipher.decrypt(key_id, blob, aad=aad)
        except (KeyError, InvalidTag, ValueError):
            result.failed += 1
            if failed_key_ids is not None:
                failed_key_ids.add(key_id)
            continue
        new_key_id, new_blob = cipher.encrypt(plaintext, aad=aad)
        updated = await session.execute(
            update(column.model)
            .where(column.pk == pk, column.key_id == key_id, column.ciphertext == blob)
            .values({column.key_id.key: new_key_id, column.ciphertext.key: new_blob})
            .execution_options(synchronize_session=False)
        )
        result.reencrypted += int(updated.rowcount or 0)  # type: ignore[attr-defined]
    await session.flush()
    return result


async def reencrypt_all(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    cipher: DataCipher,
    batch_size: int = DEFAULT_BATCH,
) -> RotationReport:
    """Every sealed column, batch after batch, one committed transaction per batch."""
    report = RotationReport(current_key_id=cipher.current_key_id)
    for column in SEALED:
        after: str | None = None
        report.reencrypted[column.name] = 0
        report.failed[column.name] = 0
        while True:
            async with sessionmaker() as session:
                batch = await reencrypt_batch(
                    session,
                    column=column,
                    cipher=cipher,
                    after=after,
                    limit=batch_size,
                    failed_key_ids=report.failed_key_ids,
                )
                await session.commit()
            report.reencrypted[column.name] += batch.reencrypted
            report.failed[column.name] += batch.failed
            if batch.seen < batch_size:
                break
            after = batch.last_pk
    return report


async def count_by_key(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Rows holding ciphertext, per table and key id (what a rotation still has to do)."""
    counts: dict[str, dict[str, int]] = {}
    for column in SEALED:
        rows = await session.execute(
            select(column.key_id, func.count())
            .where(column.ciphertext.is_not(None))
            .group_by(column.key_id)
        )
        counts[column.name] = {key_id: int(n) for key_id, n in rows.all()}
    return counts
