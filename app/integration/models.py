from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id
from app.core.outbox import OutboxMixin


class FeedEventType(StrEnum):
    """Timeline entry types published on the change feed and to webhooks."""

    created = "tip.created"
    status_changed = "tip.status_changed"
    assigned = "tip.assigned"
    transferred = "tip.transferred"
    merged = "tip.merged"
    deadline_extended = "tip.deadline_extended"
    overdue = "tip.overdue"
    urgent = "tip.urgent"
    message_added = "tip.message_added"
    rerouted = "tip.rerouted"  # moved by an administrative change-set
    corrected = "tip.corrected"  # data {"changes": {field: {"from", "to"}}}, no personal data
    acknowledged = "tip.acknowledged"
    acknowledge_overdue = "tip.acknowledge_overdue"
    classify_overdue = "tip.classify_overdue"
    escalated = "tip.escalated"
    complaint_filed = "tip.complaint_filed"  # the complaint's text stays internal
    reference_changed = "reference.changed"  # no tip: data {"kind", "code"}


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (or being attempted under a lease)
    delivered = "delivered"
    dead = "dead"  # dead-lettered after webhook_max_attempts failures
    cancelled = "cancelled"  # its subscription was deleted before delivery


class WebhookSubscription(TimestampMixin, Base):
    """A dashboard's request to receive events by HTTP POST.

    ``province_code`` limits it to that province's tips (always set for a supervisor's
    subscription; None on an admin's means every province). The secret signs deliveries,
    so it is stored encrypted (AES-GCM under the data keys), not hashed.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    secret_key_id: Mapped[str] = mapped_column(String(32))
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[str | None] = mapped_column(String(36))
    created_by_label: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(OutboxMixin, TimestampMixin, Base):
    """One event to one subscription: the outbox row the delivery worker works from.

    Written by the feed sequencer in the transaction that numbers the event. A worker
    claims a due row by setting ``lease_until`` (PostgreSQL: under FOR UPDATE SKIP LOCKED),
    so two workers never attempt the same delivery at once; a crashed worker's lease runs out
    and the row becomes due again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        enum_check("status", DeliveryStatus),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    feed_position: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(40))
    # The exact JSON body, fixed when the event was sequenced: every attempt sends (and
    # signs) the same bytes.
    payload: Mapped[str] = mapped_column(Text)
    # status, attempts, next_attempt_at, lease: app.core.outbox.OutboxMixin
    last_status_code: Mapped[int | None] = mapped_column(Integer)
