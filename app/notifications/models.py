"""Outbox, inbox and deliveries of notices; urgent alerts and their acknowledgement.

``NotificationCause`` is the outbox: one row per thing worth telling, written in the
transaction of its cause (a timeline row, see :mod:`app.notifications.hooks`). The worker
expands a cause into inbox rows (staff) and deliveries (one per recipient and channel, unique:
at most one send per cause, recipient and channel). Rows name people only by id: the text of
a notice is rendered from templates when it is sent, its address read at the same moment.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id, utcnow
from app.core.outbox import OutboxMixin


class NotifyChannel(StrEnum):
    email = "email"
    sms = "sms"
    web_push = "web_push"


class NoticeDeliveryStatus(StrEnum):
    pending = "pending"  # due for its first attempt
    failed = "failed"  # an attempt failed; due again after a backoff
    sending = "sending"  # claimed by a worker; the send may be under way
    delivered = "delivered"
    dead = "dead"  # gave up (attempts exhausted, or a send interrupted with unknown outcome)
    suppressed = "suppressed"  # over the recipient's rate limit; never sent


# Deliveries not yet settled (what tinbao_outbox_pending counts), as literal SQL: the same
# text in the partial index and the query lets the planner match them.
WAITING = "status IN ('pending', 'failed', 'sending')"


class NotificationCause(TimestampMixin, Base):
    """One thing worth telling (the outbox row), not yet or already expanded."""

    __tablename__ = "notification_causes"
    __table_args__ = (
        Index(
            "ix_notification_causes_pending",
            "id",
            postgresql_where=text("expanded_at IS NULL"),
            sqlite_where=text("expanded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    tip_id: Mapped[str | None] = mapped_column(ForeignKey("tips.id"), index=True)
    tip_event_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Causes that are not timeline rows (a job's reminder): written at most once per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ids, statuses, unit codes: never personal data or free text.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expanded_at: Mapped[datetime | None]


class Notification(TimestampMixin, Base):
    """A staff user's inbox entry (every staff notice is one)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("cause_id", "user_id"),
        Index("ix_notifications_user", "user_id", "id"),
        Index(
            "ix_notifications_user_unread",
            "user_id",
            "id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    cause_id: Mapped[int] = mapped_column(ForeignKey("notification_causes.id"))
    type: Mapped[str] = mapped_column(String(40))
    tip_id: Mapped[str | None] = mapped_column(ForeignKey("tips.id"))
    reference: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationDelivery(OutboxMixin, TimestampMixin, Base):
    """One notice to one recipient on one channel (user id, or the tip's reporter)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        enum_check("status", NoticeDeliveryStatus),
        enum_check("channel", NotifyChannel),
        UniqueConstraint("cause_id", "recipient", "channel"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_recipient", "recipient", "created_at"),
        # What tinbao_outbox_pending counts: only the rows not yet settled.
        Index(
            "ix_notification_deliveries_waiting",
            "channel",
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("notification_causes.id"))
    type: Mapped[str] = mapped_column(String(40))  # the notice type (tip.new, reporter.status)
    # "user:<id>" or "reporter:<tip id>"
    recipient: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    tip_id: Mapped[str | None] = mapped_column(ForeignKey("tips.id"))
    channel: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(default=False)


class UrgentAlert(TimestampMixin, Base):
    """An urgent tip's alert: raised at intake, acknowledged by someone of the alerted units,
    or escalated to the province's supervisors after ``urgent_ack_minutes``."""

    __tablename__ = "urgent_alerts"
    __table_args__ = (
        Index(
            "ix_urgent_alerts_open",
            "raised_at",
            postgresql_where=text("acknowledged_at IS NULL AND escalated_at IS NULL"),
            sqlite_where=text("acknowledged_at IS NULL AND escalated_at IS NULL"),
        ),
    )

    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), primary_key=True)
    duty_desk_code: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime | None]
