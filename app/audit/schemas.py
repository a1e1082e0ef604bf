from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.validation import LocalDateTime  # RFC 3339 with offset (+07:00)


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: LocalDateTime
    actor_id: str | None
    actor_label: str = Field(description='Username, "api-key:<name>", "system" or "anonymous".')
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditVerifyOut(BaseModel):
    ok: bool = Field(description="Both chains intact: the audit log and the tip events.")
    checked: int = Field(description="Entries examined (the walk stops at the first bad one).")
    first_bad_id: int | None = Field(
        description="The first entry that does not fit the chain: edited, or the entry after "
        "a deleted or moved one."
    )
    last_hash: str | None = Field(
        None,
        description="The newest entry's hash when the chain is intact; keep it elsewhere to "
        "detect a later rewrite of the whole tail.",
    )
    events_checked: int = Field(
        0, description="Tip events examined in feed order (their own hash chain)."
    )
    first_bad_event_position: int | None = Field(
        None, description="The first tip event (feed position) that does not fit its chain."
    )
    events_head_hash: str | None = Field(
        None, description="The newest chained tip event's hash when that chain is intact."
    )
