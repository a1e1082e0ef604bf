"""Data-subject requests: what staff and reporters send and get back."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.validation import LocalDateTime
from app.privacy.models import (
    PrivacyRequestKind,
    PrivacyRequestSource,
    PrivacyRequestStatus,
    RefusalReason,
)
from app.tips.schemas import ReporterIn

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _WithCorrection(_Strict):
    reporter: ReporterIn | None = Field(
        None,
        description="Only with `correction` (and then required, one field at least): the "
        "corrected contact fields; fields left out stay as they are.",
    )

    @model_validator(mode="after")
    def _correction_carries_fields(self) -> _WithCorrection:
        kind = getattr(self, "kind", None)
        has_fields = self.reporter is not None and any(
            v is not None for v in self.reporter.model_dump().values()
        )
        if kind == PrivacyRequestKind.correction and not has_fields:
            raise ValueError("a correction carries the corrected `reporter` fields")
        if kind != PrivacyRequestKind.correction and self.reporter is not None:
            raise ValueError("`reporter` only with kind `correction`")
        return self


class TrackPrivacyRequestIn(_WithCorrection):
    kind: PrivacyRequestKind = Field(
        description="`access`: see the contact data TinBáo holds about you; "
        "`erasure`: delete it (only once the tip is closed); `correction`: replace it with "
        "the `reporter` fields sent."
    )


class PrivacyRequestIn(_WithCorrection):
    tip_id: str = Field(max_length=36, description="The tip whose reporter asked.")
    kind: PrivacyRequestKind
    note: Note | None = Field(
        None, description="How and when the reporter asked (e.g. in a /track message)."
    )


class PrivacyRequestOut(BaseModel):
    """A request as staff see it (never the contact data itself)."""

    id: str
    tip_id: str
    reference: str
    kind: PrivacyRequestKind
    status: PrivacyRequestStatus
    source: PrivacyRequestSource
    note: str | None
    created_at: LocalDateTime
    answer_by: LocalDateTime = Field(description="Answer within 2 working days.")
    due_at: LocalDateTime = Field(description="Done within 15 days.")
    overdue: bool = Field(description="Still open past `answer_by` (unanswered) or `due_at`.")
    acknowledged_at: LocalDateTime | None
    completed_at: LocalDateTime | None
    refusal_reason: RefusalReason | None
    refusal_message: str | None


class ContactData(BaseModel):
    full_name: str | None
    phone: str | None
    email: str | None
    address: str | None
    organization_name: str | None = None


class TrackPrivacyRequestOut(BaseModel):
    """A request as the reporter sees it on /track."""

    id: str
    kind: PrivacyRequestKind
    status: PrivacyRequestStatus
    created_at: LocalDateTime
    answer_by: LocalDateTime
    due_at: LocalDateTime
    completed_at: LocalDateTime | None
    refusal_reason: RefusalReason | None
    refusal_message: str | None
    contact_data: ContactData | None = Field(
        None,
        description="For a completed access request, for 30 days: the contact data held "
        "(null when none is held any more).",
    )


class DisclosureOut(BaseModel):
    """One time a reporter's identity was seen by staff (never the identity itself)."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["reveal", "intake"] = Field(
        description="`reveal`: decrypted through /reporter/reveal; `intake`: typed by the staff "
        "member who recorded the tip (counter or hotline)."
    )
    tip_id: str
    reference: str
    actor_id: str | None
    actor_label: str = Field(description="The staff member's username.")
    at: LocalDateTime
    reason: str | None = Field(description="The reason given for a reveal.")
