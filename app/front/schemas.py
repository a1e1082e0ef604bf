"""What a Fatherland Front member sees of their organization's tips: no internal detail."""

from __future__ import annotations

from pydantic import BaseModel

from app.core.validation import LocalDateTime


class FrontTip(BaseModel):
    reference: str
    category_code: str
    public_status: str
    outcome: str | None
    outcome_summary: str | None
    movement_model: str | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class FrontTipPage(BaseModel):
    items: list[FrontTip]
    next_cursor: str | None
