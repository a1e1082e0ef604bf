"""Complaints and protection requests: their content is sealed (AES-GCM under the data keys,
AAD ``complaint:<id>`` / ``protection:<id>``), never stored in clear. app.complaints owns the
rules; the tables sit here, below the staff record that lists a tip's complaints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id


class Complaint(TimestampMixin, Base):
    """A reporter's complaint against a ``not_prosecuted`` decision (CPC art. 469-470)."""

    __tablename__ = "tip_complaints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    # The timeline row of the decision complained of (the transition to resolved).
    decision_event_id: Mapped[int] = mapped_column(BigInteger)
    filed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class ProtectionStatus(StrEnum):
    received = "received"  # filed; the unit's leads were told
    granted = "granted"  # protection measures decided (art. 48)
    refused = "refused"  # no grounds for protection
    ended = "ended"  # granted measures were lifted (art. 48)


class ProtectionRequest(TimestampMixin, Base):
    """A reporter's request for protection of themselves or their family."""

    __tablename__ = "protection_requests"
    __table_args__ = (enum_check("status", ProtectionStatus),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ProtectionStatus.received)
    filed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
