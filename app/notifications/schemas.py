from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.validation import JsonBool
from app.notifications.models import NoticeDeliveryStatus, NotifyChannel
from app.tips.schemas import LocalDateTime, WebPushSubscription

PHONE = r"^\+?[0-9][0-9 .()\-]{5,18}$"
EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


class PreferencesUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears a contact."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, pattern=EMAIL, max_length=254)
    phone: str | None = Field(None, pattern=PHONE, max_length=20)
    locale: Literal["vi", "en"] | None = None
    notify_channels: list[NotifyChannel] | None = Field(None, max_length=3)
    web_push: WebPushSubscription | None = None
    notify_new_tips: JsonBool | None = Field(
        None, description="Officers: also be told of every new tip of the unit (`tip.new`)."
    )


class PreferencesOut(BaseModel):
    email: str | None
    phone: str | None
    locale: str
    notify_channels: list[str]
    web_push: bool = Field(description="Whether a push subscription is registered.")
    notify_new_tips: bool


class NotificationOut(BaseModel):
    id: str
    type: str
    tip_id: str | None
    reference: str | None
    at: LocalDateTime
    read_at: LocalDateTime | None
    title: str
    body: str


class InboxPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int = Field(description="The caller's unread notices in all.")


class ReadAllOut(BaseModel):
    marked: int


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    channel: NotifyChannel
    recipient_kind: Literal["user", "reporter"]
    user_id: str | None
    tip_id: str | None
    status: NoticeDeliveryStatus
    attempts: int
    last_attempt_at: LocalDateTime | None
    last_error: str | None
    next_attempt_at: LocalDateTime
    created_at: LocalDateTime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class VapidKeyOut(BaseModel):
    public_key: str = Field(description="base64url uncompressed P-256 point (applicationServerKey)")


class AlertAcknowledged(BaseModel):
    tip_id: str
    acknowledged_at: LocalDateTime
    escalated: bool
