from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.tips.schemas import LocalDateTime  # RFC 3339 with offset (+07:00)


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
    ok: bool
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
