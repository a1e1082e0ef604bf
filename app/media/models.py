from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, new_id


class Attachment(TimestampMixin, Base):
    """A file attached to a tip or to a message; the bytes live in storage under sha256."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("tip_messages.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_staff: Mapped[bool] = mapped_column(default=False)

    @property
    def uploaded_by(self) -> str:
        """``staff`` (a unit's file: on the tip, or in a message to the reporter) or
        ``reporter`` (sent with the tip or with a message, also when staff filed it for them)."""
        return "staff" if self.uploaded_by_staff else "reporter"
