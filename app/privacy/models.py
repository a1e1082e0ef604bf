"""Data-subject requests of identified reporters (see app.privacy.service)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id


class PrivacyRequestKind(StrEnum):
    access = "access"  # see the contact data held
    erasure = "erasure"  # delete it
    correction = "correction"  # replace it with the corrected fields the request carries


class PrivacyRequestStatus(StrEnum):
    pending = "pending"  # filed, not yet answered
    acknowledged = "acknowledged"  # answered: staff took it up
    completed = "completed"
    refused = "refused"  # e.g. erasure while the tip is still open


class PrivacyRequestSource(StrEnum):
    reporter = "reporter"  # filed through /track with the receipt
    staff = "staff"  # filed by staff after the reporter asked


class RefusalReason(StrEnum):
    tip_open = "tip_open"  # the identity is needed while the tip is being handled


class PrivacyRequest(TimestampMixin, Base):
    """A reporter's request to see or delete their contact data, with its legal deadlines:
    answered within 2 working days (``answer_by``), done within 15 days (``due_at``)."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        enum_check("kind", PrivacyRequestKind),
        enum_check("status", PrivacyRequestStatus),
        enum_check("source", PrivacyRequestSource),
        enum_check("refusal_reason", RefusalReason),
        Index("ix_privacy_requests_status_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PrivacyRequestStatus.pending)
    source: Mapped[str] = mapped_column(String(16))
    filed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)  # staff's note when filing
    answer_by: Mapped[datetime]
    due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]  # completed or refused
    completed_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(String(16))
    # A correction's new reporter fields, encrypted like the identity; dropped once applied.
    correction_key_id: Mapped[str | None] = mapped_column(String(32))
    correction_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
